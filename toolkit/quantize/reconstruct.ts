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
import { openGram, openMatMul, type GramSession, type MatMulSession } from '../onnx/gram.ts';
import { transpose } from './linalg.ts';
import type { Dataset } from '../data/dataset.ts';
import { createInterpreter, roundHalfAwayFromZero, type TensorData } from '../int8/index.ts';
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
  b: Float64Array;
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
      layers.push({ out: n.outputs[0]!, input: n.inputs[0]!, O: p.O, groups: p.groups, Ig: p.I, kh: p.kh, kw: p.kw, strides: p.strides, pads: p.pads, W: p.W, b: p.b, scales: weightScales(p.W, p.O, perTensorWeights) });
    } else if ((n.op === 'Gemm' || n.op === 'MatMul') && g.initializers.has(n.inputs[1]!) && !(n.op === 'Gemm' && attrInt(n, 'transA', 0))) {
      const { W, b, N, K } = readDense(g, n);
      layers.push({ out: n.outputs[0]!, input: n.inputs[0]!, O: N, groups: 1, Ig: K, kh: 1, kw: 1, strides: [1, 1], pads: [0, 0, 0, 0], W, b, scales: Array<number>(N).fill(weightScales(W, 1)[0]!) });
    }
  }
  return layers;
}

/** Patches per onnxruntime call when the moments are summed there. */
const CHUNK = 1024;
/** Below this patch length the moments are summed in JavaScript (sparse, cheap: depthwise layers). */
const GRAM_MIN_F = 32;

/** Second moments of one group's input patches and their float targets. */
class Moments {
  readonly xx: Float64Array;
  readonly x: Float64Array;
  readonly xy: Float64Array;
  readonly y: Float64Array;
  readonly yy: Float64Array;
  n = 0;
  private P?: Uint8Array;
  private T?: Float64Array;
  private fill = 0;
  /**
   * With `gram`, xx and xy are summed in onnxruntime, CHUNK patches at a time, from the patches'
   * integers (`add`'s `u`: q + 128; `zero`: the zero point + 128; `scale`: the input scale).
   */
  constructor(readonly F: number, readonly rows: number, private gram?: { session: GramSession; zero: number; scale: number }) {
    this.xx = new Float64Array(F * F);
    this.x = new Float64Array(F);
    this.xy = new Float64Array(F * rows);
    this.y = new Float64Array(rows);
    this.yy = new Float64Array(rows);
    if (gram) (this.P = new Uint8Array(CHUNK * F)), (this.T = new Float64Array(CHUNK * rows));
  }
  /** Adds one patch `p` (its nonzero positions in `nz`; as integers `u`) with targets `t`; true when `flush` is due. */
  add(p: Float64Array, nz: Int32Array, nnz: number, t: Float64Array, u: Uint8Array): boolean {
    const { F, rows, xx, x, xy, y } = this;
    for (let a = 0; a < nnz; a++) x[nz[a]!]! += p[nz[a]!]!;
    for (let r = 0; r < rows; r++) (y[r]! += t[r]!), (this.yy[r]! += t[r]! * t[r]!);
    this.n++;
    if (this.P) {
      this.P.set(u, this.fill * F);
      this.T!.set(t, this.fill * rows);
      return ++this.fill === CHUNK;
    }
    for (let a = 0; a < nnz; a++) {
      const i = nz[a]!, v = p[i]!;
      // the upper triangle only: finish() mirrors it
      for (let b = a; b < nnz; b++) xx[i * F + nz[b]!]! += v * p[nz[b]!]!;
      for (let r = 0; r < rows; r++) xy[i * rows + r]! += v * t[r]!;
    }
    return false;
  }
  async flush(): Promise<void> {
    if (!this.P || !this.fill) return;
    const { session, zero, scale } = this.gram!;
    // patches past `fill` are the zero point (0 after dequantization) with zero targets: they add nothing
    this.P.fill(zero, this.fill * this.F);
    this.T!.fill(0, this.fill * this.rows);
    const { H, G } = await session.run(this.P, zero, this.T!);
    const s2 = scale * scale;
    for (let i = 0; i < H.length; i++) this.xx[i]! += H[i]! * s2;
    for (let i = 0; i < G.length; i++) this.xy[i]! += G[i]! * scale;
    this.fill = 0;
  }
  /** Centred and normalized: H = Cov(x), g[r] = Cov(x, y_r) (F × rows), means, Var(y_r). */
  finish(): { H: Float64Array; g: Float64Array; mx: Float64Array; my: Float64Array; vy: Float64Array } {
    const { F, rows, n } = this;
    const mx = this.x.map((v) => v / n), my = this.y.map((v) => v / n);
    const H = new Float64Array(F * F);
    for (let i = 0; i < F; i++)
      for (let j = i; j < F; j++) {
        const v = this.xx[i * F + j]! / n - mx[i]! * mx[j]!;
        H[i * F + j] = v;
        H[j * F + i] = v;
      }
    const g = new Float64Array(F * rows);
    for (let i = 0; i < F; i++) for (let r = 0; r < rows; r++) g[i * rows + r] = this.xy[i * rows + r]! / n - mx[i]! * my[r]!;
    return { H, g, mx, my, vy: this.yy.map((v, r) => v / n - my[r]! ** 2) };
  }
}

/**
 * Output MSE of each row of `Wr` (rows × F, real-valued weights) for the quadratic loss
 * wᵀHw − 2wᵀg (g: F × rows), up to the constant, summed over rows.
 */
async function quadraticSum(H: Float64Array, g: Float64Array, rows: number, Wr: Float64Array, mm: MatMulSession): Promise<number> {
  const F = g.length / rows;
  const HW = await mm.run(H, transpose(Wr, rows, F), F, F, rows);
  let s = 0;
  for (let a = 0; a < F; a++) for (let r = 0; r < rows; r++) s += Wr[r * F + a]! * (HW[a * rows + r]! - 2 * g[a * rows + r]!);
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
 * The int8 activations of every calibration sample at the point the fitting has reached: the tensors
 * that ops not run yet will read. Each op runs once per sample: the layers before the cut are fitted
 * and never change again, so their outputs stay valid (graph order is a topological order).
 */
class ActivationCache {
  private state: Map<number, TensorData>[] = [];
  private done = 0;
  constructor(private samples: number) {}
  start(model: TfliteModel, inputs: Int8Array[]): void {
    this.state = inputs.map((x) => new Map<number, TensorData>([[model.inputs[0]!, x]]));
  }
  /** Runs the ops up to the one that produces `tensor` (with the model's current weights), if not yet run. */
  advanceTo(model: TfliteModel, tensor: number): void {
    const ops = model.operators;
    let cut = ops.length;
    while (cut > 0 && !ops[cut - 1]!.outputs.includes(tensor)) cut--;
    if (cut <= this.done) return;
    const slice = ops.slice(this.done, cut);
    const later = new Set(ops.slice(cut).flatMap((o) => o.inputs));
    later.add(tensor);
    const needed = [...new Set(slice.flatMap((o) => o.inputs))].filter((t) => this.state[0]!.has(t));
    const kept = [...new Set(slice.flatMap((o) => o.outputs))].filter((t) => later.has(t));
    const interp = createInterpreter({ ...model, operators: slice, inputs: needed, outputs: kept });
    for (let i = 0; i < this.samples; i++) {
      const st = this.state[i]!;
      const outs = interp.run(needed.map((t) => st.get(t)!));
      kept.forEach((t, k) => st.set(t, outs[k]!));
      for (const t of st.keys()) if (!later.has(t)) st.delete(t);
    }
    this.done = cut;
  }
  tensor(sample: number, index: number): TensorData {
    const t = this.state[sample]!.get(index);
    if (!t) throw new Error(`activation cache: tensor ${index} was dropped before it was read`);
    return t;
  }
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
  // layers not fitted yet are lowered with their nearest integers: they do not feed the layer being
  // fitted, and this spares the lowering a scale search per layer and pass
  const nearest = new Map(layers.map((l) => [l.out, { q: roundWeights(l.W, l.scales), scales: l.scales, bias: l.b }]));
  const report: LayerReconstruction[] = [];
  const mm = await openMatMul();
  const cache = new ActivationCache(N);
  try {
  for (const [li, l] of layers.entries()) {
    const lowered = lower(new Map([...nearest, ...weights]));
    const inIdx = lowered.tensorOf.get(l.input)!;
    if (li === 0) cache.start(lowered.model, inputs.map((x) => quantizeInput(lowered.model, x)));
    cache.advanceTo(lowered.model, inIdx);
    const qin = lowered.model.tensors[inIdx]!.quantization!;
    const sIn = qin.scale[0]!, zIn = qin.zeroPoint[0]!;
    const inDims = facts.get(l.input)!.dims, outDims = facts.get(l.out)!.dims;
    // NHWC as the interpreter holds it; a rank-2 input is one 1×1 position
    const [H, Wd, C] = inDims.length === 4 ? [inDims[2]!, inDims[3]!, inDims[1]!] : [1, 1, inDims[1]!];
    const [OH, OW] = outDims.length === 4 ? [outDims[2]!, outDims[3]!] : [1, 1];
    const rows = l.O / l.groups, F = l.Ig * l.kh * l.kw;
    const gram = F >= GRAM_MIN_F ? await openGram(CHUNK, F, rows) : undefined;
    const moments = Array.from({ length: l.groups }, () => new Moments(F, rows, gram && { session: gram, zero: zIn + 128, scale: sIn }));
    const patch = new Float64Array(F), nz = new Int32Array(F), t = new Float64Array(rows), u = new Uint8Array(F);
    const keep = Math.min(1, opts.maxPatches / (N * OH * OW)), random = seeded(li + 1);
    const deq = new Float64Array(256).map((_, q) => (q - 128 - zIn) * sIn);
    for (let i = 0; i < N; i++) {
      const xin = cache.tensor(i, inIdx) as Int8Array, y = targets.get(l.out)![i]!;
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
                  const q = iy < 0 || iy >= H || ix < 0 || ix >= Wd ? zIn : xin[(iy * Wd + ix) * C + gi * l.Ig + c]!;
                  const v = deq[q + 128]!;
                  patch[j] = v;
                  u[j] = q + 128;
                  if (v !== 0) nz[nnz++] = j;
                }
            for (let r = 0; r < rows; r++) t[r] = y[(gi * rows + r) * OH * OW + oy * OW + ox]!;
            if (moments[gi]!.add(patch, nz, nnz, t, u)) await moments[gi]!.flush();
          }
        }
    }
    for (const m of moments) await m.flush();
    await gram?.release();
    const q = new Int8Array(l.W.length), bias = new Float64Array(l.O);
    let nearestMse = 0, learnedMse = 0, flipped = 0;
    const near = roundWeights(l.W, l.scales);
    for (let gi = 0; gi < l.groups; gi++) {
      const { H: Hm, g: gm, mx, my, vy } = moments[gi]!.finish();
      const span = [gi * rows * F, (gi + 1) * rows * F] as const;
      const scales = l.scales.slice(gi * rows, (gi + 1) * rows);
      const Wg = l.W.subarray(...span);
      const qg = opts.rounding === 'gptq' ? await gptqRounding(Hm, gm, Wg, scales, opts, mm) : adaroundRounding(Hm, gm, Wg, scales, opts);
      q.set(qg, span[0]);
      const real = (ints: ArrayLike<number>) => Float64Array.from({ length: rows * F }, (_, k) => ints[k]! * scales[Math.floor(k / F)]!);
      const wa = real(qg), wn = real(near.subarray(...span));
      const variance = vy.reduce((a, v) => a + v, 0);
      learnedMse += variance + (await quadraticSum(Hm, gm, rows, wa, mm));
      nearestMse += variance + (await quadraticSum(Hm, gm, rows, wn, mm));
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        for (let j = 0; j < F; j++) dot += wa[r * F + j]! * mx[j]!;
        bias[gi * rows + r] = my[r]! - dot;
      }
    }
    for (let k = 0; k < q.length; k++) if (q[k] !== near[k]) flipped++;
    weights.set(l.out, { q, scales: l.scales, bias });
    report.push({ layer: l.out, nearestMse, learnedMse, flipped: flipped / q.length });
    progress?.(li + 1, layers.length, opts.rounding);
  }
  } finally {
    await mm.release();
  }
  return { weights, report };
}
