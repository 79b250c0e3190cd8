/**
 * ResRep: a 1×1 "compactor" conv after a conv has rows trained towards zero. Rows whose L2 norm is
 * below the threshold are removed, and the layer that reads those channels next (a conv, or the
 * linear head behind global pooling) loses the matching input channels. Exact when the removed rows
 * are zero: their channels carry 0 through ReLU/pooling, which the next layer multiplies away.
 */
import { attrFloat, attrInt, attrInts, nameAllocator, type Graph, type Node } from '../graph/graph.ts';
import { consumers, producers, removeUnused, topoSort } from '../graph/graph.ts';
import { inferValues } from '../graph/evaluate.ts';
import { sizeOf, toFloat64, type Tensor } from '../graph/tensor.ts';

export interface PruneOutcome {
  compactor: string;
  /** the compactor's output value, and which of its channels remain */
  output: string;
  keptChannels?: number[];
  rows: number;
  removed: number;
  paramsRemoved: number;
  /** why rows below the threshold were kept, when they were */
  kept?: string;
}

/** Ops that carry a zero channel as a zero channel, keeping the channel axis at 1. */
const ZERO_PRESERVING = new Set(['Relu', 'LeakyRelu', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Identity', 'Dropout', 'Flatten', 'ReduceMean']);

function f32(dims: number[], data: ArrayLike<number>): Tensor {
  return { dtype: 'float32', dims, data: Float32Array.from(data) };
}

/** Copies a tensor keeping only the indices `keep` along `axis`. */
function select(t: Tensor, axis: number, keep: number[]): Tensor {
  const src = toFloat64(t);
  const dims = [...t.dims];
  const outer = sizeOf(dims.slice(0, axis)), inner = sizeOf(dims.slice(axis + 1)), d = dims[axis]!;
  const out = new Float64Array(outer * keep.length * inner);
  for (let a = 0; a < outer; a++) keep.forEach((k, j) => out.set(src.subarray((a * d + k) * inner, (a * d + k + 1) * inner), (a * keep.length + j) * inner));
  dims[axis] = keep.length;
  return f32(dims, out);
}

export function pruneCompactors(g: Graph, threshold = 1e-5): { graph: Graph; outcomes: PruneOutcome[] } {
  const outcomes: PruneOutcome[] = [];
  for (;;) {
    const step = pruneOne(g, threshold, new Set(outcomes.map((o) => o.compactor)));
    if (!step) return { graph: g, outcomes };
    outcomes.push(step.outcome);
    g = step.graph;
  }
}

function isCompactor(g: Graph, n: Node, prod: Map<string, Node>): boolean {
  if (n.op !== 'Conv' || attrInt(n, 'group', 1) !== 1) return false;
  const w = g.initializers.get(n.inputs[1]!);
  if (!w || w.dims[2] !== 1 || w.dims[3] !== 1) return false;
  if (attrInts(n, 'strides', [1, 1]).some((s) => s !== 1) || attrInts(n, 'pads', [0, 0, 0, 0]).some((p) => p !== 0)) return false;
  const before = prod.get(n.inputs[0]!)?.op;
  return before === 'Conv' || before === 'BatchNormalization';
}

function pruneOne(g: Graph, threshold: number, done: Set<string>): { graph: Graph; outcome: PruneOutcome } | null {
  const prod = producers(g), cons = consumers(g);
  const outs = new Set(g.outputs.map((o) => o.name));
  const facts = inferValues(g);
  for (const c of g.nodes) {
    if (done.has(c.name) || !isCompactor(g, c, prod)) continue;
    const w = g.initializers.get(c.inputs[1]!)!;
    const b = c.inputs[2] ? g.initializers.get(c.inputs[2]!) : undefined;
    const [O, I] = w.dims as [number, number];
    const Q = toFloat64(w), B = b ? toFloat64(b) : new Float64Array(O);
    const dead = [...Array(O).keys()].filter((j) => {
      let s = 0;
      for (let i = 0; i < I; i++) s += Q[j * I + i]! ** 2;
      return Math.sqrt(s) < threshold && Math.abs(B[j]!) < threshold;
    });
    if (!dead.length) continue;
    const base = { compactor: c.name, output: c.outputs[0]!, rows: O, removed: 0, paramsRemoved: 0 };
    if (dead.length === O) return { graph: g, outcome: { ...base, kept: 'every row is below the threshold' } };
    const keep = [...Array(O).keys()].filter((j) => !dead.includes(j));

    // walk to the layers that read these channels
    const pass: Node[] = [], ends: Node[] = [];
    let failure = '';
    const walk = (v: string) => {
      if (outs.has(v)) failure ||= `'${v}' is a graph output`;
      for (const r of cons.get(v) ?? []) {
        if (r.op === 'Conv' && r.inputs[0] === v && attrInt(r, 'group', 1) === 1 && g.initializers.has(r.inputs[1]!)) ends.push(r);
        else if ((r.op === 'Gemm' || r.op === 'MatMul') && r.inputs[0] === v && g.initializers.has(r.inputs[1]!) && attrInt(r, 'transA', 0) === 0) ends.push(r);
        else if (r.op === 'Clip' && !(attrFloat(r, 'min', -Infinity) <= 0)) failure ||= `Clip '${r.name}' does not keep 0`;
        else if (ZERO_PRESERVING.has(r.op) || r.op === 'Clip' || (r.op === 'Reshape' && facts.get(r.outputs[0]!)?.dims.length === 2)) {
          if (r.op === 'ReduceMean' && !attrInts(r, 'axes', [2, 3]).every((a) => a >= 2)) failure ||= `ReduceMean '${r.name}' reduces channels`;
          if (r.op === 'Flatten' && sizeOf(facts.get(v)!.dims.slice(2)) !== 1) failure ||= `Flatten '${r.name}' mixes channels and pixels`;
          pass.push(r);
          walk(r.outputs[0]!);
        } else failure ||= `channels reach ${r.op} '${r.name}'`;
      }
    };
    walk(c.outputs[0]!);
    if (failure || !ends.length) return { graph: g, outcome: { ...base, kept: failure || 'no layer reads the channels' } };

    const fresh = nameAllocator(g);
    const inits = new Map(g.initializers);
    const replaced = new Map<Node, Node>();
    let paramsRemoved = dead.length * I + (b ? dead.length : 0);
    const newW = fresh(`${c.name}.pruned_weight`);
    inits.set(newW, select(w, 0, keep));
    const cIn = [c.inputs[0]!, newW];
    if (b) inits.set(cIn[2] = fresh(`${c.name}.pruned_bias`), select(b, 0, keep));
    replaced.set(c, { ...c, inputs: cIn });
    for (const r of pass) {
      if (r.op !== 'Reshape') continue;
      const shape = fresh(`${r.name}.shape`);
      inits.set(shape, { dtype: 'int64', dims: [2], data: BigInt64Array.of(BigInt(facts.get(r.outputs[0]!)!.dims[0]!), -1n) });
      replaced.set(r, { ...r, inputs: [r.inputs[0]!, shape] });
    }
    for (const e of ends) {
      const t = g.initializers.get(e.inputs[1]!)!;
      const axis = e.op === 'Conv' ? 1 : e.op === 'Gemm' && attrInt(e, 'transB', 0) === 1 ? 1 : 0;
      const name = fresh(`${e.name}.pruned_weight`);
      inits.set(name, select(t, axis, keep));
      paramsRemoved += sizeOf(t.dims) - sizeOf(inits.get(name)!.dims);
      replaced.set(e, { ...e, inputs: [e.inputs[0]!, name, ...e.inputs.slice(2)] });
    }
    const graph = removeUnused(topoSort({ ...g, nodes: g.nodes.map((n) => replaced.get(n) ?? n), initializers: inits }));
    return { graph, outcome: { ...base, removed: dead.length, paramsRemoved, keptChannels: keep } };
  }
  return null;
}
