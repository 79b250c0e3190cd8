/**
 * The scalar int32 part of gemmlowp's fixedpoint.h that TFLite's int8 SOFTMAX and LOGISTIC use
 * (gemmlowp commit 719139ce, the one TFLite Micro downloads). A FixedPoint<int32, I> value is its
 * raw int32 with I integer bits and 31 − I fractional bits; functions take I explicitly.
 * Plain additions wrap like int32 (`| 0`), exactly as gemmlowp's Add/Sub do.
 */
import { INT32_MAX, INT32_MIN, roundingDivideByPOT, saturatingRoundingDoublingHighMul as mul } from './arithmetic.ts';

/** SaturatingRoundingMultiplyByPOT<exponent>: saturating left shift, or rounding right shift. */
export function saturatingRoundingMultiplyByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return roundingDivideByPOT(x, -exponent);
  const threshold = (1 << (31 - exponent)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * (1 << exponent);
}

/** Rescale<dstIntegerBits>(FixedPoint<srcIntegerBits>). */
export function rescale(x: number, srcIntegerBits: number, dstIntegerBits: number): number {
  return saturatingRoundingMultiplyByPOT(x, srcIntegerBits - dstIntegerBits);
}

/** RoundingHalfSum for int32: (a + b ± 1) / 2 in 64 bits, truncated toward zero. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** exp(a) for a in [−1/4, 0), Q0.31 in and out: Taylor series around −1/8. */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const expMinusOneEighth = 1895147668; // exp(−1/8) in Q0.31
  const oneThird = 715827883; // 1/3 in Q0.31
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = mul(x, x);
  const x3 = mul(x2, x);
  const x4 = mul(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const tail = roundingDivideByPOT((mul((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (expMinusOneEighth + mul(expMinusOneEighth, (x + tail) | 0)) | 0;
}

/** exp(−2^k) in Q0.31 for k = −2 … 4: the barrel shifter of exp_on_negative_values. */
const EXP_OF_MINUS_POWERS_OF_TWO = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];

/** exp_on_negative_values: exp(a) for a ≤ 0 with `integerBits` integer bits in, Q0.31 out. */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusOneQuarter = ((a & (oneQuarter - 1)) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, integerBits, 0));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  for (let k = -2; k <= 4; k++) {
    if (integerBits > k && remainder & (1 << (fractionalBits + k))) result = mul(result, EXP_OF_MINUS_POWERS_OF_TWO[k + 2]);
  }
  if (integerBits > 5 && a < -(1 << (36 - integerBits))) result = 0; // below −32: exp rounds to 0
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + a) for a in [0, 1), Q0.31 in and out: three Newton–Raphson steps in Q2.29. */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const fortyEightOver17 = 1515870810; // Q2.29
  const minusThirtyTwoOver17 = -1010580540; // Q2.29
  let x = (fortyEightOver17 + mul(halfDenominator, minusThirtyTwoOver17)) | 0;
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenominatorTimesX = ((1 << 29) - mul(halfDenominator, x)) | 0;
    x = (x + rescale(mul(x, oneMinusHalfDenominatorTimesX), 4, 2)) | 0;
  }
  return rescale(x, 1, 0); // ExactMulByPot<−1>, then Q1.30 → Q0.31
}

/** gemmlowp logistic: 1 / (1 + exp(−a)) with `integerBits` integer bits in, Q0.31 out. */
export function logistic(a: number, integerBits: number): number {
  if (a === 0) return 1 << 30;
  const positive = a > 0;
  const absA = positive ? a : -a | 0;
  const ofPositive = oneOverOnePlusXForXIn01(expOnNegativeValues(-absA | 0, integerBits));
  return positive ? ofPositive : (INT32_MAX - ofPositive) | 0;
}

/**
 * GetReciprocal (common.h): 1/x for x with `integerBits` integer bits, as a Q0.31 scale plus the
 * number of bits x has above 1.0.
 */
export function getReciprocal(x: number, integerBits: number): { scale: number; bitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const shiftedMinusOne = (((x << headroomPlusOne) >>> 0) - 2147483648) | 0;
  return { scale: oneOverOnePlusXForXIn01(shiftedMinusOne), bitsOverUnit: integerBits - headroomPlusOne };
}

/** CalculateInputRadius (quantization_util.cc): largest |input| whose rescaled value stays in range. */
export function calculateInputRadius(integerBits: number, leftShift: number, totalSignedBits = 31): number {
  return Math.floor((((2 ** integerBits - 1) * 2 ** (totalSignedBits - integerBits)) / 2 ** leftShift));
}
