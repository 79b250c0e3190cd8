/**
 * SOFTMAX, int8 → int8 (reference_ops::Softmax with gemmlowp fixed point): differences to the row
 * maximum are scaled by β·sIn into Q5.26, exponentiated, summed in Q12.19 and normalized by a
 * fixed-point reciprocal. Differences below diff_min contribute nothing and output −128. The
 * output must be quantized with scale 1/256 and zero point −128 (TFLite Micro checks this).
 *
 * exp depends only on the difference (−255 … 0), so prepare tabulates it.
 */
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../arithmetic.ts';
import { calculateInputRadius, expOnNegativeValues, getReciprocal, rescale } from '../fixedpoint.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { elementCount, tensorQuant } from '../quant.ts';

type SoftmaxOp = OpOf<'SOFTMAX'>;

const SCALED_DIFF_INTEGER_BITS = 5;
const ACCUMULATION_INTEGER_BITS = 12;

export interface SoftmaxData {
  input: Int8Array;
  output: Int8Array;
  depth: number;
  /** exp of difference −i in Q0.31 at [i], or −1 where the difference is below diff_min */
  expOfMinusDiff: Int32Array;
}

export function prepareSoftmax(op: SoftmaxOp, ctx: KernelContext): SoftmaxData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  const shape = ctx.def(inIdx).shape;
  if (shape.length < 1 || elementCount(shape) !== elementCount(ctx.def(outIdx).shape)) ctx.fail(`input [${shape}] and output [${ctx.def(outIdx).shape}] differ`, 'E_SHAPE');
  const inQ = tensorQuant(ctx, inIdx);
  const outQ = tensorQuant(ctx, outIdx);
  if (outQ.zeroPoint !== -128 || outQ.scale !== 1 / 256) {
    ctx.fail(`output is quantized (${outQ.scale}, ${outQ.zeroPoint})`, 'E_QUANT_PARAMS', 'int8 SOFTMAX output must have scale 1/256 and zero point −128');
  }
  // PreprocessSoftmaxScaling: β·sIn in Q5.26, capped; QuantizeMultiplierGreaterThanOne
  const real = Math.min(Math.fround(op.beta) * inQ.scale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  if (!(real > 1)) ctx.fail(`β·input scale = ${real / 2 ** 26} is too small for TFLite's int8 softmax`, 'E_QUANT_PARAMS');
  const { multiplier, shift } = quantizeMultiplier(real);
  const diffMin = -calculateInputRadius(SCALED_DIFF_INTEGER_BITS, shift);
  const expOfMinusDiff = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    const diff = -i;
    expOfMinusDiff[i] = diff >= diffMin ? expOnNegativeValues(multiplyByQuantizedMultiplier(diff, multiplier, shift), SCALED_DIFF_INTEGER_BITS) : -1;
  }
  return { input: ctx.data(inIdx, 'int8'), output: ctx.data(outIdx, 'int8'), depth: shape[shape.length - 1], expOfMinusDiff };
}

export function evalSoftmax(d: SoftmaxData): void {
  const { input, output, depth, expOfMinusDiff: table } = d;
  for (let row = 0; row < input.length; row += depth) {
    let max = -128;
    for (let c = 0; c < depth; c++) max = Math.max(max, input[row + c]);
    let sum = 0;
    for (let c = 0; c < depth; c++) {
      const e = table[max - input[row + c]];
      if (e >= 0) sum = (sum + rescale(e, 0, ACCUMULATION_INTEGER_BITS)) | 0;
    }
    const { scale, bitsOverUnit } = getReciprocal(sum, ACCUMULATION_INTEGER_BITS);
    const exponent = bitsOverUnit + 31 - 8;
    for (let c = 0; c < depth; c++) {
      const e = table[max - input[row + c]];
      if (e < 0) {
        output[row + c] = -128;
        continue;
      }
      const v = roundingDivideByPOT(saturatingRoundingDoublingHighMul(scale, e), exponent) - 128;
      output[row + c] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
  }
}

export const softmax: Kernel<SoftmaxOp, SoftmaxData> = { prepare: prepareSoftmax, eval: evalSoftmax };
