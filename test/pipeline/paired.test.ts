/** pairedTop1 against exact binomial tails computed independently (Python's math.comb, summed exactly). */
import { describe, expect, it } from 'vitest';
import { pairedTop1 } from '../../toolkit/pipeline/evaluate.ts';

/** labels all 0; `a` right on the first onlyA + both samples, `b` on the both + onlyB ones after them */
function classifiers(onlyA: number, onlyB: number, both: number, neither: number) {
  const n = onlyA + onlyB + both + neither;
  const labels = new Int32Array(n), a = new Int32Array(n).fill(1), b = new Int32Array(n).fill(2);
  for (let i = 0; i < onlyA + both; i++) a[i] = 0;
  for (let i = onlyA; i < onlyA + both + onlyB; i++) b[i] = 0;
  return { a, b, labels };
}

describe('pairedTop1 (exact McNemar)', () => {
  it.each([
    [16, 34, 0.015346677832630107],
    [0, 5, 0.0625],
    [24, 25, 1],
    [3, 3, 1],
  ])('%i only-a vs %i only-b → p = %f', (onlyA, onlyB, p) => {
    const { a, b, labels } = classifiers(onlyA, onlyB, 40, 7);
    const r = pairedTop1(a, b, labels);
    expect([r.onlyA, r.onlyB]).toEqual([onlyA, onlyB]);
    expect(r.p).toBeCloseTo(p, 12);
    expect(pairedTop1(b, a, labels).p).toBeCloseTo(p, 12); // symmetric
  });

  it('stays finite for thousands of discordant samples', () => {
    const { a, b, labels } = classifiers(2400, 2600, 0, 0);
    const r = pairedTop1(a, b, labels);
    expect(r.p).toBeCloseTo(0.004883649737517518, 9);
  });
});
