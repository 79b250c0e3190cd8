/**
 * `reparo eval`: top-1 (and top-5) of a float ONNX model (onnxruntime) or an int8 .tflite model
 * (reparo's int8 reference interpreter), on labelled data; with both, their agreement and the
 * per-layer SQNR of the int8 activations against the float ones.
 */
import { ReparoError } from '../errors.ts';
import { openDataset, type Dataset, type DatasetOptions } from '../data/index.ts';
import type { Graph } from '../graph/graph.ts';
import { openInOrt } from '../onnx/runtime.ts';
import type { TfliteModel } from '../tflite/index.ts';
import { createInterpreter, roundHalfAwayFromZero } from '../int8/index.ts';
import type { LayerSqnr } from '../report/types.ts';

export type { LayerSqnr };

export type Progress = (done: number, total: number, phase: string) => void;

export interface Accuracy {
  samples: number;
  top1: number;
  top5?: number;
  /** predicted class per sample */
  predictions: Int32Array;
}


function topK(scores: ArrayLike<number>, k: number): number[] {
  return Array.from(scores, (v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

function tally(samples: number, labels: Int32Array | undefined, classes: number, ranked: (i: number) => number[]): Accuracy {
  const predictions = new Int32Array(samples);
  let c1 = 0, c5 = 0;
  for (let i = 0; i < samples; i++) {
    const r = ranked(i);
    predictions[i] = r[0]!;
    if (labels) {
      if (r[0] === labels[i]) c1++;
      if (r.includes(labels[i]!)) c5++;
    }
  }
  return { samples, top1: labels ? c1 / samples : NaN, top5: labels && classes > 5 ? c5 / samples : undefined, predictions };
}

export async function evalFloat(g: Graph, data: Dataset, samples: number, progress?: Progress): Promise<Accuracy> {
  const n = Math.min(samples, data.count);
  const m = await openInOrt(g);
  const out = g.outputs[0]!.name;
  const ranked: number[][] = [];
  try {
    for (let i = 0; i < n; i++) {
      const y = (await m.run({ [g.inputs[0]!.name]: data.input(i) }))[out]!;
      ranked.push(topK(y, 5));
      if (i % 50 === 0 || i === n - 1) progress?.(i + 1, n, 'float');
    }
  } finally {
    await m.release();
  }
  return tally(n, data.labels, g.outputs[0]!.dims.at(-1) ?? 0, (i) => ranked[i]!);
}

/** Float input → int8 with the input tensor's quantization, rounding as TFLite's QUANTIZE does. */
export function quantizeInput(model: TfliteModel, x: Float32Array): Int8Array {
  const q = model.tensors[model.inputs[0]!]!.quantization!;
  const s = q.scale[0]!, z = q.zeroPoint[0]!;
  return Int8Array.from(x, (v) => Math.max(-128, Math.min(127, roundHalfAwayFromZero(v / s) + z)));
}

export function evalInt8(model: TfliteModel, data: Dataset, samples: number, progress?: Progress): Accuracy {
  const n = Math.min(samples, data.count);
  const interp = createInterpreter(model);
  const inShape = model.tensors[model.inputs[0]!]!.shape;
  const ranked: number[][] = [];
  for (let i = 0; i < n; i++) {
    ranked.push(topK(interp.invoke(quantizeInput(model, nchwToNhwc(data.input(i), inShape))), 5));
    if (i % 50 === 0 || i === n - 1) progress?.(i + 1, n, 'int8');
  }
  const classes = model.tensors[model.outputs[0]!]!.shape.at(-1) ?? 0;
  return tally(n, data.labels, classes, (i) => ranked[i]!);
}

/** Our datasets yield NCHW (the ONNX layout); TFLite inputs are NHWC. */
export function nchwToNhwc(x: Float32Array, nhwcShape: readonly number[]): Float32Array {
  if (nhwcShape.length !== 4) return x;
  const [, H, W, C] = nhwcShape as [number, number, number, number];
  if (C === 1) return x;
  const out = new Float32Array(x.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) out[p * C + c] = x[c * H * W + p]!;
  return out;
}

/**
 * Per-layer SQNR: int8 activations (dequantized) against the float values of the same name in `g`
 * (reparo names TFLite tensors after the ONNX values they hold), over `samples` inputs.
 */
export async function layerSqnr(g: Graph, model: TfliteModel, data: Dataset, samples: number): Promise<LayerSqnr[]> {
  const interp = createInterpreter(model);
  const producers = new Map<number, string>();
  for (const op of model.operators) for (const o of op.outputs) producers.set(o, op.op);
  const names = new Set(g.nodes.flatMap((n) => n.outputs));
  const layers = model.tensors
    .map((t, i) => ({ t, i }))
    .filter(({ t, i }) => producers.has(i) && names.has(t.name) && t.type === 'int8');
  if (!layers.length) throw new ReparoError('E_USAGE', 'no int8 tensor of the model has the name of a float value: is the float model the one it was made from?');
  const m = await openInOrt(g, layers.map(({ t }) => t.name));
  const signal = new Float64Array(layers.length), noise = new Float64Array(layers.length);
  const inShape = model.tensors[model.inputs[0]!]!.shape;
  try {
    for (let s = 0; s < Math.min(samples, data.count); s++) {
      const x = data.input(s);
      const ref = await m.run({ [g.inputs[0]!.name]: x });
      interp.invoke(quantizeInput(model, nchwToNhwc(x, inShape)));
      layers.forEach(({ t, i }, k) => {
        const q = interp.tensor(i) as Int8Array;
        const f = nchwToNhwc(ref[t.name]!, t.shape);
        const sc = t.quantization!.scale[0]!, zp = t.quantization!.zeroPoint[0]!;
        for (let j = 0; j < q.length; j++) {
          const d = (q[j]! - zp) * sc - f[j]!;
          signal[k]! += f[j]! * f[j]!;
          noise[k]! += d * d;
        }
      });
    }
  } finally {
    await m.release();
  }
  return layers.map(({ t, i }, k) => ({ tensor: t.name, op: producers.get(i)!, sqnrDb: 10 * Math.log10(signal[k]! / Math.max(noise[k]!, 1e-30)) }));
}

/** Sample i of `data` as the int8 NHWC tensor the model takes. */
export function int8Input(model: TfliteModel, data: Dataset, i: number): Int8Array {
  return quantizeInput(model, nchwToNhwc(data.input(i), model.tensors[model.inputs[0]!]!.shape));
}

/** What reparo recorded in the model's `reparo` metadata (input preprocessing, quantization options); {} for other models. */
export function reparoMetadata(model: TfliteModel): { input?: { mean?: number[]; std?: number[] }; quantization?: { equalize?: boolean } } {
  const meta = model.metadata.find((e) => e.name === 'reparo');
  return meta ? JSON.parse(new TextDecoder().decode(meta.data)) : {};
}

/** Opens data for an int8 .tflite model: the model's NHWC input seen as NCHW, its recorded preprocessing unless overridden. */
export function openDatasetForModel(model: TfliteModel, path: string, opts: DatasetOptions = {}): Dataset {
  const [, H, W, C] = model.tensors[model.inputs[0]!]!.shape as [number, number, number, number];
  const rec = reparoMetadata(model).input ?? {};
  return openDataset(path, [1, C, H, W], { labels: opts.labels, mean: opts.mean ?? rec.mean, std: opts.std ?? rec.std });
}

/** Share of samples where two evaluations predict the same class. */
export function agreement(a: Accuracy, b: Accuracy): number {
  return a.predictions.reduce((n, p, i) => n + +(p === b.predictions[i]), 0) / a.samples;
}

export interface PairedTop1 {
  /** samples only the first (only the second) classifier gets right */
  onlyA: number;
  onlyB: number;
  /** exact two-sided McNemar p: how likely a split at least this uneven is between equally accurate classifiers */
  p: number;
}

/**
 * Image-by-image comparison of two classifiers on the same labelled samples. Top-1 differences of a
 * few images are mostly chance: only the samples where exactly one is right carry information.
 */
export function pairedTop1(a: ArrayLike<number>, b: ArrayLike<number>, labels: ArrayLike<number>): PairedTop1 {
  let onlyA = 0, onlyB = 0;
  for (let i = 0; i < labels.length; i++) {
    const ra = a[i] === labels[i], rb = b[i] === labels[i];
    if (ra && !rb) onlyA++;
    else if (rb && !ra) onlyB++;
  }
  const n = onlyA + onlyB, k = Math.min(onlyA, onlyB);
  // P(X ≤ k), X ~ Binomial(n, 1/2), summed in log space (n can be thousands)
  let logC = 0, tail = 0;
  for (let j = 0; j <= k; j++) {
    if (j > 0) logC += Math.log(n - j + 1) - Math.log(j);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return { onlyA, onlyB, p: Math.min(1, 2 * tail) };
}
