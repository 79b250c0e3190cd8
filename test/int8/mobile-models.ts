/**
 * Small int8 models of the mobile-net ops (HARD_SWISH, GELU, CONCATENATION, RESIZE_*), one input and
 * one output each, for the interpreter against TFLite Micro and against the native runtime. Their
 * quantizations reach each code path: HARD_SWISH's reluish exponent above, at and below 0; every
 * resize mode, up and down; a concat of six inputs.
 */
import type { TfliteModel } from '../../toolkit/tflite/model.ts';
import { ModelBuilder, randomInts } from './model-builder.ts';

/** x → HARD_SWISH three times, input scales 0.1 (reluish exponent 4), 0.0117 (0), 0.002 (−2). */
export function hardSwishChain(): TfliteModel {
  const b = new ModelBuilder();
  const qs = [{ scale: 0.1, zeroPoint: -3 }, { scale: 0.0117, zeroPoint: 20 }, { scale: 0.002, zeroPoint: -100 }, { scale: 0.0019, zeroPoint: 5 }];
  const t = qs.map((q, k) => b.int8(`t${k}`, [1, 4, 8, 8], q));
  for (let k = 0; k < 3; k++) b.op({ op: 'HARD_SWISH', inputs: [t[k]!], outputs: [t[k + 1]!] });
  return b.build([t[0]!], [t[3]!]);
}

/** x [1,5,4,3] → HARD_SWISH → six resizes to `size` (every mode of both ops) → CONCATENATION on channels. */
export function resizeConcat(size: [number, number]): TfliteModel {
  const b = new ModelBuilder();
  const q = { scale: 0.05, zeroPoint: -7 };
  const x = b.int8('x', [1, 5, 4, 3], { scale: 0.08, zeroPoint: 4 });
  const h = b.int8('h', [1, 5, 4, 3], q);
  b.op({ op: 'HARD_SWISH', inputs: [x], outputs: [h] });
  const modes: [('RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'), boolean, boolean][] = [
    ['RESIZE_BILINEAR', false, false], ['RESIZE_BILINEAR', false, true], ['RESIZE_BILINEAR', true, false],
    ['RESIZE_NEAREST_NEIGHBOR', false, false], ['RESIZE_NEAREST_NEIGHBOR', false, true], ['RESIZE_NEAREST_NEIGHBOR', true, false],
  ];
  const parts = modes.map(([op, alignCorners, halfPixelCenters], k) => {
    const s = b.int32(`size${k}`, [2], size);
    const r = b.int8(`r${k}`, [1, size[0], size[1], 3], q);
    b.op({ op, inputs: [h, s], outputs: [r], alignCorners, halfPixelCenters });
    return r;
  });
  const y = b.int8('y', [1, size[0], size[1], 18], q);
  b.op({ op: 'CONCATENATION', inputs: parts, outputs: [y], axis: -1, activation: 'NONE' });
  return b.build([x], [y]);
}

/** x → GELU (exact) and GELU (tanh) → CONCATENATION on axis 1. */
export function geluConcat(): TfliteModel {
  const b = new ModelBuilder();
  const x = b.int8('x', [1, 6, 5, 4], { scale: 0.04, zeroPoint: 10 });
  const q = { scale: 0.03, zeroPoint: -90 };
  const g1 = b.int8('g1', [1, 6, 5, 4], q), g2 = b.int8('g2', [1, 6, 5, 4], q);
  b.op({ op: 'GELU', inputs: [x], outputs: [g1], approximate: false });
  b.op({ op: 'GELU', inputs: [x], outputs: [g2], approximate: true });
  const y = b.int8('y', [1, 12, 5, 4], q);
  b.op({ op: 'CONCATENATION', inputs: [g1, g2], outputs: [y], axis: 1, activation: 'NONE' });
  return b.build([x], [y]);
}

/**
 * Four residual blocks on x [1,12,10,3], each a case of the native runtime's banded blocks: one 3x3 conv +
 * identity ADD (its bands wait one band before they overwrite the input), an inverted residual (1x1
 * expand, 3x3 depthwise, 1x1 project, the ADD's inputs swapped), a stride-2 block with a 1x1 stride-2
 * shortcut conv, and a block whose input is read again after its ADD (so the ADD writes its own tensor).
 */
export function residualNet(): TfliteModel {
  const b = new ModelBuilder();
  let seed = 100;
  const act = (name: string, shape: number[], zp: number) => b.int8(name, shape, { scale: 0.03 + (seed % 7) * 0.004, zeroPoint: zp });
  const conv = (x: number, shape: number[], oc: number, k: number, stride: number, name: string, zp: number, depthwise = false) => {
    const ic = shape[3]!;
    const oh = Math.ceil(shape[1]! / stride), ow = Math.ceil(shape[2]! / stride);
    const n = depthwise ? k * k * ic : oc * k * k * ic;
    const scales = Array.from({ length: oc }, (_, c) => 0.004 + 0.001 * ((c * 7 + seed) % 5));
    const w = depthwise
      ? b.int8(`${name}_w`, [1, k, k, oc], { scale: scales, zeroPoint: 0, dim: 3 }, randomInts(seed++, n, -127, 127))
      : b.int8(`${name}_w`, [oc, k, k, ic], { scale: scales, zeroPoint: 0 }, randomInts(seed++, n, -127, 127));
    const bias = b.int32(`${name}_b`, [oc], randomInts(seed++, oc, -4000, 4000));
    const y = act(name, [1, oh, ow, oc], zp);
    const geometry = { padding: 'SAME' as const, strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, activation: 'RELU' as const };
    b.op(depthwise ? { op: 'DEPTHWISE_CONV_2D', inputs: [x, w, bias], outputs: [y], ...geometry, depthMultiplier: 1 } : { op: 'CONV_2D', inputs: [x, w, bias], outputs: [y], ...geometry });
    return { t: y, shape: [1, oh, ow, oc] };
  };
  const add = (p: number, q: number, shape: number[], name: string) => {
    const y = act(name, shape, -20);
    b.op({ op: 'ADD', inputs: [p, q], outputs: [y], activation: 'NONE' });
    return y;
  };
  const x = b.int8('x', [1, 12, 10, 3], { scale: 0.05, zeroPoint: 3 });
  const stem = conv(x, [1, 12, 10, 3], 8, 3, 1, 'stem', -128);
  const a = conv(stem.t, stem.shape, 8, 3, 1, 'a', -128);
  const r1 = add(stem.t, a.t, stem.shape, 'r1');
  const e = conv(r1, stem.shape, 16, 1, 1, 'expand', -128);
  const d = conv(e.t, e.shape, 16, 3, 1, 'dw', -128, true);
  const p = conv(d.t, d.shape, 8, 1, 1, 'project', 5);
  const r2 = add(p.t, r1, stem.shape, 'r2');
  const c1 = conv(r2, stem.shape, 16, 3, 2, 'c1', -128);
  const c2 = conv(c1.t, c1.shape, 16, 3, 1, 'c2', -128);
  const sc = conv(r2, stem.shape, 16, 1, 2, 'shortcut', 0);
  const r3 = add(sc.t, c2.t, c1.shape, 'r3');
  const d1 = conv(r3, c1.shape, 16, 3, 1, 'd1', -128);
  const r4 = add(r3, d1.t, c1.shape, 'r4');
  const r5 = add(r4, r3, c1.shape, 'r5');
  return b.build([x], [r5]);
}
