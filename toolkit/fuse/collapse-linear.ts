/**
 * General linear region collapse. A region that is affine in one input and translation-equivariant
 * is one conv: its bias is the response to a zero input, its kernel the responses to impulses (one per
 * input channel and stride phase), measured with reparo's float64 evaluator. The conv is then proven
 * equal to the region in onnxruntime on random inputs, borders included, and refused when it is not.
 */
import { type Graph, type Node, removeUnused, topoSort, nameAllocator } from '../graph/graph.ts';
import { evaluate, inferValues } from '../graph/evaluate.ts';
import type { Val } from '../graph/ops.ts';
import { randomInput } from '../graph/random.ts';
import { sizeOf } from '../graph/tensor.ts';
import { openInOrt } from '../onnx/runtime.ts';
import { convNode, outSize, type ConvParams } from './conv-algebra.ts';
import { linearRegions, regionGraph, type LinearRegion } from './regions.ts';

export interface CollapseOutcome {
  output: string;
  nodes: { name: string; op: string }[];
  status: 'collapsed' | 'refused';
  reason?: string;
  /** max |region − conv| relative to the region's output range, over the proof inputs */
  proofRelErr?: number;
  kernel?: [number, number];
}

export interface CollapseOptions {
  proofSamples?: number;
  tolerance?: number;
  seed?: number;
}

const regionMacs = (g: Graph, r: LinearRegion, dims: (v: string) => number[]) =>
  r.nodes.reduce((acc, n) => {
    if (n.op !== 'Conv') return acc;
    const w = g.initializers.get(n.inputs[1]!)!;
    return acc + sizeOf(w.dims) * sizeOf(dims(n.outputs[0]!).slice(2));
  }, 0);

/** Measures the region as a conv; null (with a reason) when its responses do not look like one. */
function measure(sub: Graph, inDims: number[], outDims: number[]): ConvParams | string {
  const [, C, H, W] = inDims as [number, number, number, number];
  const [, O, Ho, Wo] = outDims as [number, number, number, number];
  const sh = Math.max(1, Math.round(H / Ho)), sw = Math.max(1, Math.round(W / Wo));
  const run = (x: Float64Array) => evaluate(sub, new Map<string, Val>([[sub.inputs[0]!.name, { dtype: 'float32', dims: inDims, data: x }]])).get(sub.outputs[0]!.name)!.data;
  const zero = run(new Float64Array(C * H * W));
  const plane = Ho * Wo;
  const bias = new Float64Array(O);
  for (let o = 0; o < O; o++) bias[o] = zero[o * plane + Math.floor(Ho / 2) * Wo + Math.floor(Wo / 2)]!;
  let scale = 0;
  for (const v of zero) scale = Math.max(scale, Math.abs(v));
  // taps[i][(dy,dx)] = response column over output channels
  const taps: Map<string, Float64Array>[] = [];
  let minY = Infinity, maxY = -Infinity, minX = Infinity, maxX = -Infinity;
  const cy = Math.floor(H / 2) - Math.floor(sh / 2), cx = Math.floor(W / 2) - Math.floor(sw / 2);
  for (let i = 0; i < C; i++) {
    const m = new Map<string, Float64Array>();
    for (let a = 0; a < sh; a++)
      for (let b = 0; b < sw; b++) {
        const x = new Float64Array(C * H * W);
        const y = cy + a, xx = cx + b;
        x[(i * H + y) * W + xx] = 1;
        const r = run(x);
        for (let oy = 0; oy < Ho; oy++)
          for (let ox = 0; ox < Wo; ox++) {
            let any = false;
            const col = new Float64Array(O);
            for (let o = 0; o < O; o++) {
              const d = r[o * plane + oy * Wo + ox]! - zero[o * plane + oy * Wo + ox]!;
              col[o] = d;
              if (Math.abs(d) > 1e-12 * Math.max(1, scale)) any = true;
            }
            if (!any) continue;
            const dy = y - oy * sh, dx = xx - ox * sw;
            m.set(`${dy},${dx}`, col);
            minY = Math.min(minY, dy), maxY = Math.max(maxY, dy), minX = Math.min(minX, dx), maxX = Math.max(maxX, dx);
          }
      }
    taps.push(m);
  }
  if (minY === Infinity) (minY = maxY = 0), (minX = maxX = 0);
  const kh = maxY - minY + 1, kw = maxX - minX + 1;
  if (kh > H || kw > W) return `receptive field ${kh}×${kw} is not smaller than the input`;
  const top = -minY, left = -minX;
  if (top < 0 || left < 0) return 'the region reads ahead of its output position (not a conv with non-negative padding)';
  const bottom = Math.max(0, (Ho - 1) * sh + kh - H - top), right = Math.max(0, (Wo - 1) * sw + kw - W - left);
  const p: ConvParams = { O, I: C, kh, kw, groups: 1, strides: [sh, sw], pads: [top, left, bottom, right], W: new Float64Array(O * C * kh * kw), b: bias };
  const [gotH, gotW] = outSize(p, H, W);
  if (gotH !== Ho || gotW !== Wo) return `no conv geometry gives ${Ho}×${Wo} from ${H}×${W} with a ${kh}×${kw} kernel`;
  taps.forEach((m, i) => {
    for (const [key, col] of m) {
      const [dy, dx] = key.split(',').map(Number) as [number, number];
      const t = (dy - minY) * kw + (dx - minX);
      for (let o = 0; o < O; o++) p.W[(o * C + i) * kh * kw + t] = col[o]!;
    }
  });
  return p;
}

/** Largest group count whose block structure the dense kernel has (depthwise regions stay depthwise). */
function regroupMeasured(p: ConvParams): ConvParams {
  const Cin = p.I, k = p.kh * p.kw;
  for (let g = Math.min(p.O, Cin); g > 1; g--) {
    if (p.O % g || Cin % g) continue;
    const og = p.O / g, ig = Cin / g;
    let ok = true;
    for (let o = 0; o < p.O && ok; o++)
      for (let i = 0; i < Cin && ok; i++)
        if (Math.floor(o / og) !== Math.floor(i / ig)) for (let t = 0; t < k; t++) if (p.W[(o * Cin + i) * k + t] !== 0) { ok = false; break; }
    if (!ok) continue;
    const W = new Float64Array(p.O * ig * k);
    for (let o = 0; o < p.O; o++) {
      const first = Math.floor(o / og) * ig;
      W.set(p.W.subarray((o * Cin + first) * k, (o * Cin + first + ig) * k), o * ig * k);
    }
    return { ...p, I: ig, groups: g, W };
  }
  return p;
}

/** Proof: the region and the conv agree in onnxruntime on random and border-heavy inputs. */
async function prove(sub: Graph, conv: Graph, samples: number, seed: number): Promise<number> {
  const [a, b] = await Promise.all([openInOrt(sub), openInOrt(conv)]);
  try {
    const inp = sub.inputs[0]!;
    const [, C, H, W] = inp.dims as [number, number, number, number];
    let maxAbs = 0, lo = Infinity, hi = -Infinity;
    for (let s = 0; s < samples + 1; s++) {
      const x = randomInput(C * H * W, s, seed);
      if (s === samples) // borders only, large: catches padding that is not a conv's zero padding
        for (let i = 0; i < x.length; i++) {
          const y = Math.floor(i / W) % H, xx = i % W;
          x[i] = y === 0 || xx === 0 || y === H - 1 || xx === W - 1 ? 10 * (x[i]! - 0.5) : 0;
        }
      const [ra, rb] = await Promise.all([a.run({ [inp.name]: x }), b.run({ [inp.name]: x })]);
      const ya = ra[sub.outputs[0]!.name]!, yb = rb[conv.outputs[0]!.name]!;
      for (let i = 0; i < ya.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(ya[i]! - yb[i]!) || 0);
        if (Number.isNaN(yb[i]!)) maxAbs = Infinity;
        lo = Math.min(lo, ya[i]!), hi = Math.max(hi, ya[i]!);
      }
    }
    return maxAbs / Math.max(hi - lo, 1e-30);
  } finally {
    await Promise.all([a.release(), b.release()]);
  }
}

/** Collapses every multi-node linear region that contains a conv; returns the new graph and what happened. */
export async function collapseLinearRegions(g: Graph, opts: CollapseOptions = {}): Promise<{ graph: Graph; outcomes: CollapseOutcome[] }> {
  const { proofSamples = 4, tolerance = 1e-5, seed = 7 } = opts;
  const facts = inferValues(g);
  const dims = (v: string) => facts.get(v)!.dims;
  const fresh = nameAllocator(g);
  const outcomes: CollapseOutcome[] = [];
  const remove = new Set<Node>();
  const add: Node[] = [];
  const inits = new Map(g.initializers);
  for (const r of linearRegions(g)) {
    if (r.nodes.length < 2 || !r.nodes.some((n) => n.op === 'Conv')) continue;
    const inDims = dims(r.input), outDims = dims(r.output);
    const base = { output: r.output, nodes: r.nodes.map((n) => ({ name: n.name, op: n.op })) };
    if (inDims.length !== 4 || outDims.length !== 4 || inDims[0] !== 1 || outDims[0] !== 1) {
      outcomes.push({ ...base, status: 'refused', reason: 'input and output must be single NCHW images' });
      continue;
    }
    const sub = regionGraph(g, r, dims);
    const measured = measure(sub, inDims, outDims);
    if (typeof measured === 'string') {
      outcomes.push({ ...base, status: 'refused', reason: measured });
      continue;
    }
    const p = regroupMeasured(measured);
    const macsAfter = sizeOf([p.O, p.I, p.kh, p.kw]) * outDims[2]! * outDims[3]!;
    const macsBefore = regionMacs(g, r, dims);
    if (macsAfter > macsBefore) {
      outcomes.push({ ...base, status: 'refused', reason: `one conv would cost ${macsAfter} MACs, the region ${macsBefore}` });
      continue;
    }
    const name = fresh(`${r.nodes.find((n) => n.op === 'Conv')!.name}_collapsed`);
    const { node, inits: ci } = convNode(p, name, r.input, r.output);
    const convGraph: Graph = { ...sub, nodes: [node], initializers: new Map(ci) };
    const rel = await prove(sub, convGraph, proofSamples, seed);
    if (!(rel <= tolerance)) {
      outcomes.push({ ...base, status: 'refused', reason: `proof failed: relative error ${rel.toExponential(2)} > ${tolerance}`, proofRelErr: rel });
      continue;
    }
    r.nodes.forEach((n) => remove.add(n));
    add.push(node);
    ci.forEach(([k, t]) => inits.set(k, t));
    outcomes.push({ ...base, status: 'collapsed', proofRelErr: rel, kernel: [p.kh, p.kw] });
  }
  if (!add.length) return { graph: g, outcomes };
  const graph = removeUnused(topoSort({ ...g, nodes: [...g.nodes.filter((n) => !remove.has(n)), ...add], initializers: inits }));
  return { graph, outcomes };
}
