import { removeUnused, type Graph } from './graph.ts';
import { inferValues, valToTensor } from './evaluate.ts';
import type { Tensor } from './tensor.ts';

/** Replaces every node whose outputs do not depend on a graph input by initializers. */
export function foldConstants(g: Graph): Graph {
  const facts = inferValues(g);
  const initializers = new Map<string, Tensor>(g.initializers);
  const nodes = g.nodes.filter((n) => {
    const values = n.outputs.map((o) => facts.get(o)?.value);
    if (values.some((v) => !v)) return true;
    n.outputs.forEach((o, k) => initializers.set(o, valToTensor(values[k]!)));
    return false;
  });
  // a graph output must stay produced by a node for exporters; constant outputs are rare enough to keep
  return removeUnused({ ...g, nodes, initializers });
}
