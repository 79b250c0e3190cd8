/**
 * AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization"):
 * each weight learns whether to round up or down, through a rectified-sigmoid soft rounding h(V)
 * and a regularizer 1 − |2h − 1|^β (β annealed 20 → 2 after a 20% warm-up) that drives h to 0 or 1,
 * minimizing the layer's output error. With the input covariance H and g (see reconstruct.ts) the
 * error of a row w is wᵀHw − 2wᵀg + c, so each Adam step costs F² per row (F = patch size),
 * whatever the number of calibration patches.
 */

export interface AdaRoundOptions {
  /** Adam steps per layer */
  iterations: number;
  /** weight of the rounding regularizer */
  lambda: number;
}

const ZETA = 1.1, GAMMA = -0.1;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** out[r] = H·w[r] for each of `rows` F-long rows of `w`; four rows per pass over H (the cost is streaming H). */
function multiplyRows(H: Float64Array, w: Float64Array, out: Float64Array, F: number, rows: number): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const o0 = r * F, o1 = o0 + F, o2 = o1 + F, o3 = o2 + F;
    for (let a = 0; a < F; a++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      const row = a * F;
      for (let b = 0; b < F; b++) {
        const h = H[row + b]!;
        s0 += h * w[o0 + b]!;
        s1 += h * w[o1 + b]!;
        s2 += h * w[o2 + b]!;
        s3 += h * w[o3 + b]!;
      }
      out[o0 + a] = s0;
      out[o1 + a] = s1;
      out[o2 + a] = s2;
      out[o3 + a] = s3;
    }
  }
  for (; r < rows; r++)
    for (let a = 0; a < F; a++) {
      let s = 0;
      for (let b = 0; b < F; b++) s += H[a * F + b]! * w[r * F + b]!;
      out[r * F + a] = s;
    }
}

/**
 * Learns the rounding of `rows` channels sharing H: returns their integers (rows × F).
 * Rectified-sigmoid soft rounding h(V), regularizer 1 − |2h − 1|^β annealed β 20 → 2 after a 20% warm-up.
 */
export function adaroundRounding(H: Float64Array, g: Float64Array, W: Float64Array, scales: readonly number[], opts: AdaRoundOptions): Int8Array {
  const F = H.length ** 0.5 | 0, rows = scales.length, T = opts.iterations, warm = Math.floor(0.2 * T);
  const base = new Float64Array(rows * F), V = new Float64Array(rows * F), m = new Float64Array(rows * F), v2 = new Float64Array(rows * F);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < F; j++) {
      const t = W[r * F + j]! / scales[r]!, f = Math.floor(t), rest = t - f;
      base[r * F + j] = f;
      V[r * F + j] = -Math.log((ZETA - GAMMA) / (rest - GAMMA) - 1);
    }
  const w = new Float64Array(rows * F), hw = new Float64Array(rows * F), sig = new Float64Array(rows * F), live = new Uint8Array(rows * F);
  const lr = 0.01, b1 = 0.9, b2 = 0.999;
  for (let t = 0; t < T; t++) {
    const beta = 2 + 18 * Math.max(0, 1 - (t - warm) / (T - warm));
    const c1 = 1 - b1 ** (t + 1), c2 = 1 - b2 ** (t + 1);
    for (let k = 0; k < rows * F; k++) {
      const sg = sigmoid(V[k]!), raw = sg * (ZETA - GAMMA) + GAMMA, h = Math.min(1, Math.max(0, raw));
      const q = base[k]! + h, qc = Math.min(127, Math.max(-127, q));
      w[k] = scales[(k / F) | 0]! * qc;
      sig[k] = sg;
      live[k] = raw > 0 && raw < 1 && q === qc ? 1 : 0;
    }
    multiplyRows(H, w, hw, F, rows);
    for (let k = 0; k < rows * F; k++) {
      if (!live[k]) continue;
      const r = (k / F) | 0, a = k - r * F, sg = sig[k]!;
      let gh = 2 * (hw[k]! - g[a * rows + r]!) * scales[r]!;
      if (t >= warm) {
        const d = 2 * (sg * (ZETA - GAMMA) + GAMMA) - 1, ad = Math.abs(d);
        if (ad > 0) gh -= opts.lambda * beta * ad ** (beta - 1) * Math.sign(d) * 2;
      }
      const gv = gh * (ZETA - GAMMA) * sg * (1 - sg);
      m[k] = b1 * m[k]! + (1 - b1) * gv;
      v2[k] = b2 * v2[k]! + (1 - b2) * gv * gv;
      V[k]! -= (lr * (m[k]! / c1)) / (Math.sqrt(v2[k]! / c2) + 1e-8);
    }
  }
  return Int8Array.from(V, (x, k) => Math.min(127, Math.max(-127, base[k]! + (sigmoid(x) * (ZETA - GAMMA) + GAMMA >= 0.5 ? 1 : 0))));
}

