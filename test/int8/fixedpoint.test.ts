import { describe, expect, it } from 'vitest';
import { INT32_MAX, calculateInputRadius, expOnNegativeValues, getReciprocal, logistic, oneOverOnePlusXForXIn01, rescale } from '../../toolkit/int8/index.ts';

// gemmlowp's fixed-point functions: exact values where the code path is trivial, the real
// function (Math.exp) as the oracle elsewhere, within the tolerances gemmlowp's own
// test_fixedpoint.cc allows for int32 (in raw Q0.31 units): exp 500, 1/(1+x) 6, logistic 155.
const Q31 = 2 ** 31;

describe('gemmlowp fixed point', () => {
  it('exp(0) is One, logistic(0) is one half', () => {
    expect(expOnNegativeValues(0, 5)).toBe(INT32_MAX);
    expect(expOnNegativeValues(0, 4)).toBe(INT32_MAX);
    expect(logistic(0, 4)).toBe(1 << 30);
  });

  it('exp_on_negative_values tracks exp on Q5.26 and Q4.27 inputs', () => {
    for (const bits of [4, 5]) {
      for (let x = 0; x <= 15; x += 0.0625 + 1e-3) {
        const raw = -Math.round(x * 2 ** (31 - bits));
        const got = expOnNegativeValues(raw, bits);
        expect(Math.abs(got - Math.round(Math.exp(raw / 2 ** (31 - bits)) * Q31))).toBeLessThanOrEqual(500);
      }
    }
  });

  it('1/(1+x) on [0, 1) and logistic on [−15, 15]', () => {
    for (let x = 0; x < 1; x += 1 / 97) {
      const raw = Math.round(x * Q31);
      expect(Math.abs(oneOverOnePlusXForXIn01(raw) - Math.min(Q31 - 1, Math.round(Q31 / (1 + raw / Q31))))).toBeLessThanOrEqual(6);
    }
    for (let x = -15; x <= 15; x += 0.37) {
      const raw = Math.round(x * 2 ** 27);
      expect(Math.abs(logistic(raw, 4) - Math.min(Q31 - 1, Math.round(Q31 / (1 + Math.exp(-raw / 2 ** 27)))))).toBeLessThanOrEqual(155);
    }
  });

  it('GetReciprocal: 1/x for x with 12 integer bits, as a Q0.31 scale and the bits above one', () => {
    // x = 2^21 raw in Q12.19 is 4.0: clz = 10, bits over unit = 12 − 10 = 2, scale ≈ 1 (4 = 1·2^2 → 1/4 = scale/2^2)
    const r = getReciprocal(2 ** 21, 12);
    expect(r.bitsOverUnit).toBe(2);
    expect(Math.abs(r.scale / Q31 - 1)).toBeLessThan(2 ** -28);
    // x = 3.0 = 1.5·2^1 → scale ≈ 1/1.5, bits over unit 1
    const s = getReciprocal(3 * 2 ** 19, 12);
    expect(s.bitsOverUnit).toBe(1);
    expect(Math.abs(s.scale / Q31 - 2 / 3)).toBeLessThan(2 ** -28);
  });

  it('Rescale saturates on the way up and rounds on the way down', () => {
    expect(rescale(1 << 29, 2, 0)).toBe(INT32_MAX); // 2^29·4 = 2^31 does not fit
    expect(rescale(-(1 << 28), 2, 0)).toBe(-(1 << 30));
    expect(rescale(INT32_MAX, 0, 12)).toBe(524288); // (2^31 − 1)/2^12 = 524287.9998 → 524288
  });

  it('CalculateInputRadius: ⌊(2^I − 1)·2^(31−I) / 2^shift⌋', () => {
    expect(calculateInputRadius(5, 27)).toBe(15); // 31·2^26/2^27 = 15.5
    expect(calculateInputRadius(4, 24)).toBe(120); // 15·2^27/2^24
  });
});
