/** Symmetric int8 weight quantization (TFLite spec: [−127, 127], zero point 0): scale choice and nearest rounding. */

/** Per-channel (`O` rows) or per-tensor symmetric scales, each the clip of max|w| that minimizes the rounding MSE. */
export function weightScales(W: Float64Array, O: number, perTensor = false): number[] {
  const per = W.length / O;
  const groups = perTensor ? [[0, W.length]] : Array.from({ length: O }, (_, o) => [o * per, (o + 1) * per]);
  const best = groups.map(([a, b]) => {
    let m = 0;
    for (let k = a!; k < b!; k++) m = Math.max(m, Math.abs(W[k]!));
    if (m === 0) return 1;
    let bestS = m / 127, bestErr = Infinity;
    for (let f = 1; f >= 0.8; f -= 0.005) {
      const s = Math.fround((f * m) / 127); // stored as float32 in the .tflite: compute with what is stored
      let err = 0;
      for (let k = a!; k < b!; k++) {
        const q = Math.max(-127, Math.min(127, Math.round(W[k]! / s)));
        err += (W[k]! - q * s) ** 2;
      }
      if (err < bestErr) (bestErr = err), (bestS = s);
    }
    return bestS;
  });
  return perTensor ? Array(O).fill(best[0]) : best;
}

/** Round-to-nearest int8 weights; `scales` has one entry per row of `W`. */
export function roundWeights(W: Float64Array, scales: readonly number[]): Int8Array {
  const per = W.length / scales.length;
  return Int8Array.from(W, (w, i) => Math.max(-127, Math.min(127, Math.round(w / scales[Math.floor(i / per)]!))));
}
