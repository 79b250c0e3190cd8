/**
 * Exact algebra of affine convolutions (float64): BN folding, parallel sums, sequential composition.
 * A ConvParams is one ONNX Conv with dilation 1 and explicit pads.
 */
import { attrFloat, attrInt, type Graph, type Node } from '../graph/graph.ts';
import { convWindow } from '../graph/ops.ts';
import { toFloat64, type Tensor } from '../graph/tensor.ts';

export interface ConvParams {
  O: number;
  /** input channels per group */
  I: number;
  kh: number;
  kw: number;
  groups: number;
  strides: [number, number];
  /** top, left, bottom, right */
  pads: [number, number, number, number];
  W: Float64Array;
  b: Float64Array;
}

export const inChannels = (p: ConvParams) => p.I * p.groups;

/** The affine parameters of a Conv whose weight (and bias) are constants, or null. */
export function readConv(g: Graph, n: Node, inDims: readonly number[]): ConvParams | null {
  if (n.op !== 'Conv') return null;
  const w = g.initializers.get(n.inputs[1]!);
  const b = n.inputs[2] ? g.initializers.get(n.inputs[2]) : undefined;
  if (!w || w.dims.length !== 4 || (n.inputs[2] && !b)) return null;
  const win = convWindow(n, inDims, w.dims);
  if (win.dilations[0] !== 1 || win.dilations[1] !== 1) return null;
  const [O, I, kh, kw] = w.dims as [number, number, number, number];
  return {
    O, I, kh, kw,
    groups: attrInt(n, 'group', 1),
    strides: [...win.strides],
    pads: [...win.pads],
    W: toFloat64(w),
    b: b ? toFloat64(b) : new Float64Array(O),
  };
}

export interface BatchNormParams {
  scale: Float64Array; // t = γ/σ
  shift: Float64Array; // β − μ·t
}

export function readBatchNorm(g: Graph, n: Node): BatchNormParams | null {
  if (n.op !== 'BatchNormalization' || n.outputs.filter(Boolean).length > 1) return null;
  const [gamma, beta, mean, variance] = n.inputs.slice(1).map((i) => g.initializers.get(i));
  if (!gamma || !beta || !mean || !variance) return null;
  const eps = attrFloat(n, 'epsilon', 1e-5);
  const [G, B, M, V] = [gamma, beta, mean, variance].map(toFloat64) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const scale = G.map((v, c) => v / Math.sqrt(V[c]! + eps));
  return { scale, shift: B.map((v, c) => v - M[c]! * scale[c]!) };
}

/** K′ = K·t per output channel, b′ = b·t + shift (σ = √(var+eps), t = γ/σ). */
export function foldBatchNormInto(p: ConvParams, bn: BatchNormParams): ConvParams {
  const per = p.I * p.kh * p.kw;
  const W = p.W.map((v, i) => v * bn.scale[Math.floor(i / per)]!);
  return { ...p, W, b: p.b.map((v, o) => v * bn.scale[o]! + bn.shift[o]!) };
}

/** A per-channel affine map x·s + t as a depthwise 1×1 conv. */
export function channelAffineConv(scale: ArrayLike<number>, shift: ArrayLike<number>): ConvParams {
  const C = scale.length;
  return { O: C, I: 1, kh: 1, kw: 1, groups: C, strides: [1, 1], pads: [0, 0, 0, 0], W: Float64Array.from(scale), b: Float64Array.from(shift) };
}

/** AveragePool as a depthwise conv (exact when pads are 0 or counted). */
export function averagePoolConv(C: number, kh: number, kw: number, strides: [number, number], pads: ConvParams['pads']): ConvParams {
  return { O: C, I: 1, kh, kw, groups: C, strides, pads, W: new Float64Array(C * kh * kw).fill(1 / (kh * kw)), b: new Float64Array(C) };
}

/** The same conv expressed with `g` groups, where g divides p.groups (block-diagonal embedding). */
export function regroup(p: ConvParams, g: number): ConvParams {
  if (g === p.groups) return p;
  if (p.groups % g !== 0) throw new Error(`regroup: ${g} does not divide ${p.groups}`);
  const Cin = inChannels(p), I = Cin / g, k = p.kh * p.kw;
  const W = new Float64Array(p.O * I * k);
  const oPerOld = p.O / p.groups, oPerNew = p.O / g;
  for (let o = 0; o < p.O; o++) {
    const oldGroup = Math.floor(o / oPerOld), newGroup = Math.floor(o / oPerNew);
    const firstIn = oldGroup * p.I - newGroup * I; // offset of the old group's inputs inside the new group
    for (let i = 0; i < p.I; i++) W.set(p.W.subarray((o * p.I + i) * k, (o * p.I + i + 1) * k), (o * I + firstIn + i) * k);
  }
  return { ...p, I, groups: g, W };
}

/** Embeds the kernel into a larger window [kh, kw] whose top-left is (dy, dx) taps before the old one. */
function embed(p: ConvParams, kh: number, kw: number, dy: number, dx: number): Float64Array {
  const W = new Float64Array(p.O * p.I * kh * kw);
  for (let oi = 0; oi < p.O * p.I; oi++)
    for (let y = 0; y < p.kh; y++)
      for (let x = 0; x < p.kw; x++) W[oi * kh * kw + (y + dy) * kw + x + dx] = p.W[oi * p.kh * p.kw + y * p.kw + x]!;
  return W;
}

export const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

export function outSize(p: ConvParams, h: number, w: number): [number, number] {
  return [Math.floor((h + p.pads[0] + p.pads[2] - p.kh) / p.strides[0]) + 1, Math.floor((w + p.pads[1] + p.pads[3] - p.kw) / p.strides[1]) + 1];
}

/** Smallest non-negative end pad giving `out` outputs, or null when none does. */
function endPad(inSize: number, start: number, k: number, s: number, out: number): number | null {
  const pad = Math.max(0, (out - 1) * s + k - inSize - start);
  return Math.floor((inSize + start + pad - k) / s) + 1 === out ? pad : null;
}

/**
 * a(x) + b(x) as one conv: both kernels placed in the union of their windows. Exact whenever both
 * have the same stride and output size: every tap keeps its absolute input position.
 */
export function addParallel(a: ConvParams, b: ConvParams, h: number, w: number): ConvParams | null {
  if (a.O !== b.O || inChannels(a) !== inChannels(b) || a.strides[0] !== b.strides[0] || a.strides[1] !== b.strides[1]) return null;
  const [ha, wa] = outSize(a, h, w), [hb, wb] = outSize(b, h, w);
  if (ha !== hb || wa !== wb) return null;
  const top = Math.max(a.pads[0], b.pads[0]), left = Math.max(a.pads[1], b.pads[1]);
  const kh = top + Math.max(a.kh - a.pads[0], b.kh - b.pads[0]);
  const kw = left + Math.max(a.kw - a.pads[1], b.kw - b.pads[1]);
  const bottom = endPad(h, top, kh, a.strides[0], ha), right = endPad(w, left, kw, a.strides[1], wa);
  if (bottom === null || right === null) return null;
  const g = gcd(a.groups, b.groups);
  const [ra, rb] = [regroup(a, g), regroup(b, g)];
  const Wa = embed(ra, kh, kw, top - a.pads[0], left - a.pads[1]);
  const Wb = embed(rb, kh, kw, top - b.pads[0], left - b.pads[1]);
  return {
    ...ra, kh, kw, pads: [top, left, bottom, right],
    W: Wa.map((v, i) => v + Wb[i]!),
    b: a.b.map((v, o) => v + b.b[o]!),
  };
}

const isPointwise = (p: ConvParams) => p.kh === 1 && p.kw === 1 && p.strides[0] === 1 && p.strides[1] === 1 && p.pads.every((x) => x === 0);

/** Dense [O, Cin, kh, kw] weights of a grouped conv. */
function dense(p: ConvParams): Float64Array {
  return regroup(p, 1).W;
}

/** Largest group count g (dividing both channel counts) for which the dense weights are block-diagonal. */
function compressGroups(W: Float64Array, O: number, Cin: number, k: number, candidates: number[]): number {
  for (const g of [...new Set(candidates)].sort((x, y) => y - x)) {
    if (g <= 1 || O % g || Cin % g) continue;
    const og = O / g, ig = Cin / g;
    let zero = true;
    for (let o = 0; o < O && zero; o++)
      for (let i = 0; i < Cin && zero; i++)
        if (Math.floor(o / og) !== Math.floor(i / ig)) for (let t = 0; t < k; t++) if (W[(o * Cin + i) * k + t] !== 0) { zero = false; break; }
    if (zero) return g;
  }
  return 1;
}

/** Dense [O, Cin, kh, kw] weights as a conv with the largest group count (among the candidates) they fit. */
export function denseToGrouped(W: Float64Array, O: number, Cin: number, geo: ConvParams, b: Float64Array, groupCandidates: number[]): ConvParams {
  const k = geo.kh * geo.kw;
  const g = compressGroups(W, O, Cin, k, groupCandidates);
  const I = Cin / g, og = O / g;
  const Wg = new Float64Array(O * I * k);
  for (let o = 0; o < O; o++) {
    const first = Math.floor(o / og) * I;
    Wg.set(W.subarray((o * Cin + first) * k, (o * Cin + first + I) * k), o * I * k);
  }
  return { ...geo, O, I, groups: g, W: Wg, b };
}

/**
 * b(a(x)) as one conv, when one of them is pointwise (1×1, stride 1, no pad). With `a` pointwise the
 * result is exact only when b has no padding or a has no bias (b pads with zeros, not with a(0));
 * `exactBorders` says which.
 */
export function composeSequential(a: ConvParams, b: ConvParams): { conv: ConvParams; exactBorders: boolean } | null {
  if (inChannels(b) !== a.O) return null;
  const Cin = inChannels(a), M = a.O, O = b.O;
  const Da = dense(a), Db = dense(b);
  const cands = [a.groups, b.groups, gcd(a.groups, b.groups)];
  if (isPointwise(a)) {
    const k = b.kh * b.kw;
    const W = new Float64Array(O * Cin * k);
    const bias = Float64Array.from(b.b);
    for (let o = 0; o < O; o++)
      for (let m = 0; m < M; m++) {
        const bo = (o * M + m) * k;
        let tapSum = 0;
        for (let t = 0; t < k; t++) tapSum += Db[bo + t]!;
        bias[o] += tapSum * a.b[m]!;
        for (let i = 0; i < Cin; i++) {
          const am = Da[m * Cin + i]!;
          if (am === 0) continue;
          for (let t = 0; t < k; t++) W[(o * Cin + i) * k + t] += Db[bo + t]! * am;
        }
      }
    const exactBorders = b.pads.every((x) => x === 0) || a.b.every((x) => x === 0);
    return { conv: denseToGrouped(W, O, Cin, b, bias, cands), exactBorders };
  }
  if (isPointwise(b)) {
    const k = a.kh * a.kw;
    const W = new Float64Array(O * Cin * k);
    const bias = Float64Array.from(b.b);
    for (let o = 0; o < O; o++)
      for (let m = 0; m < M; m++) {
        const q = Db[o * M + m]!;
        if (q === 0) continue;
        bias[o] += q * a.b[m]!;
        for (let t = 0; t < Cin * k; t++) W[o * Cin * k + t] += q * Da[m * Cin * k + t]!;
      }
    return { conv: denseToGrouped(W, O, Cin, a, bias, cands), exactBorders: true };
  }
  return null;
}

/** The Conv node and its initializers for `p`, reading `input` and writing `output`. */
export function convNode(p: ConvParams, name: string, input: string, output: string): { node: Node; inits: [string, Tensor][] } {
  const wName = `${name}.weight`, bName = `${name}.bias`;
  const node: Node = {
    name,
    op: 'Conv',
    inputs: [input, wName, bName],
    outputs: [output],
    attrs: {
      kernel_shape: { kind: 'ints', value: [p.kh, p.kw] },
      strides: { kind: 'ints', value: [...p.strides] },
      pads: { kind: 'ints', value: [...p.pads] },
      dilations: { kind: 'ints', value: [1, 1] },
      group: { kind: 'int', value: p.groups },
    },
  };
  return {
    node,
    inits: [
      [wName, { dtype: 'float32', dims: [p.O, p.I, p.kh, p.kw], data: Float32Array.from(p.W) }],
      [bName, { dtype: 'float32', dims: [p.O], data: Float32Array.from(p.b) }],
    ],
  };
}
