/** Symmetric int8 weight quantization (TFLite spec: [−127, 127], zero point 0): scale choice and nearest rounding. */

/** Math.round (half up) several times faster in V8's hot loops; differs from it only at ±(0.5 − 2⁻⁵⁴). */
export const roundHalfUp = (x: number): number => Math.floor(x + 0.5);

/** The int8 weight nearest to x (clamped to TFLite's symmetric [−127, 127]). */
export function nearestWeight(x: number): number {
  const q = roundHalfUp(x);
  return q > 127 ? 127 : q < -127 ? -127 : q;
}

/** Per-channel (`O` rows) or per-tensor symmetric scales, each the clip of max|w| that minimizes the rounding MSE. */
export function weightScales(W: Float64Array, O: number, perTensor = false): number[] {
  if (perTensor) return Array<number>(O).fill(rowScale(W, 0, W.length));
  const per = W.length / O;
  return Array.from({ length: O }, (_, o) => rowScale(W, o * per, (o + 1) * per));
}

/** The scale of W[a, b): the clip of max|w| (100% down to 80%) whose rounding error is least. */
function rowScale(W: Float64Array, a: number, b: number): number {
  let m = 0;
  for (let k = a; k < b; k++) m = Math.max(m, Math.abs(W[k]!));
  if (m === 0) return 1;
  let bestS = m / 127, bestErr = Infinity;
  for (let f = 1; f >= 0.8; f -= 0.005) {
    const s = Math.fround((f * m) / 127); // stored as float32 in the .tflite: compute with what is stored
    let err = 0;
    for (let k = a; k < b; k++) {
      const w = W[k]!, d = w - nearestWeight(w / s) * s;
      err += d * d;
    }
    if (err < bestErr) (bestErr = err), (bestS = s);
  }
  return bestS;
}

/** Round-to-nearest int8 weights; `scales` has one entry per row of `W`. */
export function roundWeights(W: Float64Array, scales: readonly number[]): Int8Array {
  const per = W.length / scales.length, q = new Int8Array(W.length);
  for (let r = 0; r < scales.length; r++) {
    const s = scales[r]!;
    for (let k = r * per; k < (r + 1) * per; k++) q[k] = nearestWeight(W[k]! / s);
  }
  return q;
}
