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
import { sizeOf, type Tensor } from '../graph/tensor.ts';
import { openInOrt } from '../onnx/runtime.ts';
import { convNode, denseToGrouped, outSize, type ConvParams } from './conv-algebra.ts';
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

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/**
 * The fewest MACs one conv equal to the region could cost, from its structure alone: its kernel spans at
 * least the region's receptive field, and its weights keep at most gcd of the groups along every path
 * (block-diagonal products). Measuring by impulses costs a full evaluation per input channel and
 * position, so a region whose single conv cannot pay is refused before it is measured (RepViT's
 * stride-2 stem conv before its depthwise block: 40 s at 224×224 only to be refused).
 */
function collapsedMacsLowerBound(g: Graph, r: LinearRegion, dims: (v: string) => number[]): number {
  const C = dims(r.input)[1]!;
  const at = new Map<string, { rf: [number, number]; jump: [number, number]; groups: number }>([[r.input, { rf: [1, 1], jump: [1, 1], groups: C }]]);
  for (const n of r.nodes) {
    const ins = n.inputs.flatMap((v) => (v && at.has(v) ? [at.get(v)!] : []));
    if (!ins.length) continue;
    const merged = {
      rf: [Math.max(...ins.map((x) => x.rf[0])), Math.max(...ins.map((x) => x.rf[1]))] as [number, number],
      jump: [Math.max(...ins.map((x) => x.jump[0])), Math.max(...ins.map((x) => x.jump[1]))] as [number, number],
      groups: ins.map((x) => x.groups).reduce(gcd),
    };
    if (n.op === 'Conv' || n.op === 'AveragePool') {
      const w = n.op === 'Conv' ? g.initializers.get(n.inputs[1]!) : undefined;
      const k = n.op === 'Conv' ? [w?.dims[2] ?? 1, w?.dims[3] ?? 1] : (n.attrs.kernel_shape?.kind === 'ints' ? n.attrs.kernel_shape.value : [1, 1]);
      const st = n.attrs.strides?.kind === 'ints' ? n.attrs.strides.value : [1, 1];
      merged.rf = [merged.rf[0] + (k[0]! - 1) * merged.jump[0], merged.rf[1] + (k[1]! - 1) * merged.jump[1]];
      merged.jump = [merged.jump[0] * (st[0] ?? 1), merged.jump[1] * (st[1] ?? 1)];
      if (n.op === 'Conv') merged.groups = gcd(merged.groups, n.attrs.group?.kind === 'int' ? n.attrs.group.value : 1);
    }
    for (const o of n.outputs) if (o) at.set(o, merged);
  }
  const out = at.get(r.output);
  if (!out) return 0;
  const [, O, Ho, Wo] = dims(r.output) as [number, number, number, number];
  return (O * (C / Math.max(1, out.groups)) * out.rf[0] * out.rf[1]) * Ho * Wo;
}

/**
 * Strides worth trying along one axis, the measured one first: a conv with stride s answers an
 * impulse moved by s pixels with its response moved by one output.
 */
function strideCandidates(sub: Graph, inDims: number[], outDims: number[], axis: 2 | 3): number[] {
  const [, C, H, W] = inDims as [number, number, number, number];
  const [, O, Ho, Wo] = outDims as [number, number, number, number];
  const n = axis === 2 ? H : W, m = axis === 2 ? Ho : Wo;
  const plausible = [1, 2, 3, 4].filter((s) => (m - 1) * s < n + 8).sort((a, b) => Math.abs(n / m - a) - Math.abs(n / m - b));
  const respond = (shift: number) => {
    const x = new Float64Array(C * H * W);
    const y = Math.floor(H / 2) - (axis === 2 ? 2 : 0) + (axis === 2 ? shift : 0);
    const xx = Math.floor(W / 2) - (axis === 3 ? 2 : 0) + (axis === 3 ? shift : 0);
    if (y >= H || xx >= W) return undefined;
    for (let i = 0; i < C; i++) x[(i * H + y) * W + xx] = 1;
    return evaluate(sub, new Map<string, Val>([[sub.inputs[0]!.name, { dtype: 'float32', dims: inDims, data: x }]])).get(sub.outputs[0]!.name)!.data;
  };
  const base = respond(0);
  const at = (r: Float64Array, o: number, oy: number, ox: number) => r[(o * Ho + oy) * Wo + ox]!;
  const measured = plausible.find((s) => {
    const moved = respond(s);
    if (!base || !moved) return false;
    let diff = 0, mag = 0;
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < Ho - (axis === 2 ? 1 : 0); oy++)
        for (let ox = 0; ox < Wo - (axis === 3 ? 1 : 0); ox++) {
          const a = at(base, o, oy, ox), b = axis === 2 ? at(moved, o, oy + 1, ox) : at(moved, o, oy, ox + 1);
          diff = Math.max(diff, Math.abs(a - b));
          mag = Math.max(mag, Math.abs(a));
        }
    return diff <= 1e-9 * Math.max(1, mag);
  });
  return measured ? [measured, ...plausible.filter((s) => s !== measured)] : plausible;
}

/** Positions just outside `chosen` on the low or high side (one per stride phase), inside [0, n). */
function widen(chosen: number[], n: number, s: number, low: boolean): number[] {
  const edge = low ? Math.min(...chosen) : Math.max(...chosen);
  return Array.from({ length: s }, (_, k) => (low ? edge - 1 - k : edge + 1 + k)).filter((y) => y >= 0 && y < n && !chosen.includes(y));
}

/**
 * Measures the region as a conv with the given strides; a reason when its responses do not look like
 * one. Impulses start at the centre (one per stride phase); when the kernel's support reaches the edge
 * of what those impulses can show (small maps, big kernels), impulses are added towards the borders.
 */
function measure(sub: Graph, inDims: number[], outDims: number[], [sh, sw]: [number, number]): ConvParams | string {
  const [, C, H, W] = inDims as [number, number, number, number];
  const [, O, Ho, Wo] = outDims as [number, number, number, number];
  const run = (x: Float64Array) => evaluate(sub, new Map<string, Val>([[sub.inputs[0]!.name, { dtype: 'float32', dims: inDims, data: x }]])).get(sub.outputs[0]!.name)!.data;
  const zero = run(new Float64Array(C * H * W));
  const plane = Ho * Wo;
  const bias = new Float64Array(O);
  for (let o = 0; o < O; o++) bias[o] = zero[o * plane + Math.floor(Ho / 2) * Wo + Math.floor(Wo / 2)]!;
  let scale = 0;
  for (const v of zero) scale = Math.max(scale, Math.abs(v));
  const centre = (n: number, s: number) => Array.from({ length: Math.min(s, n) }, (_, a) => Math.min(n - 1, Math.max(0, Math.floor(n / 2) - Math.floor(s / 2) + a)));
  const rows = centre(H, sh), cols = centre(W, sw);
  // taps[i]: "dy,dx" → response column over output channels; the observation nearest the centre wins
  const taps: Map<string, Float64Array>[] = Array.from({ length: C }, () => new Map());
  const done = new Set<string>();
  let minY = Infinity, maxY = -Infinity, minX = Infinity, maxX = -Infinity;
  for (;;) {
    for (const y of rows)
      for (const xx of cols) {
        if (done.has(`${y},${xx}`)) continue;
        done.add(`${y},${xx}`);
        for (let i = 0; i < C; i++) {
          const x = new Float64Array(C * H * W);
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
              const dy = y - oy * sh, dx = xx - ox * sw, key = `${dy},${dx}`;
              if (!taps[i]!.has(key)) taps[i]!.set(key, col);
              minY = Math.min(minY, dy), maxY = Math.max(maxY, dy), minX = Math.min(minX, dx), maxX = Math.max(maxX, dx);
            }
        }
      }
    if (minY === Infinity) break; // no response at all: a constant region
    // the support must lie strictly inside the offsets the impulses can show, or reach the map's edge
    const more = [
      ...(minY <= Math.min(...rows) - (Ho - 1) * sh ? widen(rows, H, sh, true) : []),
      ...(maxY >= Math.max(...rows) ? widen(rows, H, sh, false) : []),
    ];
    const moreX = [
      ...(minX <= Math.min(...cols) - (Wo - 1) * sw ? widen(cols, W, sw, true) : []),
      ...(maxX >= Math.max(...cols) ? widen(cols, W, sw, false) : []),
    ];
    if (!more.length && !moreX.length) break;
    rows.push(...more), cols.push(...moreX);
  }
  if (minY === Infinity) (minY = maxY = 0), (minX = maxX = 0);
  const kh = maxY - minY + 1, kw = maxX - minX + 1;
  if (kh > H + (Ho - 1) * sh || kw > W + (Wo - 1) * sw) return `receptive field ${kh}×${kw} does not fit the input`;
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

/** Depthwise and grouped regions stay depthwise and grouped: the largest group count the kernel fits. */
function regroupMeasured(p: ConvParams): ConvParams {
  const divisors = Array.from({ length: Math.min(p.O, p.I) }, (_, k) => k + 1).filter((g) => p.O % g === 0 && p.I % g === 0);
  return denseToGrouped(p.W, p.O, p.I, p, p.b, divisors);
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
    const name = fresh(`${r.nodes.find((n) => n.op === 'Conv')!.name}_collapsed`);
    const macsBefore = regionMacs(g, r, dims);
    const lowest = collapsedMacsLowerBound(g, r, dims);
    if (lowest > macsBefore) {
      outcomes.push({ ...base, status: 'refused', reason: `one conv would cost at least ${lowest} MACs (its receptive field and groups), the region ${macsBefore}` });
      continue;
    }
    const reasons: string[] = [];
    let done: { node: Node; ci: [string, Tensor][]; rel: number; p: ConvParams } | undefined;
    // the stride is not known in advance (padding blurs H/Ho): try the plausible ones, keep the first proven
    const swCandidates = strideCandidates(sub, inDims, outDims, 3);
    for (const sh of strideCandidates(sub, inDims, outDims, 2)) {
      for (const sw of swCandidates) {
        const measured = measure(sub, inDims, outDims, [sh, sw]);
        if (typeof measured === 'string') {
          reasons.push(`stride ${sh}×${sw}: ${measured}`);
          continue;
        }
        const p = regroupMeasured(measured);
        const macsAfter = sizeOf([p.O, p.I, p.kh, p.kw]) * outDims[2]! * outDims[3]!;
        if (macsAfter > macsBefore) {
          reasons.push(`stride ${sh}×${sw}: one conv would cost ${macsAfter} MACs, the region ${macsBefore}`);
          continue;
        }
        const { node, inits: ci } = convNode(p, name, r.input, r.output);
        const rel = await prove(sub, { ...sub, nodes: [node], initializers: new Map(ci) }, proofSamples, seed);
        if (rel <= tolerance) {
          done = { node, ci, rel, p };
          break;
        }
        reasons.push(`stride ${sh}×${sw}: proof failed: relative error ${rel.toExponential(2)} > ${tolerance}`);
      }
      if (done) break;
    }
    if (!done) {
      outcomes.push({ ...base, status: 'refused', reason: reasons.join('; ') });
      continue;
    }
    r.nodes.forEach((n) => remove.add(n));
    add.push(done.node);
    done.ci.forEach(([k, t]) => inits.set(k, t));
    outcomes.push({ ...base, status: 'collapsed', proofRelErr: done.rel, kernel: [done.p.kh, done.p.kw] });
  }
  if (!add.length) return { graph: g, outcomes };
  const graph = removeUnused(topoSort({ ...g, nodes: [...g.nodes.filter((n) => !remove.has(n)), ...add], initializers: inits }));
  return { graph, outcomes };
}
