import { describe, expect, it } from 'vitest';
import {
  INT32_MAX,
  INT32_MIN,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturateInt8,
  saturatingRoundingDoublingHighMul as srdhm,
} from '../../toolkit/int8/index.ts';
import { Arena } from '../../toolkit/int8/arena.ts';
import { createOutputStage, requantize } from '../../toolkit/int8/requantize.ts';
import { randomInts } from './model-builder.ts';

// Expected values are derived by hand from TFLite's formulas (quantization_util.cc, gemmlowp
// fixedpoint.h, common.cc); the derivation is in the comment next to each.
describe('quantizeMultiplier (QuantizeMultiplier: frexp, round(q·2^31), renormalize, flush)', () => {
  it.each([
    // real, multiplier, shift: real = multiplier · 2^(shift − 31)
    [0, 0, 0], // zero is special-cased
    [0.5, 1073741824, 0], // frexp(0.5) = 0.5·2^0 → 0.5·2^31 = 2^30
    [1, 1073741824, 1], // frexp(1) = 0.5·2^1
    [0.75, 1610612736, 0], // 0.75·2^31
    [3, 1610612736, 2], // 3 = 0.75·2^2
    [1536, 1610612736, 11], // > 1: 1536 = 0.75·2^11
    [0.1, 1717986918, -3], // 0.1 = 0.8·2^-3; 0.8·2^31 = 1717986918.4 → 1717986918
    [2 ** -32, 1073741824, -31], // 0.5·2^-31: the smallest shift kept
    [2 ** -33, 0, 0], // shift −32 < −31: flushed to zero
    [1 - 2 ** -40, 1073741824, 1], // q·2^31 = 2^31 − 2^-9 rounds to 2^31 → halve, shift + 1
  ])('%d → (%d, %d)', (real, multiplier, shift) => {
    expect(quantizeMultiplier(real)).toEqual({ multiplier, shift });
  });

  it('rounds the mantissa half away from zero', () => {
    // 0.5 + 2^-32 = (2^30 + 0.5)·2^-31: exactly halfway → 2^30 + 1
    expect(quantizeMultiplier(0.5 + 2 ** -32)).toEqual({ multiplier: 1073741825, shift: 0 });
  });
});

describe('SaturatingRoundingDoublingHighMul: (a·b + nudge) / 2^31 truncated, nudge 2^30 or 1 − 2^30', () => {
  it.each([
    [INT32_MIN, INT32_MIN, INT32_MAX], // the one overflow: saturates
    [INT32_MAX, INT32_MAX, 2147483646], // (2^62 − 2^32 + 1 + 2^30)/2^31 = 2147483646.5000000005 → 2147483646
    [INT32_MIN, INT32_MAX, -2147483647], // (−2^62 + 2^31 + 1 − 2^30)/2^31 = −2147483647.4999999995 → −2147483647
    [INT32_MAX, INT32_MIN, -2147483647], // symmetric
    [1 << 30, 1 << 30, 536870912], // 2^60/2^31 = 2^29, nudge adds 0.5 → truncated away
    [1, 1 << 30, 1], // 0.5: (2^30 + 2^30)/2^31 = 1
    [-1, 1 << 30, 0], // −0.5: (−2^30 + 1 − 2^30)/2^31 = −0.9999999995 → 0 (ties go up, not away from 0)
    [-3, 1 << 30, -1], // −1.5: (−3·2^30 + 1 − 2^30)/2^31 = −1.9999999995 → −1
    [0, INT32_MIN, 0],
    [12, 1610612736, 9], // 12 · 0.75
    [1000, 1 << 30, 500],
  ])('srdhm(%d, %d) = %d', (a, b, want) => {
    expect(srdhm(a, b)).toBe(want);
  });

  it('agrees with 64-bit BigInt arithmetic on random and extreme operands', () => {
    const oracle = (a: number, b: number) => {
      if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
      const ab = BigInt(a) * BigInt(b);
      return Number((ab + (ab >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n)); // BigInt division truncates
    };
    const edge = [INT32_MIN, INT32_MIN + 1, -(1 << 30), -1, 0, 1, 1 << 30, INT32_MAX - 1, INT32_MAX];
    const values = [...edge, ...randomInts(1, 3000, INT32_MIN, INT32_MAX), ...randomInts(2, 1000, -5000000, 5000000)];
    const ms = [...edge, ...randomInts(3, 200, INT32_MIN, INT32_MAX), ...randomInts(4, 200, 1 << 30, INT32_MAX)];
    let checked = 0;
    for (const a of values) {
      for (let j = 0; j < 20; j++) {
        const b = ms[(checked * 7 + j) % ms.length];
        expect(srdhm(a, b), `${a}·${b}`).toBe(oracle(a, b));
        checked++;
      }
    }
  });
});

describe('RoundingDivideByPOT: x / 2^e rounded half away from zero', () => {
  it.each([
    [5, 1, 3], // 2.5 → 3
    [-5, 1, -3], // −2.5 → −3
    [-4, 1, -2],
    [6, 2, 2], // 1.5 → 2
    [-6, 2, -2], // −1.5 → −2
    [7, 2, 2], // 1.75 → 2
    [-7, 2, -2],
    [5, 2, 1], // 1.25 → 1
    [-5, 2, -1],
    [123, 0, 123], // e = 0 is the identity
    [-1, 31, 0], // −2^-31 → 0
    [INT32_MIN, 31, -1], // exactly −1
    [INT32_MAX, 31, 1], // 0.99999999953 → 1
    [1 << 30, 31, 1], // 0.5 → 1
    [-(1 << 30), 31, -1], // −0.5 → −1
  ])('rdbpot(%d, %d) = %d', (x, e, want) => {
    expect(roundingDivideByPOT(x, e)).toBe(want);
  });
});

describe('MultiplyByQuantizedMultiplier (double rounding, TFLite Micro default build)', () => {
  it.each([
    [1000, 1 << 30, -3, 63], // srdhm = 500; 500/8 = 62.5 → 63
    [-1000, 1 << 30, -3, -63], // srdhm = −500 (−500.4999… truncated); −62.5 → −63
    [3, 1610612736, 2, 9], // left shift: 3·4 = 12, ·0.75 = 9
    [7, 1 << 30, 0, 4], // 3.5: srdhm (7·2^30 + 2^30)/2^31 = 4
    [-7, 1 << 30, 0, -3], // −3.5: srdhm rounds ties up → −3
    // double rounding: 4 · 0.65 / 2 = 1.3 would be 1 with one rounding; srdhm gives
    // (4·1395864371 + 2^30)/2^31 = 3.1000000007 → 3, then 3/2 = 1.5 → 2
    [4, 1395864371, -1, 2],
    [1 << 29, 1 << 30, 3, 0], // the left shift wraps like C's int32 multiply: 2^29·8 = 2^32 → 0
  ])('mbqm(%d, %d, %d) = %d', (x, m, shift, want) => {
    expect(multiplyByQuantizedMultiplier(x, m, shift)).toBe(want);
  });

  it('the WebAssembly output stage equals bias + MultiplyByQuantizedMultiplier + zero point, clamped', () => {
    // 40 pixel rows of 100 channels, int32 sums spanning the whole range
    const [channels, pixels] = [100, 40];
    const acc = Int32Array.from([...randomInts(5, channels * pixels - 4, -3000000, 3000000), INT32_MAX, INT32_MIN, 2 ** 30, -(2 ** 30)]);
    const bias = Int32Array.from(randomInts(6, channels, -50000, 50000));
    const mult = Int32Array.from(randomInts(7, channels, 0, INT32_MAX));
    const shifts = Int32Array.from(randomInts(8, channels, -31, 4));
    const arena = new Arena();
    const stage = createOutputStage(arena, bias, mult, shifts, -7, -100, 120);
    const accAt = arena.allocInt32(acc);
    const outAt = arena.alloc(acc.length);
    requantize(arena, stage, accAt, 4 * channels, 0, channels, pixels, outAt, channels);
    const out = arena.i8.subarray(outAt, outAt + acc.length);
    for (let i = 0; i < acc.length; i++) {
      const c = i % channels;
      const want = Math.min(120, Math.max(-100, multiplyByQuantizedMultiplier((acc[i] + bias[c]) | 0, mult[c], shifts[c]) - 7));
      expect(out[i], `element ${i}`).toBe(want);
    }
  });
});

describe('saturating int8 cast', () => {
  it('clamps to [−128, 127]', () => {
    expect([-1000, -129, -128, 0, 127, 128, 1000].map(saturateInt8)).toEqual([-128, -128, -128, 0, 127, 127, 127]);
  });
});
