/**
 * Calibration: runs the float graph in onnxruntime on calibration samples and observes every
 * activation the int8 model will have — min/max, a histogram (for percentile and MSE ranges), and
 * per-channel means (for bias correction). Two passes: ranges first, then histograms over them.
 */
import type { Graph } from '../graph/graph.ts';
import { openInOrt } from '../onnx/runtime.ts';
import { computeThreads } from '../onnx/threads.ts';
import type { Dataset } from '../data/dataset.ts';

export const BINS = 2048;

export interface TensorStats {
  min: number;
  max: number;
  /** BINS counts over [min, max], exact zeros left out (they quantize without error: see zeros) */
  histogram: Float64Array;
  /** how many values were exactly 0 (most of a post-ReLU tensor) */
  zeros: number;
  /** mean per channel (axis 1, NCHW) */
  channelMean: Float64Array;
}

export type Progress = (done: number, total: number, phase: string) => void;

/**
 * `channels`: the values to observe, each with its channel count (axis 1). `keep`: values whose
 * tensor for every sample is kept as well (in its arrays), sparing a later pass.
 */
export async function observe(g: Graph, channels: ReadonlyMap<string, number>, data: Dataset, samples: number, progress?: Progress, keep?: ReadonlyMap<string, Float32Array[]>): Promise<Map<string, TensorStats>> {
  const values = [...channels.keys()];
  const n = Math.min(samples, data.count);
  const model = await openInOrt(g, values.filter((v) => !g.inputs.some((i) => i.name === v)), computeThreads());
  const inputName = g.inputs[0]!.name;
  const stats = new Map<string, TensorStats>();
  try {
    const run = async (i: number) => {
      const x = data.input(i);
      return { ...(await model.run({ [inputName]: x })), [inputName]: x };
    };
    for (let i = 0; i < n; i++) {
      const out = await run(i);
      for (const v of values) {
        const t = out[v]!;
        let s = stats.get(v);
        if (!s) stats.set(v, (s = { min: Infinity, max: -Infinity, histogram: new Float64Array(BINS), zeros: 0, channelMean: new Float64Array(0) }));
        for (let k = 0; k < t.length; k++) {
          const x = t[k]!;
          if (x < s.min) s.min = x;
          if (x > s.max) s.max = x;
        }
      }
      progress?.(i + 1, 2 * n, 'ranges');
    }
    for (let i = 0; i < n; i++) {
      const out = await run(i);
      if (keep) for (const [v, kept] of keep) kept.push(out[v]!);
      for (const v of values) {
        const t = out[v]!, s = stats.get(v)!;
        const width = (s.max - s.min) / BINS || 1;
        for (let k = 0; k < t.length; k++) {
          if (t[k] === 0) s.zeros++;
          else s.histogram[Math.min(BINS - 1, Math.floor((t[k]! - s.min) / width))]! += 1;
        }
        const c = channels.get(v)!;
        if (!s.channelMean.length) s.channelMean = new Float64Array(c);
        const plane = t.length / c;
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let k = 0; k < plane; k++) sum += t[ch * plane + k]!;
          s.channelMean[ch]! += sum / plane / n;
        }
      }
      progress?.(n + i + 1, 2 * n, 'histograms');
    }
  } finally {
    await model.release();
  }
  return stats;
}
