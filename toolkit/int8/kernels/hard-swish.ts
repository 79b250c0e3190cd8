/**
 * HARD_SWISH, int8 (reference_ops::HardSwish with TFLM's HardSwishPrepare): x·relu6(x + 3)/6 in
 * 16-bit fixed point. x − zp is moved to a "hires" scale (×2^7), multiplied onto the output scale,
 * and separately rescaled so that 3.0 ↦ 2^15 (saturating) to give the "reluish" factor in [0, 1];
 * the product uses the truncating SaturatingDoublingHighMul, then the output shift and zero point.
 * Both multipliers are QuantizeMultiplier's, cut to int16 by DownScaleInt32ToInt16Multiplier.
 * The int16 additions wrap as C's conversions to int16_t do.
 */
import { INT32_MAX, quantizeMultiplier } from '../arithmetic.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { tensorQuant } from '../quant.ts';
import { evalLookup, prepareLookup, type LookupData } from './lookup.ts';

type HardSwishOp = OpOf<'HARD_SWISH'>;

const INT16_MIN = -32768;
const INT16_MAX = 32767;
const toInt16 = (x: number) => (x << 16) >> 16;
const clamp16 = (x: number) => (x < INT16_MIN ? INT16_MIN : x > INT16_MAX ? INT16_MAX : x);

/** gemmlowp SaturatingRoundingDoublingHighMul for int16. */
export function srdhm16(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  const ab = a * b;
  return Math.trunc((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / 32768);
}

/** reference_ops::SaturatingDoublingHighMul: the same, truncating instead of rounding. */
export function sdhm16(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  return Math.trunc((a * b) / 32768);
}

/** gemmlowp RoundingDivideByPOT on int16 (its mask is (2^e − 1) cut to 16 bits). */
export function roundingDivideByPOT16(x: number, exponent: number): number {
  const mask = exponent >= 16 ? -1 : (1 << exponent) - 1;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return toInt16((x >> exponent) + ((x & mask) > threshold ? 1 : 0));
}

/** DownScaleInt32ToInt16Multiplier. */
export function downScaleToInt16(m: number): number {
  return m >= INT32_MAX - (1 << 15) ? INT16_MAX : (m + (1 << 15)) >> 16;
}

export interface HardSwishParams {
  inputZeroPoint: number;
  outputZeroPoint: number;
  outputMultiplier: number;
  outputExponent: number;
  reluishMultiplier: number;
  reluishExponent: number;
}

/** HardSwishPrepare's parameters from the float32 scales (undefined when its output exponent is > 0: TFLM refuses). */
export function hardSwishParams(inScale: number, inZeroPoint: number, outScale: number, outZeroPoint: number): HardSwishParams | undefined {
  const hires = Math.fround(Math.fround(1 / 128) * inScale);
  const reluishScale = Math.fround(3 / 32768);
  const out = quantizeMultiplier(Math.fround(hires / outScale));
  const reluish = quantizeMultiplier(Math.fround(hires / reluishScale));
  if (out.shift > 0) return undefined;
  return {
    inputZeroPoint: inZeroPoint,
    outputZeroPoint: outZeroPoint,
    outputMultiplier: downScaleToInt16(out.multiplier),
    outputExponent: out.shift,
    reluishMultiplier: downScaleToInt16(reluish.multiplier),
    reluishExponent: reluish.shift,
  };
}

/** One int8 value through reference_ops::HardSwish. */
export function hardSwishInt8(v: number, p: HardSwishParams): number {
  const x = toInt16(v - p.inputZeroPoint);
  const hires = toInt16(x * 128);
  const preshiftOutput = srdhm16(hires, p.outputMultiplier);
  let reluish = hires;
  if (p.reluishExponent > 0) reluish = clamp16(reluish * 2 ** (p.reluishExponent - 1));
  reluish = srdhm16(reluish, p.reluishMultiplier);
  if (p.reluishExponent > 0) reluish = clamp16(reluish * 2);
  if (p.reluishExponent < 0) reluish = roundingDivideByPOT16(reluish, -p.reluishExponent);
  reluish = toInt16((reluish + (1 << 15)) >> 1);
  const preshift = sdhm16(reluish, preshiftOutput);
  const out = toInt16(roundingDivideByPOT16(preshift, -p.outputExponent) + p.outputZeroPoint);
  return out < -128 ? -128 : out > 127 ? 127 : out;
}

export function prepareHardSwish(op: HardSwishOp, ctx: KernelContext): LookupData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  const inQ = tensorQuant(ctx, inIdx), outQ = tensorQuant(ctx, outIdx);
  const p = hardSwishParams(inQ.scale, inQ.zeroPoint, outQ.scale, outQ.zeroPoint);
  if (!p) ctx.fail(`input scale ${inQ.scale}/128 over output scale ${outQ.scale} is 1 or more (TFLite requires it below 1)`, 'E_QUANT_PARAMS', 'give HARD_SWISH an output scale above 1/128 of its input scale');
  return prepareLookup(ctx, inIdx, outIdx, (v) => hardSwishInt8(v, p!));
}

export const hardSwish: Kernel<HardSwishOp, LookupData> = { prepare: prepareHardSwish, eval: evalLookup };
