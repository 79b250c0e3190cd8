/**
 * LOGISTIC, int8 (reference_integer_ops::Logistic): x − zpIn is rescaled into Q4.27, gemmlowp's
 * fixed-point logistic gives Q0.31, rounded to Q0.8 and offset by −128. Inputs beyond the radius
 * where Q4.27 would overflow saturate to −128 / 127. The output zero point must be −128 (TFLite
 * Micro checks it; the output scale is taken to be 1/256 and not checked).
 */
import { frexp, multiplyByQuantizedMultiplier, roundHalfAwayFromZero, roundingDivideByPOT } from '../arithmetic.ts';
import { calculateInputRadius, logistic as fixedPointLogistic } from '../fixedpoint.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { tensorQuant } from '../quant.ts';
import { evalLookup, prepareLookup, type LookupData } from './lookup.ts';

type LogisticOp = OpOf<'LOGISTIC'>;

const INPUT_INTEGER_BITS = 4;

export function prepareLogistic(op: LogisticOp, ctx: KernelContext): LookupData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  const inQ = tensorQuant(ctx, inIdx);
  if (tensorQuant(ctx, outIdx).zeroPoint !== -128) ctx.fail('int8 LOGISTIC output must have zero point −128 (and scale 1/256)', 'E_QUANT_PARAMS');
  // TFLite's own frexp + round here, without QuantizeMultiplier's renormalization
  const { fraction, exponent: leftShift } = frexp(inQ.scale * 2 ** (31 - INPUT_INTEGER_BITS));
  const multiplier = roundHalfAwayFromZero(fraction * 2 ** 31) | 0;
  const radius = calculateInputRadius(INPUT_INTEGER_BITS, leftShift);
  return prepareLookup(ctx, inIdx, outIdx, (v) => {
    const x = v - inQ.zeroPoint;
    if (x <= -radius) return -128;
    if (x >= radius) return 127;
    const q0 = fixedPointLogistic(multiplyByQuantizedMultiplier(x, multiplier, leftShift), INPUT_INTEGER_BITS);
    const r = roundingDivideByPOT(q0, 23) - 128;
    return r < -128 ? -128 : r > 127 ? 127 : r;
  });
}

export const logistic: Kernel<LogisticOp, LookupData> = { prepare: prepareLogistic, eval: evalLookup };
