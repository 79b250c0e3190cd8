/**
 * reparo_kernels.h for the generated native runtime: TFLite Micro's integer requantization
 * arithmetic in portable C99, and on cores with the DSP extension (Cortex-M4/M7/M33) the SMLAD
 * building blocks that the per-layer code calls. Integer sums are exact modulo 2^32 in any order,
 * so the DSP path is bit-exact with the portable one.
 */
export function kernelsHeader(alignment: number): string {
  return `/* reparo: TFLite Micro's integer requantization arithmetic (double rounding), portable C99,
   and SMLAD building blocks where the core has the DSP extension. */
#ifndef REPARO_KERNELS_H
#define REPARO_KERNELS_H

#include <stdint.h>
#include <string.h>

/* RV32 with GCC: no instruction scheduling before register allocation. It hoists the loads of the
   scalar loops' register blocks and then spills accumulators (measured: 46 instead of 43 instructions
   per 16 MACs in the 4 x 4 block); the scheduling after allocation stays. */
#if defined(__riscv) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif

#if defined(__GNUC__) || defined(__clang__)
#define REPARO_ALIGN __attribute__((aligned(${alignment})))
#define REPARO_NOINLINE __attribute__((noinline))
#else
#define REPARO_ALIGN
#define REPARO_NOINLINE
#endif

/* The DSP path is the default wherever the core has it; -DREPARO_NO_DSP forces portable C. */
#if !defined(REPARO_NO_DSP) && defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#define REPARO_DSP 1
#include <arm_acle.h>

/* x ror 8, sign-extended bytes 1 and 3 into two int16 halves */
static inline int32_t reparo_sxtb16_ror8(int32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* c + the high word of a * b rounded: (c * 2^32 + a * b + 2^31) >> 32 */
static inline int32_t reparo_smmlar(int32_t a, int32_t b, int32_t c) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}

/* the 4 bytes at p sign-extended by SXTB16: {p[0], p[2]}, and {p[1], p[3]} with ror 8 */
static inline int32_t reparo_sxtb16_at(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return __sxtb16(v);
}

static inline int32_t reparo_sxtb16_ror8_at(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return reparo_sxtb16_ror8(v);
}

/* p[0], p[1] = lo, hi in one STRD, then p += 4 words: the gemm rows interleave two pixels, 2 words each per
   group of 4 inputs (GCC stores the two words with two STRs) */
#define REPARO_STRD_STEP(p, lo, hi) \
  __asm__("strd %2, %3, [%1], #16" : "=m"(*(int32_t(*)[2])(p)), "+r"(p) : "r"(lo), "r"(hi))

/* 4 * n4 int8 values as int16 pairs: {x0, x2}, {x1, x3} per group of 4 (the order SXTB16 gives), group g at dst[4 * g] */
static inline void reparo_expand_s8(int32_t *dst, const int8_t *src, int n4) {
  for (int g = 0; g < n4; ++g) {
    int32_t v, e, o;
    memcpy(&v, src + 4 * g, 4);
    e = __sxtb16(v);
    o = reparo_sxtb16_ror8(v);
    REPARO_STRD_STEP(dst, e, o);
  }
}

/* reparo_expand_s8 doubled: 2 * x as int16 pairs, for a doubled accumulator */
static inline void reparo_expand2_s8(int32_t *dst, const int8_t *src, int n4) {
  for (int g = 0; g < n4; ++g) {
    int32_t v, e, o;
    memcpy(&v, src + 4 * g, 4);
    e = __sxtb16(v);
    o = reparo_sxtb16_ror8(v);
    e = __sadd16(e, e);
    o = __sadd16(o, o);
    REPARO_STRD_STEP(dst, e, o);
  }
}

/* n4 groups of two words v, group g at dst[4 * g] */
static inline void reparo_fill_pairs(int32_t *dst, int32_t v, int n4) {
  for (int g = 0; g < n4; ++g) REPARO_STRD_STEP(dst, v, v);
}

/* a gemm layer for the generated pixel-pair functions: the stream of each channel pair's bias, weights and
   requantization constants, and the number of channel pairs */
typedef struct {
  const int32_t *stream;
  int32_t pairs;
} reparo_gemm_t;

/* depthwise, channels c..c+3 of one tap: x the 4 input bytes, w {w[c], w[c+2]}, {w[c+1], w[c+3]} as int16 pairs */
static inline void reparo_dw_tap4(const int8_t *x, const int32_t *w, int32_t acc[4]) {
  int32_t v, e, o;
  memcpy(&v, x, 4);
  e = __sxtb16(v);
  o = reparo_sxtb16_ror8(v);
  acc[0] = __smlabb(e, w[0], acc[0]);
  acc[2] = __smlatt(e, w[0], acc[2]);
  acc[1] = __smlabb(o, w[1], acc[1]);
  acc[3] = __smlatt(o, w[1], acc[3]);
}

/* acc + the dot product of 4 * n4 int8 values with int8 weights, both unpacked with SXTB16 */
static inline uint32_t reparo_dot_s8(const int8_t *x, const int8_t *w, int n4, uint32_t acc) {
  int32_t a = (int32_t)acc;
  for (int g = 0; g < n4; ++g) {
    int32_t v, u;
    memcpy(&v, x + 4 * g, 4);
    memcpy(&u, w + 4 * g, 4);
    a = __smlad(__sxtb16(v), __sxtb16(u), a);
    a = __smlad(reparo_sxtb16_ror8(v), reparo_sxtb16_ror8(u), a);
  }
  return (uint32_t)a;
}
#else
#define REPARO_DSP 0
#endif

/* gemmlowp SaturatingRoundingDoublingHighMul */
static inline int32_t reparo_srdhm(int32_t a, int32_t b) {
  int64_t ab;
  int32_t nudge;
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
#if REPARO_DSP
  /* trunc((ab + nudge) / 2^31) == floor((ab + 2^30) / 2^31) for either sign; GCC and clang shift signed values arithmetically */
  (void)nudge;
  return (int32_t)((ab + (1 << 30)) >> 31);
#else
  nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
#endif
}

/* gemmlowp RoundingDivideByPOT, exponent in [0, 31] */
static inline int32_t reparo_rdbypot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier: shift > 0 shifts left (wrapping) before the high multiply */
static inline int32_t reparo_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  if (shift > 0) return reparo_srdhm((int32_t)((uint32_t)x << shift), multiplier);
  return reparo_rdbypot(reparo_srdhm(x, multiplier), -shift);
}

/* reparo_mbqm(x2 / 2, multiplier, -e) + zero point for the doubled accumulator x2, |x2| < 2^31 and 1 <= e <= 22
   (checked when the code is generated): y = floor((x2 * m + 2^31) / 2^32) is the doubling high multiply, and with
   c = 2^(e-1) + (zp << e) one shift rounds half away from zero and adds the zero point. The sign of x2 stands for
   the sign of y: they differ only where y == 0, and there c - 1 and c shift to the same zp. */
static inline int32_t reparo_requant2(int32_t x2, int32_t multiplier, int32_t c, int e) {
#if REPARO_DSP
  const int32_t y = reparo_smmlar(x2, multiplier, c);
#else
  /* the same rounding without a 64-bit add: with P = hi * 2^32 + lo (lo unsigned), (P + 2^31) >> 32 is hi
     plus the carry of lo + 2^31, lo's top bit (on RV32: MULH, MUL, SRLI, ADD) */
  const int32_t hi = (int32_t)(((int64_t)x2 * multiplier) >> 32);
  const uint32_t lo = (uint32_t)x2 * (uint32_t)multiplier;
  const int32_t y = (int32_t)((uint32_t)hi + (lo >> 31) + (uint32_t)c);
#endif
  return (y + (x2 >> 31)) >> e;
}

/* the same for the accumulator itself, |x| < 2^30 */
static inline int32_t reparo_requant(int32_t x, int32_t multiplier, int32_t c, int e) {
  return reparo_requant2(x * 2, multiplier, c, e);
}

/* reparo_mbqm(x2 / 2, multiplier, s) + zp for a left shift s >= 0 and |x2 << s| < 2^31 (checked when the code is
   generated): no second rounding, and TFLite's doubling high multiply rounds half up, as SMMLAR does. */
static inline int32_t reparo_requantl2(int32_t x2, int32_t multiplier, int32_t zp, int s) {
  const int32_t x = (int32_t)((uint32_t)x2 << s);
#if REPARO_DSP
  return reparo_smmlar(x, multiplier, zp);
#else
  const int32_t hi = (int32_t)(((int64_t)x * multiplier) >> 32);
  const uint32_t lo = (uint32_t)x * (uint32_t)multiplier;
  return (int32_t)((uint32_t)hi + (lo >> 31) + (uint32_t)zp);
#endif
}

static inline int32_t reparo_requantl(int32_t x, int32_t multiplier, int32_t zp, int s) {
  return reparo_requantl2(x * 2, multiplier, zp, s);
}

/* per-channel constants of reparo_requant */
typedef struct {
  int32_t multiplier, add, shift;
} reparo_rq_t;

#if REPARO_DSP
#define REPARO_SAT8(v) __ssat((v), 8)
#else
/* one unsigned compare for both bounds; out of range, v >> 31 is -1 or 0 and ^ 127 makes it -128 or 127 */
static inline int32_t reparo_sat8(int32_t v) { return (uint32_t)v + 128u > 255u ? (v >> 31) ^ 127 : v; }
#define REPARO_SAT8(v) reparo_sat8(v)
#endif

static inline int reparo_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) { x <<= 1; ++n; }
  return n;
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent */
static inline int32_t reparo_sat_shl(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1, Q0.31 in and out */
static inline int32_t reparo_one_over_one_plus_x(int32_t a) {
  const int64_t s = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
  int32_t x = (int32_t)((uint32_t)1515870810 + (uint32_t)reparo_srdhm(half_denominator, -1010580540));
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus = (int32_t)((uint32_t)(1 << 29) - (uint32_t)reparo_srdhm(half_denominator, x));
    x = (int32_t)((uint32_t)x + (uint32_t)reparo_sat_shl(reparo_srdhm(x, one_minus), 2));
  }
  return reparo_sat_shl(x, 1);
}

#endif
`;
}
