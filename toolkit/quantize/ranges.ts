/**
 * Activation range choice from calibration histograms, and the int8 parameters of a range
 * (TFLite spec: asymmetric int8, zero point in [−128, 127], 0 exactly representable).
 */
import { BINS, type TensorStats } from './observe.ts';

export type RangeMethod = 'minmax' | 'percentile' | 'mse';

export interface QParams {
  scale: number;
  zeroPoint: number;
}

export function asymmetricParams(lo: number, hi: number): QParams {
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  if (hi - lo < 1e-12) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255); // stored as float32 in the .tflite: compute with what is stored
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale, zeroPoint };
}

function binCentre(s: TensorStats, k: number): number {
  return s.min + ((k + 0.5) * (s.max - s.min)) / BINS;
}

function percentileRange(s: TensorStats, p: number): [number, number] {
  const total = s.histogram.reduce((a, b) => a + b, 0) + s.zeros;
  const cut = total * (1 - p / 100);
  let acc = 0, lo = 0, hi = BINS - 1;
  for (; lo < BINS - 1 && acc + s.histogram[lo]! <= cut; lo++) acc += s.histogram[lo]!;
  acc = 0;
  for (; hi > 0 && acc + s.histogram[hi]! <= cut; hi--) acc += s.histogram[hi]!;
  return [lo === 0 ? s.min : binCentre(s, lo), hi === BINS - 1 ? s.max : binCentre(s, hi)];
}

/** Expected squared error of int8 quantization with range [lo, hi] over the histogram. */
function quantError(s: TensorStats, lo: number, hi: number): number {
  const { scale, zeroPoint } = asymmetricParams(lo, hi);
  const qlo = (-128 - zeroPoint) * scale, qhi = (127 - zeroPoint) * scale;
  let err = 0;
  for (let k = 0; k < BINS; k++) {
    const n = s.histogram[k]!;
    if (!n) continue;
    const x = binCentre(s, k);
    const e = x < qlo ? x - qlo : x > qhi ? x - qhi : scale / Math.sqrt(12); // rounding noise inside the range
    err += n * e * e;
  }
  return err;
}

/** The clipping range minimizing the expected quantization MSE (search over shrunk ranges). */
function mseRange(s: TensorStats): [number, number] {
  let best: [number, number] = [s.min, s.max], bestErr = quantError(s, s.min, s.max);
  for (let k = 1; k <= 200; k++) {
    const f = 1 - k / 220;
    for (const [lo, hi] of [[s.min * f, s.max * f], [s.min, s.max * f], [s.min * f, s.max]] as [number, number][]) {
      const e = quantError(s, lo, hi);
      if (e < bestErr) (bestErr = e), (best = [lo, hi]);
    }
  }
  return best;
}

export function chooseRange(s: TensorStats, method: RangeMethod, percentile = 99.99): [number, number] {
  if (method === 'minmax' || !(s.max > s.min)) return [s.min, s.max];
  return method === 'percentile' ? percentileRange(s, percentile) : mseRange(s);
}
