/**
 * Linear regions: maximal connected sets of affine ops (with constant parameters) between
 * non-linearities, with one input tensor and one output tensor. A re-param block is one.
 */
import type { Graph, Node } from '../graph/graph.ts';

const ALWAYS_LINEAR = new Set(['Add', 'Sub', 'Neg', 'AveragePool', 'Pad', 'Slice', 'Transpose', 'Concat', 'Identity', 'Dropout', 'Reshape', 'Squeeze', 'Unsqueeze', 'Expand']);

/** True when `n` is affine in its non-constant inputs (parameters are initializers). */
export function isAffineNode(g: Graph, n: Node): boolean {
  const c = (i: number) => !n.inputs[i] || g.initializers.has(n.inputs[i]!);
  switch (n.op) {
    case 'Conv': return c(1) && c(2);
    case 'BatchNormalization': return [1, 2, 3, 4].every(c);
    case 'Mul': return c(0) || c(1);
    case 'Div': return c(1);
    case 'Where': return c(0);
    case 'ScatterND':
    case 'Gather': return c(1);
    default: return ALWAYS_LINEAR.has(n.op);
  }
}

export interface LinearRegion {
  nodes: Node[];
  input: string;
  output: string;
}

/** Regions with exactly one non-constant input and one output, in graph order of their outputs. */
export function linearRegions(g: Graph): LinearRegion[] {
  const affine = g.nodes.filter((n) => isAffineNode(g, n));
  const inSet = new Set(affine);
  const parent = new Map<Node, Node>(affine.map((n) => [n, n]));
  const find = (n: Node): Node => {
    while (parent.get(n) !== n) n = parent.get(n)!;
    return n;
  };
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  for (const n of affine)
    for (const i of n.inputs) {
      const p = producer.get(i);
      if (p && inSet.has(p)) parent.set(find(p), find(n));
    }
  const groups = new Map<Node, Node[]>();
  for (const n of affine) {
    const r = find(n);
    const list = groups.get(r);
    if (list) list.push(n);
    else groups.set(r, [n]);
  }
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) (readers.get(i) ?? readers.set(i, []).get(i)!).push(n);

  const regions: LinearRegion[] = [];
  for (const nodes of groups.values()) {
    const members = new Set(nodes);
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    const inputs = new Set(nodes.flatMap((n) => n.inputs.filter((i) => i && !produced.has(i) && !g.initializers.has(i))));
    const outputs = [...produced].filter((v) => graphOutputs.has(v) || (readers.get(v) ?? []).some((r) => !members.has(r)));
    if (inputs.size !== 1 || outputs.length !== 1) continue;
    regions.push({ nodes, input: [...inputs][0]!, output: outputs[0]! });
  }
  return regions;
}

/** The region as a graph of its own (for measuring and proving it). */
export function regionGraph(g: Graph, r: LinearRegion, dims: (v: string) => number[]): Graph {
  const used = new Set(r.nodes.flatMap((n) => n.inputs));
  return {
    name: `region_${r.output}`,
    opset: g.opset,
    inputs: [{ name: r.input, dims: dims(r.input), dtype: 'float32' }],
    outputs: [{ name: r.output, dims: dims(r.output), dtype: 'float32' }],
    nodes: r.nodes,
    initializers: new Map([...g.initializers].filter(([k]) => used.has(k))),
  };
}
