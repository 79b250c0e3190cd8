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

/** Lower Cholesky factor of the first b rows of the b-wide C (row-major), unblocked. */
function lowerFactor(C: Float64Array, b: number): Float64Array {
  const D = new Float64Array(b * b);
  for (let j = 0; j < b; j++) {
    let d = C[j * b + j]!;
    for (let m = 0; m < j; m++) d -= D[j * b + m]! ** 2;
    const ljj = Math.sqrt(Math.max(d, 1e-300));
    D[j * b + j] = ljj;
    for (let i = j + 1; i < b; i++) {
      let s = C[i * b + j]!;
      for (let m = 0; m < j; m++) s -= D[i * b + m]! * D[j * b + m]!;
      D[i * b + j] = s / ljj;
    }
  }
  return D;
}

/** The inverse of a lower triangular b × b matrix D (dense, row-major), by forward substitution. */
function invertSmallLower(D: Float64Array, b: number): Float64Array {
  const M = new Float64Array(b * b);
  for (let i = 0; i < b; i++) {
    const d = D[i * b + i]!;
    for (let k = 0; k < i; k++) {
      const l = D[i * b + k]!;
      if (l !== 0) for (let j = 0; j <= k; j++) M[i * b + j]! -= l * M[k * b + j]!;
    }
    for (let j = 0; j < i; j++) M[i * b + j]! /= d;
    M[i * b + i] = 1 / d;
  }
  return M;
}

/**
 * Lower Cholesky factor of a symmetric positive definite n × n matrix (row-major), left-looking by
 * blocks of columns: block column K is A[K:, K] − L[K:, <K]·L[K, <K]ᵀ (a product in onnxruntime, its
 * output only as wide as the block), its diagonal block is factorized here, and the rest is that
 * times L_KK⁻ᵀ (another product).
 */
export async function cholesky(A: Float64Array, n: number, mm: MatMulSession): Promise<Float64Array> {
  const L = new Float64Array(n * n);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(n, k0 + BLOCK), b = k1 - k0, r = n - k0;
    const C = block(A, n, k0, n, k0, k1);
    if (k0 > 0) {
      const Lt = transpose(block(L, n, k0, k1, 0, k0), b, k0);
      const U = await mm.runBlocks({ data: L, cols: n, r0: k0, r1: n, c0: 0, c1: k0 }, { data: Lt, cols: b, r0: 0, r1: k0, c0: 0, c1: b });
      for (let i = 0; i < C.length; i++) C[i]! -= U[i]!;
    }
    const D = lowerFactor(C, b);
    for (let i = 0; i < b; i++) L.set(D.subarray(i * b, i * b + i + 1), (k0 + i) * n + k0);
    if (k1 === n) break;
    const L21 = await mm.run(C.subarray(b * b), transpose(invertSmallLower(D, b), b, b), r - b, b, b);
    for (let i = 0; i < r - b; i++) L.set(L21.subarray(i * b, (i + 1) * b), (k1 + i) * n + k0);
  }
  return L;
}

/** L⁻¹ of a lower triangular n × n L: block row I is −L_II⁻¹ (L[I, <I] · L⁻¹[<I, <I]) beside L_II⁻¹. */
export async function invertLower(L: Float64Array, n: number, mm: MatMulSession): Promise<Float64Array> {
  const M = new Float64Array(n * n);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const k1 = Math.min(n, k0 + BLOCK), b = k1 - k0;
    const D = invertSmallLower(block(L, n, k0, k1, k0, k1), b);
    for (let i = 0; i < b; i++) M.set(D.subarray(i * b, i * b + i + 1), (k0 + i) * n + k0);
    if (k0 === 0) continue;
    const S = await mm.runBlocks({ data: L, cols: n, r0: k0, r1: k1, c0: 0, c1: k0 }, { data: M, cols: n, r0: 0, r1: k0, c0: 0, c1: k0 });
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
