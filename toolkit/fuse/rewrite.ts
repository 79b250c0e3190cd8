/**
 * A rewrite rule looks at one node and returns the nodes to remove and to add, or null
 * (tinygrad-style pattern → rewrite). `rewriteToFixedPoint` sweeps the graph, applies every
 * non-overlapping match, and repeats until nothing matches.
 */
import { consumers, nameAllocator, producers, removeUnused, topoSort, type Graph, type Node } from '../graph/graph.ts';
import { inferValues, type ValueFacts } from '../graph/evaluate.ts';
import type { Tensor } from '../graph/tensor.ts';

export interface RewriteContext {
  readonly g: Graph;
  readonly facts: ReadonlyMap<string, ValueFacts>;
  producerOf(value: string): Node | undefined;
  consumersOf(value: string): readonly Node[];
  /** True when `value` is read by `node` only and is not a graph output. */
  usedOnlyBy(value: string, node: Node): boolean;
  dims(value: string): number[];
  freshName(base: string): string;
}

export interface Rewrite {
  remove: Node[];
  add: Node[];
  inits?: [string, Tensor][];
  /** Facts for the report (e.g. channels pruned). */
  info?: Record<string, number>;
}

export interface Rule {
  readonly name: string;
  match(n: Node, ctx: RewriteContext): Rewrite | null;
}

export interface AppliedRewrite {
  rule: string;
  /** Output values of the removed pattern that the rewrite keeps producing. */
  outputs: string[];
  removed: { name: string; op: string }[];
  info?: Record<string, number>;
}

export function makeContext(g: Graph): RewriteContext {
  const facts = inferValues(g);
  const prod = producers(g), cons = consumers(g);
  const outs = new Set(g.outputs.map((o) => o.name));
  return {
    g,
    facts,
    producerOf: (v) => prod.get(v),
    consumersOf: (v) => cons.get(v) ?? [],
    usedOnlyBy: (v, n) => !outs.has(v) && (cons.get(v) ?? []).every((c) => c === n),
    dims: (v) => facts.get(v)?.dims ?? [],
    freshName: nameAllocator(g),
  };
}

/** One sweep: applies each rule's non-overlapping matches; returns null when nothing matched. */
export function rewriteOnce(g: Graph, rules: readonly Rule[]): { graph: Graph; applied: AppliedRewrite[] } | null {
  const ctx = makeContext(g);
  const touched = new Set<Node>();
  const rewrites: { rule: string; rw: Rewrite }[] = [];
  for (const n of g.nodes) {
    if (touched.has(n)) continue;
    for (const rule of rules) {
      const rw = rule.match(n, ctx);
      if (!rw || rw.remove.some((r) => touched.has(r))) continue;
      rw.remove.forEach((r) => touched.add(r));
      rewrites.push({ rule: rule.name, rw });
      break;
    }
  }
  if (!rewrites.length) return null;
  const removed = new Set(rewrites.flatMap((r) => r.rw.remove));
  const initializers = new Map(g.initializers);
  for (const { rw } of rewrites) for (const [k, t] of rw.inits ?? []) initializers.set(k, t);
  const nodes = [...g.nodes.filter((n) => !removed.has(n)), ...rewrites.flatMap((r) => r.rw.add)];
  const graph = removeUnused(topoSort({ ...g, nodes, initializers }));
  const applied = rewrites.map(({ rule, rw }) => ({
    rule,
    outputs: rw.add.flatMap((n) => n.outputs),
    removed: rw.remove.map((n) => ({ name: n.name, op: n.op })),
    info: rw.info,
  }));
  return { graph, applied };
}

export function rewriteToFixedPoint(g: Graph, rules: readonly Rule[], maxSweeps = 1000): { graph: Graph; applied: AppliedRewrite[] } {
  const applied: AppliedRewrite[] = [];
  for (let i = 0; i < maxSweeps; i++) {
    const r = rewriteOnce(g, rules);
    if (!r) return { graph: g, applied };
    g = r.graph;
    applied.push(...r.applied);
  }
  throw new Error(`rewrite did not reach a fixed point in ${maxSweeps} sweeps (rules: ${rules.map((r) => r.name)})`);
}
