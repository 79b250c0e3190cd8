/**
 * The mobile-net int8 ops on vectors derived by hand from TFLite's reference formulas (the comments
 * show the arithmetic). Bit-exactness against TFLite Micro itself is test/codegen/tflm-mobile.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { gelu as geluFloat } from '../../toolkit/graph/ops.ts';
import { ModelBuilder } from './model-builder.ts';

const run = (b: ModelBuilder, x: number, y: number, values: number[]) => Array.from(createInterpreter(b.build([x], [y])).invoke(Int8Array.from(values)));
const all = Array.from({ length: 256 }, (_, i) => i - 128);

describe('HARD_SWISH: x·relu6(x + 3)/6 in 16-bit fixed point', () => {
  const hswish = (sIn: number, zIn: number, sOut: number, zOut: number) => {
    const b = new ModelBuilder();
    const x = b.int8('x', [256], { scale: sIn, zeroPoint: zIn });
    const y = b.int8('y', [256], { scale: sOut, zeroPoint: zOut });
    b.op({ op: 'HARD_SWISH', inputs: [x], outputs: [y] });
    return run(b, x, y, all);
  };
  for (const [sIn, zIn, sOut, zOut] of [[0.1, -3, 0.05, 20], [0.0117, 20, 0.01, -100], [0.002, -100, 0.0019, 5]]) {
    it(`input (${sIn}, ${zIn}) → output (${sOut}, ${zOut})`, () => {
      const out = hswish(sIn, zIn, sOut, zOut);
      // x = zp: every product is 0 → the output zero point; x ≤ −3: the reluish factor is 0 → the zero point
      expect(out[zIn + 128]).toBe(zOut);
      all.forEach((v, i) => {
        const real = (v - zIn) * Math.fround(sIn);
        if (real <= -3) expect(out[i], `input ${v}`).toBe(zOut);
        const want = Math.max(-128, Math.min(127, Math.round((real * Math.min(6, Math.max(0, real + 3))) / 6 / Math.fround(sOut)) + zOut));
        expect(Math.abs(out[i]! - want), `input ${v}`).toBeLessThanOrEqual(1);
      });
    });
  }
});

describe('GELU: a 256-entry table of round(gelu(dequantized) / s_out) + zp', () => {
  for (const approximate of [false, true]) {
    it(approximate ? 'tanh approximation' : 'erf form', () => {
      const b = new ModelBuilder();
      const x = b.int8('x', [256], { scale: 0.05, zeroPoint: 10 });
      const y = b.int8('y', [256], { scale: 0.025, zeroPoint: -110 });
      b.op({ op: 'GELU', inputs: [x], outputs: [y], approximate });
      const out = run(b, x, y, all);
      expect(out[10 + 128]).toBe(-110); // gelu(0) = 0
      all.forEach((v, i) => {
        const q = geluFloat((v - 10) * Math.fround(0.05), approximate ? 'tanh' : 'none') / Math.fround(0.025);
        // float32 rounding may only decide ties
        if (Math.abs(q - Math.floor(q) - 0.5) < 1e-3) return;
        expect(out[i], `input ${v}`).toBe(Math.max(-128, Math.min(127, Math.round(q) - 110)));
      });
    });
  }
});

describe('CONCATENATION: the inputs\' bytes in order along the axis', () => {
  it('on the channel axis of NHWC (axis −1)', () => {
    const b = new ModelBuilder();
    const q = { scale: 0.1, zeroPoint: 3 };
    const a = b.int8('a', [1, 2, 2, 1], q), c = b.int8('c', [1, 2, 2, 2], q, [10, 11, 20, 21, 30, 31, 40, 41]);
    const y = b.int8('y', [1, 2, 2, 3], q);
    b.op({ op: 'CONCATENATION', inputs: [a, c], outputs: [y], axis: -1, activation: 'NONE' });
    expect(run(b, a, y, [1, 2, 3, 4])).toEqual([1, 10, 11, 2, 20, 21, 3, 30, 31, 4, 40, 41]);
  });
  it('refuses inputs quantized unlike the output (TFLite Micro does not rescale)', () => {
    const b = new ModelBuilder();
    const a = b.int8('a', [1, 2], { scale: 0.1, zeroPoint: 0 }), c = b.int8('c', [1, 2], { scale: 0.2, zeroPoint: 0 }, [1, 2]);
    const y = b.int8('y', [1, 4], { scale: 0.1, zeroPoint: 0 });
    b.op({ op: 'CONCATENATION', inputs: [a, c], outputs: [y], axis: 1, activation: 'NONE' });
    expect(() => createInterpreter(b.build([a], [y]))).toThrow(/quantized like its output/);
  });
});

describe('RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR', () => {
  const resize = (op: 'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR', inHW: [number, number], outHW: [number, number], values: number[], alignCorners = false, halfPixelCenters = false) => {
    const b = new ModelBuilder();
    const q = { scale: 0.1, zeroPoint: 0 };
    const x = b.int8('x', [1, ...inHW, 1], q);
    const y = b.int8('y', [1, ...outHW, 1], q);
    b.op({ op, inputs: [x, b.int32('size', [2], outHW)], outputs: [y], alignCorners, halfPixelCenters });
    return run(b, x, y, values);
  };
  it('nearest, asymmetric: floor(x·in/out) repeats each pixel when upsampling ×2', () => {
    expect(resize('RESIZE_NEAREST_NEIGHBOR', [2, 2], [4, 4], [1, 2, 3, 4])).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  it('nearest downsampling ×2: asymmetric takes x = 0, 2; half-pixel floor((x + ½)·2) takes 1, 3', () => {
    expect(resize('RESIZE_NEAREST_NEIGHBOR', [1, 4], [1, 2], [5, 6, 7, 8])).toEqual([5, 7]);
    expect(resize('RESIZE_NEAREST_NEIGHBOR', [1, 4], [1, 2], [5, 6, 7, 8], false, true)).toEqual([6, 8]);
  });
  it('nearest, align_corners: round(x·(in−1)/(out−1)) with ties up: 0, 0.5→1, 1, 1.5→2, 2', () => {
    expect(resize('RESIZE_NEAREST_NEIGHBOR', [1, 3], [1, 5], [10, 20, 30], true)).toEqual([10, 20, 20, 30, 30]);
  });
  it('bilinear, half-pixel 2 → 4: scale 512/1024, x = 1 reads ¾·v0 + ¼·v1, ties round away from zero', () => {
    // x: −256 (clamped to v0), 256, 768, 1280 (clamped to v1), in 1/1024; ¼·2 = 0.5 → 1, ¾·2 = 1.5 → 2
    expect(resize('RESIZE_BILINEAR', [1, 2], [1, 4], [0, 100], false, true)).toEqual([0, 25, 75, 100]);
    expect(resize('RESIZE_BILINEAR', [1, 2], [1, 4], [0, 2], false, true)).toEqual([0, 1, 2, 2]);
    expect(resize('RESIZE_BILINEAR', [1, 2], [1, 4], [0, -2], false, true)).toEqual([0, -1, -2, -2]);
  });
  it('bilinear, align_corners 2 → 3: scale ⌊(1024 + 1)/2⌋ = 512, the middle is the mean', () => {
    expect(resize('RESIZE_BILINEAR', [1, 2], [1, 3], [0, 100], true)).toEqual([0, 50, 100]);
  });
  it('bilinear, asymmetric 2 → 4: x·512 → v0, ½(v0 + v1), v1, v1', () => {
    expect(resize('RESIZE_BILINEAR', [1, 2], [1, 4], [0, 100])).toEqual([0, 50, 100, 100]);
  });
});
