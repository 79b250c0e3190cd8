/**
 * Small int8 models of the mobile-net ops (HARD_SWISH, GELU, CONCATENATION, RESIZE_*), one input and
 * one output each, for the interpreter against TFLite Micro and against the native runtime. Their
 * quantizations reach each code path: HARD_SWISH's reluish exponent above, at and below 0; every
 * resize mode, up and down; a concat of six inputs.
 */
import type { TfliteModel } from '../../toolkit/tflite/model.ts';
import { ModelBuilder } from './model-builder.ts';

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
