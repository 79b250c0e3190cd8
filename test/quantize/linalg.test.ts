/** The blocked float64 factorizations of weight rounding, checked by multiplying back (in plain loops). */
import { describe, expect, it } from 'vitest';
import { openMatMul } from '../../toolkit/onnx/index.ts';
import { cholesky, invertLower, upperFactorOfInverse } from '../../toolkit/quantize/linalg.ts';

function spd(n: number, seed: number): Float64Array {
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
  const m = n + 7, A = Array.from({ length: m * n }, r);
  const H = new Float64Array(n * n);
  for (let k = 0; k < m; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i * n + j]! += A[k * n + i]! * A[k * n + j]!;
  for (let i = 0; i < n; i++) H[i * n + i]! += 0.01;
  return H;
}
const product = (A: Float64Array, B: Float64Array, n: number, tA = false, tB = false) => {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const a = tA ? A[k * n + i]! : A[i * n + k]!;
    for (let j = 0; j < n; j++) C[i * n + j]! += a * (tB ? B[j * n + k]! : B[k * n + j]!);
  }
  return C;
};
const maxDiff = (A: Float64Array, B: Float64Array) => A.reduce((m, v, i) => Math.max(m, Math.abs(v - B[i]!)), 0);

describe('blocked Cholesky and triangular inverse (sizes across the block edge)', () => {
  it.each([5, 96, 97, 250])('n = %i', async (n) => {
    const mm = await openMatMul();
    try {
      const A = spd(n, n);
      const L = await cholesky(A, n, mm);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L[i * n + j]).toBe(0);
      const scale = A.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(maxDiff(product(L, L, n, false, true), A) / scale).toBeLessThan(1e-12);
      const M = await invertLower(L, n, mm);
      const I = new Float64Array(n * n).map((_, k) => +(k % (n + 1) === 0));
      expect(maxDiff(product(L, M, n), I)).toBeLessThan(1e-9);
      // A⁻¹ = UᵀU with U upper triangular: A·UᵀU = I
      const U = await upperFactorOfInverse(A, n, mm);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(U[i * n + j]).toBe(0);
      expect(maxDiff(product(A, product(U, U, n, true, false), n), I)).toBeLessThan(1e-8);
    } finally {
      await mm.release();
    }
  });
});
