/**
 * TFLite's integer requantization arithmetic (tensorflow/lite/kernels/internal/common.{h,cc},
 * quantization_util.cc and gemmlowp's fixedpoint.h), reproduced bit for bit.
 *
 * TFLite Micro's default build does not define TFLITE_SINGLE_ROUNDING, so MultiplyByQuantizedMultiplier
 * is the "double rounding" variant: SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT.
 *
 * Values are JS numbers holding int32s. 64-bit products are formed exactly in doubles by splitting
 * one factor into 16-bit halves (every partial product stays below 2^48), so no BigInt is needed.
 */
import { ReparoError } from '../errors.ts';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;
const TWO_52 = 4503599627370496;

/** A real multiplier M ≈ multiplier · 2^(shift − 31), multiplier a Q31 mantissa in [2^30, 2^31). */
export interface QuantizedMultiplier {
  multiplier: number;
  /** > 0: left shift before the high multiply; ≤ 0: rounding right shift after it */
  shift: number;
}

/** C's std::round: half away from zero (Math.round rounds −2.5 to −2). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const frexpView = new DataView(new ArrayBuffer(8));

/** std::frexp: x = fraction · 2^exponent with 0.5 ≤ |fraction| < 1 (x finite, non-zero). */
export function frexp(x: number): { fraction: number; exponent: number } {
  // scale subnormals into the normal range first, then read the biased exponent bits
  const bias = Math.abs(x) < 2 ** -1000 ? 64 : 0;
  frexpView.setFloat64(0, x * 2 ** bias);
  const exponent = ((frexpView.getUint16(0) >> 4) & 0x7ff) - 1022;
  frexpView.setUint16(0, (frexpView.getUint16(0) & 0x800f) | (1022 << 4));
  return { fraction: frexpView.getFloat64(0), exponent: exponent - bias };
}

/** QuantizeMultiplier (quantization_util.cc, double-rounding build). */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!Number.isFinite(real)) throw new ReparoError('E_QUANT_PARAMS', `requantization multiplier ${real} is not finite (a zero or non-finite scale)`, { hint: 'quantization scales must be positive and finite: reparo check <model> lists the tensors' });
  if (real === 0) return { multiplier: 0, shift: 0 };
  const { fraction, exponent } = frexp(real);
  let shift = exponent;
  let qFixed = roundHalfAwayFromZero(fraction * TWO_31);
  if (qFixed === TWO_31) {
    // the mantissa rounded up to 1.0: renormalize
    qFixed /= 2;
    shift++;
  }
  if (shift < -31) {
    // TFLite flushes multipliers below ~2^-31 to zero rather than shifting by more than 31
    shift = 0;
    qFixed = 0;
  }
  return { multiplier: qFixed, shift };
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul: (a·b + nudge) / 2^31 truncated toward zero, where the
 * nudge is 2^30 for a non-negative product and 1 − 2^30 otherwise; INT32_MIN·INT32_MIN saturates.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  const ab = a * b;
  // below 2^52 the product and the nudged product are exact in a double (the common case), and
  // ToInt32 of the quotient truncates toward zero like C's division
  if (ab < TWO_52 && ab > -TWO_52) return ((ab + (ab >= 0 ? 1073741824 : -1073741823)) / TWO_31) | 0;
  return highMulWide(a, b);
}

/** The same for products of 2^52 and more, formed exactly from 16-bit halves of b. */
function highMulWide(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // a·b = p·2^16 + q with p = a·bHi, q = a·bLo; |p| < 2^46, 0 ≤ bLo < 2^16 so |q| < 2^47: both exact
  const p = a * (b >> 16);
  const q = a * (b & 0xffff);
  // p = pHi·2^15 + pLo, so a·b = pHi·2^31 + pLo·2^16 + q
  const pHi = Math.floor(p / 32768);
  const pLo = p - pHi * 32768;
  const nonNegative = a < 0 === b < 0; // a, b ≠ 0 here
  const r = pLo * 65536 + q + (nonNegative ? 1073741824 : -1073741823); // |r| < 2^48: exact
  // a·b + nudge = pHi·2^31 + r has the sign of a·b; truncate r/2^31 the same way
  const t = r / TWO_31;
  return (pHi + (nonNegative ? Math.floor(t) : Math.ceil(t))) | 0;
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero, exponent in [0, 31]. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent === 31 ? INT32_MAX : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * MultiplyByQuantizedMultiplier (common.cc, int32 overload, double rounding). Also covers TFLite's
 * ...SmallerThanOneExp (shift ≤ 0) and ...GreaterThanOne (shift ≥ 0) variants, which compute the same.
 * The left shift wraps like C's int32 multiply.
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  if (shift > 0) return saturatingRoundingDoublingHighMul(Math.imul(x, 1 << shift), multiplier);
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

/** Saturating cast to int8. */
export function saturateInt8(x: number): number {
  return x < -128 ? -128 : x > 127 ? 127 : x;
}

