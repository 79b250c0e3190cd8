/**
 * Sequential, asymmetric reconstruction of each layer's int8 weights (AdaRound, GPTQ): layer by
 * layer in graph order, every Conv/Gemm/MatMul gets the integers whose outputs, on the int8 inputs
 * that the already-chosen layers before it really produce (run in our bit-exact interpreter), come
 * closest to the float network's outputs; its bias then takes the value that is optimal on those
 * same inputs (empirical bias correction). Only integers and biases change, the arithmetic stays
 * TFLite's.
 *
 * Both roundings see a layer through second moments: with the input patches x̂ (covariance H,
 * mean μ) and the float targets y of a row, E[(wᵀx̂ + b − y)²] at the optimal b is
 * wᵀHw − 2wᵀg + Var(y), g = Cov(x̂, y).
 */
import { attrInt, type Graph } from '../graph/graph.ts';
import { inferValues } from '../graph/evaluate.ts';
import { readConv } from '../fuse/conv-algebra.ts';
import { openInOrt } from '../onnx/runtime.ts';
import type { Dataset } from '../data/dataset.ts';
import { createInterpreter, roundHalfAwayFromZero } from '../int8/index.ts';
import type { TfliteModel } from '../tflite/model.ts';
import { readDense, type LoweredModel, type RoundedWeights } from './lower.ts';
import type { Progress } from './observe.ts';
import { roundWeights, weightScales } from './weights.ts';
import { adaroundRounding } from './adaround.ts';
import { gptqRounding } from './gptq.ts';

export type Rounding = 'nearest' | 'adaround' | 'gptq';

export interface ReconstructOptions {
  rounding: Exclude<Rounding, 'nearest'>;
  /** calibration samples */
  samples: number;
  /** AdaRound: Adam steps per layer, regularizer weight */
  iterations: number;
  lambda: number;
  /** GPTQ: damping (relative to mean diag H); fit the float outputs on the int8 inputs first */
  damp: number;
  refit: boolean;
  /** at most this many input patches per layer feed the moments (a seeded random subset) */
  maxPatches: number;
  perTensorWeights?: boolean;
}

export const DEFAULT_RECONSTRUCT: ReconstructOptions = { rounding: 'gptq', samples: 500, iterations: 300, lambda: 0.01, damp: 0.01, refit: true, maxPatches: 1 << 15 };

/** One weighted layer as a set of groups, each `rows` output channels reading `F`-long input patches. */
interface Layer {
  out: string;
  input: string;
  O: number;
  groups: number;
  /** input channels per group and window (a dense layer: K channels of a 1×1 window) */
  Ig: number;
  kh: number;
  kw: number;
  strides: [number, number];
  pads: number[];
  /** ONNX layout: [O, Ig, kh, kw] or [N, K] */
  W: Float64Array;
  scales: number[];
}

export interface LayerReconstruction {
  layer: string;
  /** output mean squared error summed over channels, on the calibration patches, of nearest rounding and of the learned one (both with the fitted bias) */
  nearestMse: number;
  learnedMse: number;
  /** fraction of weights whose integer differs from nearest rounding */
  flipped: number;
}

function layersOf(g: Graph, perTensorWeights: boolean): Layer[] {
  const facts = inferValues(g);
  const layers: Layer[] = [];
  for (const n of g.nodes) {
    if (n.op === 'Conv') {
      const p = readConv(g, n, facts.get(n.inputs[0]!)!.dims);
      if (!p) continue; // lowering reports it
      layers.push({ out: n.outputs[0]!, input: n.inputs[0]!, O: p.O, groups: p.groups, Ig: p.I, kh: p.kh, kw: p.kw, strides: p.strides, pads: p.pads, W: p.W, scales: weightScales(p.W, p.O, perTensorWeights) });
    } else if ((n.op === 'Gemm' || n.op === 'MatMul') && g.initializers.has(n.inputs[1]!) && !(n.op === 'Gemm' && attrInt(n, 'transA', 0))) {
      const { W, N, K } = readDense(g, n);
      layers.push({ out: n.outputs[0]!, input: n.inputs[0]!, O: N, groups: 1, Ig: K, kh: 1, kw: 1, strides: [1, 1], pads: [0, 0, 0, 0], W, scales: Array<number>(N).fill(weightScales(W, 1)[0]!) });
    }
  }
  return layers;
}

/** Second moments of one group's input patches and their float targets. */
class Moments {
  readonly xx: Float64Array;
  readonly x: Float64Array;
  readonly xy: Float64Array;
  readonly y: Float64Array;
  readonly yy: Float64Array;
  n = 0;
  constructor(readonly F: number, readonly rows: number) {
    this.xx = new Float64Array(F * F);
    this.x = new Float64Array(F);
    this.xy = new Float64Array(F * rows);
    this.y = new Float64Array(rows);
    this.yy = new Float64Array(rows);
  }
  /** Adds one patch `p` (its nonzero positions in `nz`) with targets `t`. */
  add(p: Float64Array, nz: Int32Array, nnz: number, t: Float64Array): void {
    const { F, rows, xx, x, xy, y } = this;
    for (let a = 0; a < nnz; a++) {
      const i = nz[a]!, v = p[i]!;
      x[i]! += v;
      for (let b = a; b < nnz; b++) xx[i * F + nz[b]!]! += v * p[nz[b]!]!;
      for (let r = 0; r < rows; r++) xy[i * rows + r]! += v * t[r]!;
    }
    for (let r = 0; r < rows; r++) (y[r]! += t[r]!), (this.yy[r]! += t[r]! * t[r]!);
    this.n++;
  }
  /** Centred and normalized: H = Cov(x), g[r] = Cov(x, y_r) (F × rows), means, Var(y_r). */
  finish(): { H: Float64Array; g: Float64Array; mx: Float64Array; my: Float64Array; vy: Float64Array } {
    const { F, rows, n } = this;
    const mx = this.x.map((v) => v / n), my = this.y.map((v) => v / n);
    const H = new Float64Array(F * F);
    for (let i = 0; i < F; i++)
      for (let j = i; j < F; j++) {
        // patches were added with nonzero indices in increasing order: the sum sits in the upper triangle
        const v = this.xx[i * F + j]! / n - mx[i]! * mx[j]!;
        H[i * F + j] = v;
        H[j * F + i] = v;
      }
    const g = new Float64Array(F * rows);
    for (let i = 0; i < F; i++) for (let r = 0; r < rows; r++) g[i * rows + r] = this.xy[i * rows + r]! / n - mx[i]! * my[r]!;
    return { H, g, mx, my, vy: this.yy.map((v, r) => v / n - my[r]! ** 2) };
  }
}

/** Output MSE of weights `w` (F) for the quadratic loss wᵀHw − 2wᵀg (g column r of F × rows), up to the constant. */
function quadratic(H: Float64Array, g: Float64Array, rows: number, r: number, w: Float64Array): number {
  const F = w.length;
  let s = 0;
  for (let a = 0; a < F; a++) {
    let h = 0;
    for (let b = 0; b < F; b++) h += H[a * F + b]! * w[b]!;
    s += w[a]! * (h - 2 * g[a * rows + r]!);
  }
  return s;
}

/** mulberry32: a small seeded generator, so that the patch subset (and so the model) is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quantizeInput(model: TfliteModel, x: Float32Array): Int8Array {
  const q = model.tensors[model.inputs[0]!]!.quantization!;
  const s = q.scale[0]!, z = q.zeroPoint[0]!, shape = model.tensors[model.inputs[0]!]!.shape;
  const C = shape.length === 4 ? shape[3]! : 1, plane = x.length / C;
  // NCHW → NHWC
  const out = new Int8Array(x.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < plane; p++) out[p * C + c] = Math.max(-128, Math.min(127, roundHalfAwayFromZero(x[c * plane + p]! / s) + z));
  return out;
}

/**
 * Chooses the int8 weights and biases of every Conv/Gemm/MatMul of `g`, in graph order. `lower`
 * builds the int8 model with the weights chosen so far (the rest rounded to nearest): its
 * activations are what the next layer is fitted on.
 */
export async function reconstructWeights(
  g: Graph,
  data: Dataset,
  lower: (weights: ReadonlyMap<string, RoundedWeights>) => LoweredModel,
  opts: ReconstructOptions,
  progress?: Progress,
): Promise<{ weights: Map<string, RoundedWeights>; report: LayerReconstruction[] }> {
  const layers = layersOf(g, opts.perTensorWeights ?? false);
  const N = Math.min(opts.samples, data.count);
  const inputs = Array.from({ length: N }, (_, i) => data.input(i));
  // float targets of every layer, once
  const targets = new Map<string, Float32Array[]>(layers.map((l) => [l.out, []]));
  const ort = await openInOrt(g, layers.map((l) => l.out));
  try {
    for (const x of inputs) {
      const res = await ort.run({ [g.inputs[0]!.name]: x });
      for (const l of layers) targets.get(l.out)!.push(res[l.out]!);
    }
  } finally {
    await ort.release();
  }
  const facts = inferValues(g);
  const weights = new Map<string, RoundedWeights>();
  const report: LayerReconstruction[] = [];
  for (const [li, l] of layers.entries()) {
    const lowered = lower(weights);
    const interp = createInterpreter(lowered.model);
    const inIdx = lowered.tensorOf.get(l.input)!;
    const qin = lowered.model.tensors[inIdx]!.quantization!;
    const sIn = qin.scale[0]!, zIn = qin.zeroPoint[0]!;
    const inDims = facts.get(l.input)!.dims, outDims = facts.get(l.out)!.dims;
    // NHWC as the interpreter holds it; a rank-2 input is one 1×1 position
    const [H, Wd, C] = inDims.length === 4 ? [inDims[2]!, inDims[3]!, inDims[1]!] : [1, 1, inDims[1]!];
    const [OH, OW] = outDims.length === 4 ? [outDims[2]!, outDims[3]!] : [1, 1];
    const rows = l.O / l.groups, F = l.Ig * l.kh * l.kw;
    const moments = Array.from({ length: l.groups }, () => new Moments(F, rows));
    const patch = new Float64Array(F), nz = new Int32Array(F), t = new Float64Array(rows);
    const keep = Math.min(1, opts.maxPatches / (N * OH * OW)), random = seeded(li + 1);
    const deq = new Float64Array(256).map((_, q) => (q - 128 - zIn) * sIn);
    for (let i = 0; i < N; i++) {
      interp.invoke(quantizeInput(lowered.model, inputs[i]!));
      const xin = interp.tensor(inIdx) as Int8Array, y = targets.get(l.out)![i]!;
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          if (keep < 1 && random() >= keep) continue;
          const iy0 = oy * l.strides[0] - l.pads[0]!, ix0 = ox * l.strides[1] - l.pads[1]!;
          for (let gi = 0; gi < l.groups; gi++) {
            let nnz = 0;
            for (let c = 0; c < l.Ig; c++)
              for (let ky = 0; ky < l.kh; ky++)
                for (let kx = 0; kx < l.kw; kx++) {
                  const iy = iy0 + ky, ix = ix0 + kx, j = (c * l.kh + ky) * l.kw + kx;
                  // outside the input: the PAD holds the zero point, i.e. exactly 0
                  const v = iy < 0 || iy >= H || ix < 0 || ix >= Wd ? 0 : deq[xin[(iy * Wd + ix) * C + gi * l.Ig + c]! + 128]!;
                  patch[j] = v;
                  if (v !== 0) nz[nnz++] = j;
                }
            for (let r = 0; r < rows; r++) t[r] = y[(gi * rows + r) * OH * OW + oy * OW + ox]!;
            moments[gi]!.add(patch, nz, nnz, t);
          }
        }
    }
    const q = new Int8Array(l.W.length), bias = new Float64Array(l.O);
    let nearestMse = 0, learnedMse = 0, flipped = 0;
    const near = roundWeights(l.W, l.scales);
    for (let gi = 0; gi < l.groups; gi++) {
      const { H: Hm, g: gm, mx, my, vy } = moments[gi]!.finish();
      const span = [gi * rows * F, (gi + 1) * rows * F] as const;
      const scales = l.scales.slice(gi * rows, (gi + 1) * rows);
      const Wg = l.W.subarray(...span);
      const qg = opts.rounding === 'gptq' ? gptqRounding(Hm, gm, Wg, scales, opts) : adaroundRounding(Hm, gm, Wg, scales, opts);
      q.set(qg, span[0]);
      for (let r = 0; r < rows; r++) {
        const s = scales[r]!, wa = Float64Array.from(qg.subarray(r * F, (r + 1) * F), (v) => v * s);
        const wn = Float64Array.from(near.subarray(span[0] + r * F, span[0] + (r + 1) * F), (v) => v * s);
        learnedMse += vy[r]! + quadratic(Hm, gm, rows, r, wa);
        nearestMse += vy[r]! + quadratic(Hm, gm, rows, r, wn);
        let dot = 0;
        for (let j = 0; j < F; j++) dot += wa[j]! * mx[j]!;
        bias[gi * rows + r] = my[r]! - dot;
      }
    }
    for (let k = 0; k < q.length; k++) if (q[k] !== near[k]) flipped++;
    weights.set(l.out, { q, scales: l.scales, bias });
    report.push({ layer: l.out, nearestMse, learnedMse, flipped: flipped / q.length });
    progress?.(li + 1, layers.length, opts.rounding);
  }
  return { weights, report };
}
