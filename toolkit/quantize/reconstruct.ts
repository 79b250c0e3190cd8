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
import { computeThreads } from '../onnx/threads.ts';
import { transpose } from './linalg.ts';
import type { Dataset } from '../data/dataset.ts';
import { seededRandom } from '../data/random.ts';
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

/** The nodes whose weights are fitted: convolutions and dense layers with constant weights. */
const fitted = (g: Graph, n: Graph['nodes'][number]) =>
  n.op === 'Conv' || ((n.op === 'Gemm' || n.op === 'MatMul') && g.initializers.has(n.inputs[1]!) && !(n.op === 'Gemm' && attrInt(n, 'transA', 0)));

/** The values whose float targets weight rounding fits: `targets` of reconstructWeights. */
export const fittedOutputs = (g: Graph): string[] => g.nodes.filter((n) => fitted(g, n)).map((n) => n.outputs[0]!);

function layersOf(g: Graph, perTensorWeights: boolean): Layer[] {
  const facts = inferValues(g);
  const layers: Layer[] = [];
  for (const n of g.nodes) {
    if (!fitted(g, n)) continue;
    if (n.op === 'Conv') {
      const p = readConv(g, n, facts.get(n.inputs[0]!)!.dims);
      if (!p) continue; // lowering reports it
      layers.push({ out: n.outputs[0]!, input: n.inputs[0]!, O: p.O, groups: p.groups, Ig: p.I, kh: p.kh, kw: p.kw, strides: p.strides, pads: p.pads, W: p.W, b: p.b, scales: weightScales(p.W, p.O, perTensorWeights) });
    } else {
      const { W, b, N, K } = readDense(g, n);
      layers.push({ out: n.outputs[0]!, input: n.inputs[0]!, O: N, groups: 1, Ig: K, kh: 1, kw: 1, strides: [1, 1], pads: [0, 0, 0, 0], W, b, scales: Array<number>(N).fill(weightScales(W, 1)[0]!) });
    }
  }
  return layers;
}

/** At most this many patches per onnxruntime call when the moments are summed there (n·255² must fit int32). */
const CHUNK = 8192;
/** Below this patch length the moments are summed in JavaScript (sparse, cheap: depthwise layers). */
const GRAM_MIN_F = 32;

/** Centred, normalized second moments of one group: H = Cov(x), g[r] = Cov(x, y_r) (F × rows), means, Var(y_r). */
interface Covariances {
  H: Float64Array;
  g: Float64Array;
  mx: Float64Array;
  my: Float64Array;
  vy: Float64Array;
}

/** Running sums of one group's input patches and float targets. */
abstract class Moments {
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
  protected addTargets(t: Float64Array): void {
    for (let r = 0; r < this.rows; r++) (this.y[r]! += t[r]!), (this.yy[r]! += t[r]! * t[r]!);
    this.n++;
  }
  /** `at(j)`: where input j of the ONNX weight layout sits in the sums */
  protected covariances(at: (j: number) => number): Covariances {
    const { F, rows, n } = this;
    const mx = Float64Array.from({ length: F }, (_, j) => this.x[at(j)]! / n), my = this.y.map((v) => v / n);
    const H = new Float64Array(F * F);
    for (let i = 0; i < F; i++) {
      const ai = at(i);
      for (let j = i; j < F; j++) {
        const aj = at(j);
        // only one triangle is summed: the entry may sit on either side
        const v = this.xx[ai <= aj ? ai * F + aj : aj * F + ai]! / n - mx[i]! * mx[j]!;
        H[i * F + j] = v;
        H[j * F + i] = v;
      }
    }
    const g = new Float64Array(F * rows);
    for (let i = 0; i < F; i++) {
      const ai = at(i);
      for (let r = 0; r < rows; r++) g[i * rows + r] = this.xy[ai * rows + r]! / n - mx[i]! * my[r]!;
    }
    return { H, g, mx, my, vy: this.yy.map((v, r) => v / n - my[r]! ** 2) };
  }
  abstract finish(): Covariances;
}

/** Summed in JavaScript over the nonzero entries (short patches: depthwise layers), in the ONNX order. */
class SparseMoments extends Moments {
  /** Adds one patch `p` (its nonzero positions in `nz`) with targets `t`. */
  add(p: Float64Array, nz: Int32Array, nnz: number, t: Float64Array): void {
    const { F, rows, xx, x, xy } = this;
    this.addTargets(t);
    for (let a = 0; a < nnz; a++) {
      const i = nz[a]!, v = p[i]!;
      x[i]! += v;
      // the upper triangle only: covariances() mirrors it
      for (let b = a; b < nnz; b++) xx[i * F + nz[b]!]! += v * p[nz[b]!]!;
      for (let r = 0; r < rows; r++) xy[i * rows + r]! += v * t[r]!;
    }
  }
  finish(): Covariances {
    return this.covariances((j) => j);
  }
}

/**
 * Summed in onnxruntime, `chunk` patches at a time, from the patches' integers. A patch is
 * held window position by window position ((ky, kx, c): the input's NHWC runs copy as they are);
 * finish() reorders to the ONNX weight layout (c, ky, kx).
 */
class GramMoments extends Moments {
  private readonly P: Int8Array;
  private readonly T: Float64Array;
  private fill = 0;
  /** `zero`: the input's zero point; `scale`: its scale; `window`: kh·kw */
  constructor(F: number, rows: number, private chunk: number, private session: GramSession, private zero: number, private scale: number, private window: number) {
    super(F, rows);
    this.P = new Int8Array(chunk * F);
    this.T = new Float64Array(chunk * rows);
  }
  /** The row the next patch is written into. */
  get row(): Int8Array {
    return this.P.subarray(this.fill * this.F, (this.fill + 1) * this.F);
  }
  /** Takes the patch written into `row` with targets `t`; true when `flush` is due. */
  commit(t: Float64Array): boolean {
    this.addTargets(t);
    this.T.set(t, this.fill * this.rows);
    return ++this.fill === this.chunk;
  }
  async flush(): Promise<void> {
    if (!this.fill) return;
    const { session, zero, scale } = this;
    // patches past `fill` are the zero point (0 after dequantization) with zero targets: they add nothing
    this.P.fill(zero, this.fill * this.F);
    this.T.fill(0, this.fill * this.rows);
    const { H, G, S } = await session.run(this.P, zero, this.T);
    const s2 = scale * scale;
    for (let i = 0; i < H.length; i++) this.xx[i]! += H[i]! * s2;
    for (let i = 0; i < G.length; i++) this.xy[i]! += G[i]! * scale;
    for (let i = 0; i < S.length; i++) this.x[i]! += S[i]! * scale;
    this.fill = 0;
  }
  finish(): Covariances {
    const Ig = this.F / this.window, w = this.window;
    return this.covariances((j) => (j % w) * Ig + Math.floor(j / w));
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
 * activations are what the next layer is fitted on. `targets`: each fittedOutputs() value's float
 * tensor for the first `samples` samples, if the caller has them.
 */
export async function reconstructWeights(
  g: Graph,
  data: Dataset,
  lower: (weights: ReadonlyMap<string, RoundedWeights>) => LoweredModel,
  opts: ReconstructOptions,
  progress?: Progress,
  targets?: ReadonlyMap<string, readonly Float32Array[]>,
): Promise<{ weights: Map<string, RoundedWeights>; report: LayerReconstruction[] }> {
  const layers = layersOf(g, opts.perTensorWeights ?? false);
  const N = Math.min(opts.samples, data.count);
  const inputs = Array.from({ length: N }, (_, i) => data.input(i));
  const threads = computeThreads();
  // the float targets of every layer, unless calibration kept them
  if (!targets) {
    const kept = new Map<string, Float32Array[]>(layers.map((l) => [l.out, []]));
    const ort = await openInOrt(g, layers.map((l) => l.out), threads);
    try {
      for (const x of inputs) {
        const res = await ort.run({ [g.inputs[0]!.name]: x });
        for (const l of layers) kept.get(l.out)!.push(res[l.out]!);
      }
    } finally {
      await ort.release();
    }
    targets = kept;
  }
  const facts = inferValues(g);
  const weights = new Map<string, RoundedWeights>();
  // layers not fitted yet are lowered with their nearest integers: they do not feed the layer being
  // fitted, and this spares the lowering a scale search per layer and pass
  const nearest = new Map(layers.map((l) => [l.out, { q: roundWeights(l.W, l.scales), scales: l.scales, bias: l.b }]));
  const report: LayerReconstruction[] = [];
  const mm = await openMatMul(threads);
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
      const keep = Math.min(1, opts.maxPatches / (N * OH * OW)), random = seededRandom(li + 1);
      // big chunks: each call's sums are added into float64 in JavaScript; not much bigger than the patches there are
      const chunk = Math.min(CHUNK, Math.ceil((N * OH * OW * keep) / 256) * 256);
      const gram = F >= GRAM_MIN_F ? await openGram(chunk, F, rows, threads) : undefined;
      const moments = Array.from({ length: l.groups }, () => (gram ? new GramMoments(F, rows, chunk, gram, zIn, sIn, l.kh * l.kw) : new SparseMoments(F, rows)));
      const patch = new Float64Array(F), nz = new Int32Array(F), t = new Float64Array(rows);
      const deq = new Float64Array(256).map((_, q) => (q - 128 - zIn) * sIn);
      for (let i = 0; i < N; i++) {
        const xin = cache.tensor(i, inIdx) as Int8Array, y = targets.get(l.out)![i]!;
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            if (keep < 1 && random() >= keep) continue;
            const iy0 = oy * l.strides[0] - l.pads[0]!, ix0 = ox * l.strides[1] - l.pads[1]!;
            for (let gi = 0; gi < l.groups; gi++) {
              for (let r = 0; r < rows; r++) t[r] = y[(gi * rows + r) * OH * OW + oy * OW + ox]!;
              const m = moments[gi]!;
              if (m instanceof GramMoments) {
                const row = m.row;
                for (let ky = 0, o = 0; ky < l.kh; ky++)
                  for (let kx = 0; kx < l.kw; kx++, o += l.Ig) {
                    const iy = iy0 + ky, ix = ix0 + kx;
                    // outside the input: the PAD holds the zero point, i.e. exactly 0
                    if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) row.fill(zIn, o, o + l.Ig);
                    else row.set(xin.subarray((iy * Wd + ix) * C + gi * l.Ig, (iy * Wd + ix) * C + (gi + 1) * l.Ig), o);
                  }
                if (m.commit(t)) await m.flush();
                continue;
              }
              let nnz = 0;
              for (let c = 0; c < l.Ig; c++)
                for (let ky = 0; ky < l.kh; ky++)
                  for (let kx = 0; kx < l.kw; kx++) {
                    const iy = iy0 + ky, ix = ix0 + kx, j = (c * l.kh + ky) * l.kw + kx;
                    const q = iy < 0 || iy >= H || ix < 0 || ix >= Wd ? zIn : xin[(iy * Wd + ix) * C + gi * l.Ig + c]!;
                    const v = deq[q + 128]!;
                    patch[j] = v;
                    if (v !== 0) nz[nnz++] = j;
                  }
              (m as SparseMoments).add(patch, nz, nnz, t);
            }
          }
      }
      for (const m of moments) if (m instanceof GramMoments) await m.flush();
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
