/**
 * GPTQ / OBQ rounding (Frantar et al. 2022): the weights of a row are rounded one input at a time,
 * and each rounding error is pushed onto the inputs not yet rounded through the inverse of the
 * input covariance H, so that the output error (w̃ − w*)ᵀH(w̃ − w*) stays small. With
 * `refit`, w* is the least-squares fit of the float outputs on the int8 inputs (damped towards
 * the float weights), not the float weights themselves.
 */

/** Lower Cholesky factor of a symmetric positive definite n × n matrix (row-major). */
function cholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * n + j]!;
    }
  return L;
}

/** A⁻¹ from its lower Cholesky factor. */
function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  // M = L⁻¹ (lower), then A⁻¹ = Mᵀ M
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    M[i * n + i] = 1 / L[i * n + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += L[i * n + k]! * M[k * n + j]!;
      M[i * n + j] = -s / L[i * n + i]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += M[k * n + i]! * M[k * n + j]!;
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  return inv;
}

export interface GptqOptions {
  /** damping, relative to the mean of H's diagonal */
  damp: number;
  /** fit the target weights to the float outputs on the int8 inputs first */
  refit: boolean;
}

/**
 * Rounds `rows` rows of F weights sharing the input covariance H (F × F); g (F × rows) is the
 * covariance of the inputs with each row's float outputs. Returns rows × F integers in [−127, 127].
 */
export function gptqRounding(H: Float64Array, g: Float64Array, W: Float64Array, scales: readonly number[], opts: GptqOptions): Int8Array {
  const F = Math.round(Math.sqrt(H.length)), rows = scales.length;
  let mean = 0;
  for (let i = 0; i < F; i++) mean += H[i * F + i]! / F;
  const delta = opts.damp * (mean || 1);
  const Hd = Float64Array.from(H);
  for (let i = 0; i < F; i++) Hd[i * F + i]! += delta;
  const Hinv = inverseFromCholesky(cholesky(Hd, F), F);
  const target = Float64Array.from(W);
  if (opts.refit)
    // argmin wᵀHw − 2wᵀg + δ‖w − W‖²: (H + δI) w = g + δW
    for (let r = 0; r < rows; r++)
      for (let a = 0; a < F; a++) {
        let s = 0;
        for (let b = 0; b < F; b++) s += Hinv[a * F + b]! * (g[b * rows + r]! + delta * W[r * F + b]!);
        target[r * F + a] = s;
      }
  // upper Cholesky factor of H⁻¹: row j holds the update of the inputs after j when j is rounded
  const Lh = cholesky(Hinv, F);
  const q = new Int8Array(rows * F);
  for (let r = 0; r < rows; r++) {
    const w = target.subarray(r * F, (r + 1) * F), s = scales[r]!;
    for (let j = 0; j < F; j++) {
      const qj = Math.max(-127, Math.min(127, Math.round(w[j]! / s)));
      q[r * F + j] = qj;
      const err = (w[j]! - qj * s) / Lh[j * F + j]!;
      for (let k = j + 1; k < F; k++) w[k]! -= err * Lh[k * F + j]!;
    }
  }
  return q;
}
