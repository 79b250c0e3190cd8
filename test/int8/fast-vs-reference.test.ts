import { describe, expect, it } from 'vitest';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import type { Activation, Operator, Padding } from '../../toolkit/tflite/model.ts';
import { ModelBuilder, randomInts } from './model-builder.ts';
import { referenceConv, referenceFullyConnected } from './reference-loops.ts';

// Like TFLite Micro's rule for optimized kernels: the fast CONV_2D / DEPTHWISE_CONV_2D /
// FULLY_CONNECTED (padded int16 images, WebAssembly SIMD sums, WebAssembly output stage) must equal
// the plain reference loops bit for bit, on random geometry, zero points, scales, activations,
// groups and depth multipliers.
const ACTS: Activation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function rng(seed: number) {
  let i = 0;
  const pool = randomInts(seed, 4096, 0, 1e9);
  const int = (lo: number, hi: number) => lo + (pool[i++ % pool.length] % (hi - lo + 1));
  return { int, pick: <T>(xs: T[]) => xs[int(0, xs.length - 1)], scale: () => Math.fround(2 ** -int(2, 9) * (1 + int(0, 999) / 1000)) };
}

type ConvCase = { kind: 'CONV_2D' | 'DEPTHWISE_CONV_2D'; seed: number; extremeWeights?: boolean; forceC?: number; forceK?: number };

function convModel({ kind, seed, extremeWeights = false, forceC, forceK }: ConvCase) {
  const r = rng(seed);
  const depthwise = kind === 'DEPTHWISE_CONV_2D';
  const [N, H, W] = [r.int(1, 2), r.int(1, 9), r.int(1, 9)];
  const groups = depthwise ? 1 : r.pick([1, 1, 2, 3]);
  const C = forceC ?? (depthwise ? r.int(1, 6) : groups * r.int(1, 4));
  const M = depthwise ? r.pick([1, 1, 2, 3]) : 1;
  const OC = depthwise ? C * M : groups * r.int(1, 5);
  const [KH, KW] = forceK ? [forceK, forceK] : [r.int(1, 4), r.int(1, 4)];
  const [SH, SW, DH, DW] = [r.int(1, 3), r.int(1, 3), r.pick([1, 1, 2]), r.pick([1, 1, 2])];
  let padding: Padding = r.pick(['SAME', 'VALID']);
  if ((KH - 1) * DH + 1 > H || (KW - 1) * DW + 1 > W) padding = 'SAME'; // VALID would leave no output
  const OH = padding === 'SAME' ? Math.ceil(H / SH) : Math.floor((H - (KH - 1) * DH - 1) / SH) + 1;
  const OW = padding === 'SAME' ? Math.ceil(W / SW) : Math.floor((W - (KW - 1) * DW - 1) / SW) + 1;
  const perChannel = r.int(0, 3) > 0;
  const b = new ModelBuilder();
  const x = b.int8('x', [N, H, W, C], { scale: r.scale(), zeroPoint: r.int(-128, 127) });
  const wShape = depthwise ? [1, KH, KW, OC] : [OC, KH, KW, C / groups];
  const wCount = wShape.reduce((a, v) => a * v, 1);
  const scales = perChannel ? Array.from({ length: OC }, () => r.scale()) : [r.scale()];
  const w = b.int8('w', wShape, { scale: scales, zeroPoint: scales.map(() => 0), dim: depthwise ? 3 : 0 }, extremeWeights ? Array.from({ length: wCount }, (_, k) => (k % 3 ? 127 : -127)) : randomInts(seed + 1, wCount, -127, 127));
  const bias = r.int(0, 4) > 0 ? b.int32('b', [OC], randomInts(seed + 2, OC, -30000, 30000)) : -1;
  const y = b.int8('y', [N, OH, OW, OC], { scale: r.scale() * 8, zeroPoint: r.int(-128, 127) });
  const common = { inputs: [x, w, bias], outputs: [y], padding, strideH: SH, strideW: SW, dilationH: DH, dilationW: DW, activation: r.pick(ACTS) };
  const op: Operator = depthwise ? { op: 'DEPTHWISE_CONV_2D', ...common, depthMultiplier: M } : { op: 'CONV_2D', ...common };
  b.op(op);
  return { model: b.build([x], [y]), op: op as Operator & { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }, input: Int8Array.from(randomInts(seed + 3, N * H * W * C, -128, 127)) };
}

describe('fast kernels equal the reference loops', () => {
  it.each(Array.from({ length: 60 }, (_, i) => i))('CONV_2D, random case %i', (i) => {
    const { model, op, input } = convModel({ kind: 'CONV_2D', seed: 1000 + i });
    expect(Array.from(createInterpreter(model).invoke(input))).toEqual(Array.from(referenceConv(model, op, input)));
  });

  it.each(Array.from({ length: 60 }, (_, i) => i))('DEPTHWISE_CONV_2D, random case %i', (i) => {
    const { model, op, input } = convModel({ kind: 'DEPTHWISE_CONV_2D', seed: 5000 + i });
    expect(Array.from(createInterpreter(model).invoke(input))).toEqual(Array.from(referenceConv(model, op, input)));
  });

  it.each(Array.from({ length: 12 }, (_, i) => i))('3×3 CONV_2D and DEPTHWISE_CONV_2D (the unrolled path), case %i', (i) => {
    for (const kind of ['CONV_2D', 'DEPTHWISE_CONV_2D'] as const) {
      const { model, op, input } = convModel({ kind, seed: 7000 + i, forceK: 3 });
      expect(Array.from(createInterpreter(model).invoke(input))).toEqual(Array.from(referenceConv(model, op, input)));
    }
  });

  it('CONV_2D with 2100 input channels of ±127 weights (large int32 sums)', () => {
    const { model, op, input } = convModel({ kind: 'CONV_2D', seed: 77, forceC: 2100, forceK: 1, extremeWeights: true });
    expect(Array.from(createInterpreter(model).invoke(input))).toEqual(Array.from(referenceConv(model, op, input)));
  });

  it('DEPTHWISE_CONV_2D with a 48×48 kernel of ±127 weights (large int32 sums)', () => {
    const { model, op, input } = convModel({ kind: 'DEPTHWISE_CONV_2D', seed: 78, forceK: 48, extremeWeights: true });
    expect(Array.from(createInterpreter(model).invoke(input))).toEqual(Array.from(referenceConv(model, op, input)));
  });

  it('FULLY_CONNECTED whose int32 accumulator wraps, as TFLite\'s does', () => {
    // 70000 · 127 · (−128 − 127) ≈ −2.27e9 < −2^31: the sum wraps around (C's int32 overflow on every target TFLM runs on)
    const D = 70000;
    const b = new ModelBuilder();
    const x = b.int8('x', [1, D], { scale: 0.5, zeroPoint: 127 });
    const w = b.int8('w', [2, D], { scale: [0.001, 0.002], zeroPoint: [0, 0] }, Array.from({ length: 2 * D }, (_, k) => (k < D ? 127 : k % 2 ? 127 : -127)));
    const y = b.int8('y', [1, 2], { scale: 0.5, zeroPoint: 0 });
    const op: Operator = { op: 'FULLY_CONNECTED', inputs: [x, w, -1], outputs: [y], activation: 'NONE', keepNumDims: false };
    b.op(op);
    const model = b.build([x], [y]);
    const input = new Int8Array(D).fill(-128);
    const want = referenceFullyConnected(model, op as Operator & { op: 'FULLY_CONNECTED' }, input);
    expect(Array.from(createInterpreter(model).invoke(input))).toEqual(Array.from(want));
    // the wrapped sum is positive, so channel 0 saturates high instead of low
    expect(want[0]).toBe(127);
  });

  it.each(Array.from({ length: 40 }, (_, i) => i))('FULLY_CONNECTED, random case %i (per-tensor and per-channel)', (i) => {
    const r = rng(9000 + i);
    const [B, D, OC] = [r.int(1, 5), r.int(1, 70), r.int(1, 20)];
    const perChannel = r.int(0, 1) === 1;
    const b = new ModelBuilder();
    const inQ = { scale: r.scale(), zeroPoint: r.int(-128, 127) };
    const x = b.int8('x', [B, D], inQ);
    const scales = perChannel ? Array.from({ length: OC }, () => r.scale()) : [r.scale()];
    const w = b.int8('w', [OC, D], { scale: scales, zeroPoint: scales.map(() => 0) }, randomInts(9500 + i, OC * D, -127, 127));
    const bias = r.int(0, 3) > 0 ? b.int32('b', [OC], randomInts(9700 + i, OC, -20000, 20000), { scale: inQ.scale * scales[0] }) : -1;
    const y = b.int8('y', [B, OC], { scale: r.scale() * 8, zeroPoint: r.int(-128, 127) });
    const op: Operator = { op: 'FULLY_CONNECTED', inputs: [x, w, bias], outputs: [y], activation: r.pick(ACTS), keepNumDims: false };
    b.op(op);
    const model = b.build([x], [y]);
    const input = Int8Array.from(randomInts(9900 + i, B * D, -128, 127));
    expect(Array.from(createInterpreter(model).invoke(input))).toEqual(Array.from(referenceFullyConnected(model, op as Operator & { op: 'FULLY_CONNECTED' }, input)));
  });
});
