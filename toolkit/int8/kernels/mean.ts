/**
 * MEAN, int8 (reference_ops::QuantizedMeanOrSum, as TFLite Micro's reduce.cc runs it for int8):
 * int32 sums over the reduced axes, minus zpIn·n, requantized by (sIn/sOut)/n where the 1/n is
 * folded into the multiplier: m' = (m << s) / n, shift' = shift − s with s = ⌊log2 n⌋ clamped to
 * min(32, 31 + shift). No fused activation; the result saturates to int8.
 */
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../arithmetic.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { elementCount, tensorQuant } from '../quant.ts';

type MeanOp = OpOf<'MEAN'>;

export interface MeanData {
  input: Int8Array;
  output: Int8Array;
  /** output element of every input element */
  target: Int32Array;
  sums: Int32Array;
  /** zpIn · n, subtracted from each sum */
  zeroPointSum: number;
  multiplier: number;
  shift: number;
  outputZeroPoint: number;
}

export function prepareMean(op: MeanOp, ctx: KernelContext): MeanData {
  const [inIdx, axisIdx, outIdx] = [op.inputs[0], op.inputs[1], op.outputs[0]];
  const shape = ctx.def(inIdx).shape;
  const axes = new Set<number>();
  for (const a of ctx.constInts(axisIdx)) {
    const axis = a < 0 ? a + shape.length : a;
    if (axis < 0 || axis >= shape.length) ctx.fail(`axis ${a} is out of range for rank ${shape.length}`, 'E_SHAPE');
    axes.add(axis);
  }
  const kept = shape.map((d, i) => (axes.has(i) ? (op.keepDims ? 1 : 0) : d)).filter((d) => d > 0);
  const outShape = ctx.def(outIdx).shape;
  if (elementCount(outShape) !== elementCount(kept)) ctx.fail(`output [${outShape}] does not fit reducing [${shape}] over axes [${[...axes]}]`, 'E_SHAPE');
  const count = [...axes].reduce((n, a) => n * shape[a], 1);

  const inQ = tensorQuant(ctx, inIdx);
  const outQ = tensorQuant(ctx, outIdx);
  const base = quantizeMultiplier(inQ.scale / outQ.scale);
  const s = Math.min(31 - Math.clz32(count), 32, 31 + base.shift); // ⌊log2 n⌋
  return {
    input: ctx.data(inIdx, 'int8'),
    output: ctx.data(outIdx, 'int8'),
    target: reductionTargets(shape, axes),
    sums: new Int32Array(elementCount(outShape)),
    zeroPointSum: inQ.zeroPoint * count,
    multiplier: Number((BigInt(base.multiplier) << BigInt(s)) / BigInt(count)),
    shift: base.shift - s,
    outputZeroPoint: outQ.zeroPoint,
  };
}

/** Row-major index over the kept axes for every input element. */
function reductionTargets(shape: number[], axes: Set<number>): Int32Array {
  const strides = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    if (axes.has(i)) continue;
    strides[i] = s;
    s *= shape[i];
  }
  const target = new Int32Array(elementCount(shape));
  const pos = new Array<number>(shape.length).fill(0);
  for (let e = 0, at = 0; e < target.length; e++) {
    target[e] = at;
    for (let i = shape.length - 1; i >= 0; i--) {
      at += strides[i];
      if (++pos[i] < shape[i]) break;
      at -= strides[i] * pos[i];
      pos[i] = 0;
    }
  }
  return target;
}

export function evalMean(d: MeanData): void {
  const { sums, target, input } = d;
  sums.fill(0);
  for (let i = 0; i < input.length; i++) sums[target[i]] += input[i];
  for (let o = 0; o < sums.length; o++) {
    const v = multiplyByQuantizedMultiplier((sums[o] - d.zeroPointSum) | 0, d.multiplier, d.shift) + d.outputZeroPoint;
    d.output[o] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
}

export const mean: Kernel<MeanOp, MeanData> = { prepare: prepareMean, eval: evalMean };
