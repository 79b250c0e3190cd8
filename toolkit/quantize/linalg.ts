/**
 * The dense float64 linear algebra of weight rounding (n up to a few thousand: a 3×3 conv over 192
 * channels has 1728 inputs). Blocked, so that the O(n³) part is matrix products, which run in
 * onnxruntime; the blocks themselves are factorized here.
 */
import type { MatMulSession } from '../onnx/gram.ts';

const BLOCK = 96;

/** Rows [r0, r1) × columns [c0, c1) of the n × n matrix A, as a dense block. */
function block(A: Float64Array, n: number, r0: number, r1: number, c0: number, c1: number): Float64Array {
  const w = c1 - c0, out = new Float64Array((r1 - r0) * w);
  for (let i = r0; i < r1; i++) out.set(A.subarray(i * n + c0, i * n + c1), (i - r0) * w);
  return out;
}

const transpose = (A: Float64Array, rows: number, cols: number) => {
  const T = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = A[i * cols + j]!;
  return T;
};

/** Lower Cholesky factor of a symmetric positive definite n × n matrix (row-major). */
export async function cholesky(A: Float64Array, n: number, mm: MatMulSession): Promise<Float64Array> {
  const W = Float64Array.from(A), L = new Float64Array(n * n);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(n, k0 + BLOCK);
    // the diagonal block and the panel below it, from the trailing matrix updated so far
    for (let j = k0; j < k1; j++) {
      let d = W[j * n + j]!;
      for (let m = k0; m < j; m++) d -= L[j * n + m]! ** 2;
      const ljj = Math.sqrt(Math.max(d, 1e-300));
      L[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = W[i * n + j]!;
        for (let m = k0, a = i * n, b = j * n; m < j; m++) s -= L[a + m]! * L[b + m]!;
        L[i * n + j] = s / ljj;
      }
    }
    if (k1 === n) break;
    // trailing update W22 −= L21·L21ᵀ
    const r = n - k1, b = k1 - k0;
    const L21 = block(L, n, k1, n, k0, k1);
    const P = await mm.run(L21, transpose(L21, r, b), r, b, r);
    for (let i = 0; i < r; i++) for (let j = 0; j <= i; j++) W[(k1 + i) * n + k1 + j]! -= P[i * r + j]!;
  }
  return L;
}

/** L⁻¹ of a lower triangular n × n L: block row I is −L_II⁻¹ (L[I, <I] · L⁻¹[<I, <I]) beside L_II⁻¹. */
export async function invertLower(L: Float64Array, n: number, mm: MatMulSession): Promise<Float64Array> {
  const M = new Float64Array(n * n);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(n, k0 + BLOCK), b = k1 - k0;
    // the diagonal block's inverse, row by row
    const D = new Float64Array(b * b);
    for (let i = 0; i < b; i++) {
      const li = (k0 + i) * n + k0, d = L[li + i]!;
      for (let k = 0; k < i; k++) {
        const l = L[li + k]!;
        if (l !== 0) for (let j = 0; j <= k; j++) D[i * b + j]! -= l * D[k * b + j]!;
      }
      for (let j = 0; j < i; j++) D[i * b + j]! /= d;
      D[i * b + i] = 1 / d;
    }
    for (let i = 0; i < b; i++) M.set(D.subarray(i * b, i * b + i + 1), (k0 + i) * n + k0);
    if (k0 === 0) continue;
    const S = await mm.run(block(L, n, k0, k1, 0, k0), block(M, n, 0, k0, 0, k0), b, k0, k0);
    const R = await mm.run(D, S, b, b, k0);
    for (let i = 0; i < b; i++) for (let j = 0; j < k0; j++) M[(k0 + i) * n + j] = -R[i * k0 + j]!;
  }
  return M;
}

/**
 * The upper triangular U with A⁻¹ = UᵀU (GPTQ's "upper Cholesky factor of H⁻¹"), without forming
 * A⁻¹: with J the reversal, JAJ = L′L′ᵀ gives A⁻¹ = (JL′⁻¹J)ᵀ(JL′⁻¹J).
 */
export async function upperFactorOfInverse(A: Float64Array, n: number, mm: MatMulSession): Promise<Float64Array> {
  const reverse = (X: Float64Array) => {
    const Y = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Y[i * n + j] = X[(n - 1 - i) * n + (n - 1 - j)]!;
    return Y;
  };
  return reverse(await invertLower(await cholesky(reverse(A), n, mm), n, mm));
}

export { transpose };
