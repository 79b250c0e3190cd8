/**
 * GPTQ / OBQ rounding (Frantar et al. 2022): the weights of a row are rounded one input at a time,
 * and each rounding error is pushed onto the inputs not yet rounded through the inverse of the
 * input covariance H, so that the output error (w̃ − w*)ᵀH(w̃ − w*) stays small. With
 * `refit`, w* is the least-squares fit of the float outputs on the int8 inputs (damped towards
 * the float weights), not the float weights themselves.
 */

import type { MatMulSession } from '../onnx/gram.ts';
import { transpose, upperFactorOfInverse } from './linalg.ts';
import { nearestWeight } from './weights.ts';

/** Inputs rounded between two products that carry their errors onward. */
const LAZY_BLOCK = 128;

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
export async function gptqRounding(H: Float64Array, g: Float64Array, W: Float64Array, scales: readonly number[], opts: GptqOptions, mm: MatMulSession): Promise<Int8Array> {
  const F = Math.round(Math.sqrt(H.length)), rows = scales.length;
  let mean = 0;
  for (let i = 0; i < F; i++) mean += H[i * F + i]! / F;
  const delta = opts.damp * (mean || 1);
  const Hd = Float64Array.from(H);
  for (let i = 0; i < F; i++) Hd[i * F + i]! += delta;
  const U = await upperFactorOfInverse(Hd, F, mm);
  let target = Float64Array.from(W);
  if (opts.refit) {
    // argmin wᵀHw − 2wᵀg + δ‖w − W‖²: w = (H + δI)⁻¹(g + δW) = Uᵀ(U(g + δW)), all rows at once (F × rows)
    const B = new Float64Array(F * rows);
    for (let b = 0; b < F; b++) for (let r = 0; r < rows; r++) B[b * rows + r] = g[b * rows + r]! + delta * W[r * F + b]!;
    const X = await mm.run(transpose(U, F, F), await mm.run(U, B, F, F, rows), F, F, rows);
    target = transpose(X, F, rows);
  }
  // rounding input j pushes its error onto the inputs after it along row j of U; inside a block of
  // inputs at once, onto the inputs after the block as one product (GPTQ's lazy batch updates)
  const q = new Int8Array(rows * F);
  for (let k0 = 0; k0 < F; k0 += LAZY_BLOCK) {
    const k1 = Math.min(F, k0 + LAZY_BLOCK), b = k1 - k0;
    const E = new Float64Array(rows * b);
    for (let r = 0; r < rows; r++) {
      const w = target.subarray(r * F, (r + 1) * F), s = scales[r]!;
      for (let j = k0; j < k1; j++) {
        const qj = nearestWeight(w[j]! / s);
        q[r * F + j] = qj;
        const uj = j * F, err = (w[j]! - qj * s) / U[uj + j]!;
        E[r * b + j - k0] = err;
        for (let k = j + 1; k < k1; k++) w[k]! -= err * U[uj + k]!;
      }
    }
    if (k1 === F) break;
    const rest = F - k1;
    const Ub = new Float64Array(b * rest);
    for (let j = 0; j < b; j++) Ub.set(U.subarray((k0 + j) * F + k1, (k0 + j + 1) * F), j * rest);
    const D = await mm.run(E, Ub, rows, b, rest);
    for (let r = 0; r < rows; r++) for (let c = 0; c < rest; c++) target[r * F + k1 + c]! -= D[r * rest + c]!;
  }
  return q;
}
