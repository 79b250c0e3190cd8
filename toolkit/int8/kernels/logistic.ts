/**
 * LOGISTIC, int8 (reference_integer_ops::Logistic): x − zpIn is rescaled into Q4.27, gemmlowp's
 * fixed-point logistic gives Q0.31, rounded to Q0.8 and offset by −128. Inputs beyond the radius
 * where Q4.27 would overflow saturate to −128 / 127. The output zero point must be −128 (TFLite
 * Micro checks it; the output scale is taken to be 1/256 and not checked).
 *
 * The result depends on the int8 input alone, so prepare tabulates all 256.
 */
import { frexp, multiplyByQuantizedMultiplier, roundHalfAwayFromZero, roundingDivideByPOT } from '../arithmetic.ts';
import { calculateInputRadius, logistic as fixedPointLogistic } from '../fixedpoint.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { elementCount, tensorQuant } from '../quant.ts';

type LogisticOp = OpOf<'LOGISTIC'>;

const INPUT_INTEGER_BITS = 4;

export interface LogisticData {
  input: Int8Array;
  output: Int8Array;
  /** output for input value v at [v + 128] */
  table: Int8Array;
}

export function prepareLogistic(op: LogisticOp, ctx: KernelContext): LogisticData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  if (elementCount(ctx.def(inIdx).shape) !== elementCount(ctx.def(outIdx).shape)) ctx.fail('input and output sizes differ', 'E_SHAPE');
  const inQ = tensorQuant(ctx, inIdx);
  if (tensorQuant(ctx, outIdx).zeroPoint !== -128) ctx.fail('int8 LOGISTIC output must have zero point −128 (and scale 1/256)', 'E_QUANT_PARAMS');
  // TFLite's own frexp + round here, without QuantizeMultiplier's renormalization
  const { fraction, exponent: leftShift } = frexp(inQ.scale * 2 ** (31 - INPUT_INTEGER_BITS));
  const multiplier = roundHalfAwayFromZero(fraction * 2 ** 31) | 0;
  const radius = calculateInputRadius(INPUT_INTEGER_BITS, leftShift);
  const table = new Int8Array(256);
  for (let v = -128; v < 128; v++) {
    const x = v - inQ.zeroPoint;
    if (x <= -radius) table[v + 128] = -128;
    else if (x >= radius) table[v + 128] = 127;
    else {
      const q0 = fixedPointLogistic(multiplyByQuantizedMultiplier(x, multiplier, leftShift), INPUT_INTEGER_BITS);
      const r = roundingDivideByPOT(q0, 23) - 128;
      table[v + 128] = r < -128 ? -128 : r > 127 ? 127 : r;
    }
  }
  return { input: ctx.data(inIdx, 'int8'), output: ctx.data(outIdx, 'int8'), table };
}

export function evalLogistic(d: LogisticData): void {
  for (let i = 0; i < d.input.length; i++) d.output[i] = d.table[d.input[i] + 128];
}

export const logistic: Kernel<LogisticOp, LogisticData> = { prepare: prepareLogistic, eval: evalLogistic };
