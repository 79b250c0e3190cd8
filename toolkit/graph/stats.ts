import { attrInt, type Graph } from './graph.ts';
import { inferValues } from './evaluate.ts';
import { sizeOf } from './tensor.ts';

export interface GraphStats {
  nodes: number;
  ops: Record<string, number>;
  /** float weights (initializers read by nodes) */
  params: number;
  /** multiply-accumulates of Conv, Gemm and MatMul for one inference */
  macs: number;
}

export function graphStats(g: Graph): GraphStats {
  const facts = inferValues(g);
  const ops: Record<string, number> = {};
  let macs = 0;
  const used = new Set<string>();
  for (const n of g.nodes) {
    ops[n.op] = (ops[n.op] ?? 0) + 1;
    n.inputs.forEach((i) => used.add(i));
    const out = facts.get(n.outputs[0]!)?.dims ?? [];
    const w = g.initializers.get(n.inputs[1] ?? '');
    if (n.op === 'Conv' && w) macs += sizeOf(w.dims) * sizeOf(out.slice(2)) * out[0]!;
    else if ((n.op === 'Gemm' || n.op === 'MatMul') && w) {
      const inDims = facts.get(n.inputs[0]!)!.dims;
      const k = n.op === 'Gemm' && attrInt(n, 'transA', 0) ? inDims[0]! : inDims[inDims.length - 1]!;
      macs += sizeOf(out) * k;
    }
  }
  let params = 0;
  for (const [k, t] of g.initializers) if (used.has(k) && (t.dtype === 'float32' || t.dtype === 'float64')) params += sizeOf(t.dims);
  return { nodes: g.nodes.length, ops, params, macs };
}
