/** Seed models for the fuzz suites: valid inputs that pass every check, so that mutations reach deep. */
import type { TfliteModel } from '../../toolkit/tflite/index.ts';
import { ModelBuilder, randomInts } from '../int8/model-builder.ts';

/** A small int8 chain of every op the native runtime runs, quantized as the spec says (bias scale = input × weight scale). */
export function nativeChainModel(): TfliteModel {
  const b = new ModelBuilder();
  const x = b.int8('x', [1, 8, 8, 3], { scale: 0.05, zeroPoint: 7 });
  const pads = b.int32('pads', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0]);
  const xp = b.int8('xp', [1, 10, 10, 3], { scale: 0.05, zeroPoint: 7 });
  b.op({ op: 'PAD', inputs: [x, pads], outputs: [xp] });
  const dwScales = [0.02, 0.03, 0.01, 0.04, 0.02, 0.05];
  const dwW = b.int8('dw_w', [1, 3, 3, 6], { scale: dwScales, zeroPoint: 0, dim: 3 }, randomInts(1, 54, -127, 127));
  const dwB = b.int32('dw_b', [6], randomInts(2, 6, -3000, 3000), { scale: dwScales.map((s) => Math.fround(0.05) * Math.fround(s)), zeroPoint: 0 });
  const dw = b.int8('dw', [1, 5, 5, 6], { scale: 0.03, zeroPoint: -100 });
  b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [xp, dwW, dwB], outputs: [dw], padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, depthMultiplier: 2, activation: 'RELU6' });
  const cScales = [0.01, 0.02, 0.015, 0.03, 0.01, 0.02];
  const cW = b.int8('c_w', [6, 3, 3, 6], { scale: cScales, zeroPoint: 0 }, randomInts(3, 324, -127, 127));
  const cB = b.int32('c_b', [6], randomInts(4, 6, -20000, 20000), { scale: cScales.map((s) => Math.fround(0.03) * Math.fround(s)), zeroPoint: 0 });
  const cv = b.int8('cv', [1, 5, 5, 6], { scale: 0.04, zeroPoint: -20 });
  b.op({ op: 'CONV_2D', inputs: [dw, cW, cB], outputs: [cv], padding: 'SAME', strideH: 1, strideW: 1, dilationH: 2, dilationW: 1, activation: 'RELU' });
  const k = b.int8('k', [1, 1, 1, 6], { scale: 0.02, zeroPoint: 5 }, randomInts(5, 6, -128, 127));
  const ml = b.int8('ml', [1, 5, 5, 6], { scale: 0.05, zeroPoint: 3 });
  b.op({ op: 'MUL', inputs: [cv, k], outputs: [ml], activation: 'NONE' });
  const ad = b.int8('ad', [1, 5, 5, 6], { scale: 0.07, zeroPoint: -9 });
  b.op({ op: 'ADD', inputs: [cv, ml], outputs: [ad], activation: 'RELU' });
  const mp = b.int8('mp', [1, 3, 3, 6], { scale: 0.07, zeroPoint: -9 });
  b.op({ op: 'MAX_POOL_2D', inputs: [ad], outputs: [mp], padding: 'SAME', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' });
  const ap = b.int8('ap', [1, 3, 3, 6], { scale: 0.07, zeroPoint: -9 });
  b.op({ op: 'AVERAGE_POOL_2D', inputs: [mp], outputs: [ap], padding: 'SAME', strideH: 1, strideW: 1, filterH: 2, filterW: 2, activation: 'NONE' });
  const axes = b.int32('axes', [2], [1, 2]);
  const mn = b.int8('mn', [1, 1, 1, 6], { scale: 0.03, zeroPoint: 2 });
  b.op({ op: 'MEAN', inputs: [ap, axes], outputs: [mn], keepDims: true });
  const rs = b.int8('rs', [1, 6], { scale: 0.03, zeroPoint: 2 });
  b.op({ op: 'RESHAPE', inputs: [mn], outputs: [rs] });
  const fW = b.int8('f_w', [4, 6], { scale: 0.02, zeroPoint: 3 }, randomInts(6, 24, -127, 127));
  const fB = b.int32('f_b', [4], randomInts(7, 4, -500, 500), { scale: Math.fround(0.03) * Math.fround(0.02) });
  const fc = b.int8('fc', [1, 4], { scale: 0.01, zeroPoint: -4 });
  b.op({ op: 'FULLY_CONNECTED', inputs: [rs, fW, fB], outputs: [fc], activation: 'NONE', keepNumDims: false });
  const y = b.int8('y', [1, 4], { scale: 1 / 256, zeroPoint: -128 });
  b.op({ op: 'SOFTMAX', inputs: [fc], outputs: [y], beta: 1 });
  return b.build([x], [y]);
}
