import type { Graph, Node } from '../../graph/graph.ts';
import { evaluate } from '../../graph/evaluate.ts';
import { gelu } from '../../graph/ops.ts';
import type { RewriteContext, Rule } from '../rewrite.ts';

/** Ops the exporters spell GELU with: x·0.5·(1 + erf(x/√2)) and 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
const ELEMENTWISE = new Set(['Mul', 'Div', 'Add', 'Sub', 'Erf', 'Tanh', 'Pow']);
const MAX_DEPTH = 6;

const SAMPLES = Float64Array.from({ length: 61 }, (_, i) => -6 + i * 0.2);

/** Values upstream of `v` through elementwise ops, nearest first (candidates for GELU's x). */
function upstream(ctx: RewriteContext, v: string): string[] {
  const seen: string[] = [];
  let frontier = [v];
  for (let d = 0; d < MAX_DEPTH && frontier.length; d++) {
    const next: string[] = [];
    for (const u of frontier) {
      if (seen.includes(u) || ctx.facts.get(u)?.value) continue;
      seen.push(u);
      const p = ctx.producerOf(u);
      if (p && ELEMENTWISE.has(p.op)) next.push(...p.inputs.filter(Boolean));
    }
    frontier = next;
  }
  return seen;
}

/** The nodes computing `y` from `x` and constants alone (elementwise), in graph order, or null. */
function regionBetween(ctx: RewriteContext, x: string, y: string): Node[] | null {
  const nodes = new Set<Node>();
  const stack = [y];
  while (stack.length) {
    const v = stack.pop()!;
    if (v === x || ctx.facts.get(v)?.value) continue;
    const p = ctx.producerOf(v);
    if (!p || !ELEMENTWISE.has(p.op) || nodes.size > 2 * MAX_DEPTH) return null;
    if (nodes.has(p)) continue;
    nodes.add(p);
    stack.push(...p.inputs.filter(Boolean));
  }
  // inner values must not be read outside the region
  const graphOut = new Set(ctx.g.outputs.map((o) => o.name));
  for (const n of nodes) for (const o of n.outputs) if (o !== y && (graphOut.has(o) || ctx.consumersOf(o).some((c) => !nodes.has(c)))) return null;
  return ctx.g.nodes.filter((n) => nodes.has(n));
}

/** 'none' or 'tanh' when the region computes GELU of x, else null. */
function whichGelu(ctx: RewriteContext, nodes: Node[], x: string, y: string): 'none' | 'tanh' | null {
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const sub: Graph = {
    name: 'gelu', opset: ctx.g.opset,
    inputs: [{ name: x, dims: [SAMPLES.length], dtype: 'float32' }],
    outputs: [{ name: y, dims: [SAMPLES.length], dtype: 'float32' }],
    nodes,
    initializers: new Map([...ctx.g.initializers].filter(([k]) => used.has(k))),
  };
  let out: Float64Array;
  try {
    const r = evaluate(sub, new Map([[x, { dtype: 'float32', dims: [SAMPLES.length], data: SAMPLES }]])).get(y)!;
    if (r.data.length !== SAMPLES.length) return null;
    out = r.data;
  } catch {
    return null;
  }
  const close = (f: (v: number) => number) => SAMPLES.every((v, i) => Math.abs(out[i]! - f(v)) <= 1e-6 * (1 + Math.abs(f(v))));
  return close((v) => gelu(v, 'none')) ? 'none' : close((v) => gelu(v, 'tanh')) ? 'tanh' : null;
}

/**
 * GELU as exporters below opset 20 write it (Div, Erf, Add, Mul, Mul; or the tanh form) becomes one
 * Gelu node. The region is recognised by what it computes, measured on sample points, not by the order
 * of its ops, so every exporter's spelling is covered.
 */
export const fuseGelu: Rule = {
  name: 'fuse-gelu',
  match(n, ctx) {
    if (n.op !== 'Erf' && n.op !== 'Tanh') return null;
    const xs = upstream(ctx, n.inputs[0]!);
    let y = n.outputs[0]!;
    for (let d = 0; d < 4; d++) {
      const next = ctx.consumersOf(y);
      if (next.length !== 1 || !ELEMENTWISE.has(next[0]!.op)) return null;
      y = next[0]!.outputs[0]!;
      const others = next[0]!.inputs.filter((i) => i && i !== n.outputs[0] && !ctx.facts.get(i)?.value);
      const candidates = [...new Set([...xs, ...others.flatMap((o) => upstream(ctx, o))])];
      for (const x of candidates) {
        const nodes = regionBetween(ctx, x, y);
        if (!nodes || !nodes.includes(n)) continue;
        const approximate = whichGelu(ctx, nodes, x, y);
        if (!approximate) continue;
        const node: Node = { name: ctx.freshName(`${n.name}_gelu`), op: 'Gelu', inputs: [x], outputs: [y], attrs: { approximate: { kind: 'string', value: approximate } } };
        return { remove: nodes, add: [node] };
      }
    }
    return null;
  },
};
