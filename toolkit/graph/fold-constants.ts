import { ReparoError } from '../errors.ts';
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
    n.outputs.forEach((o, k) => {
      // a malformed graph can compute a fractional "int64" (e.g. a float fed where indices belong)
      if (values[k]!.dtype === 'int64' && !values[k]!.data.every(Number.isInteger))
        throw new ReparoError('E_GRAPH', `output '${o}' is int64 but holds non-integer values`, { node: n.name, op: n.op, hint: 'the model is corrupt or mixes float and index tensors; export it again' });
      initializers.set(o, valToTensor(values[k]!));
    });
    return false;
  });
  // a graph output must stay produced by a node for exporters; constant outputs are rare enough to keep
  return removeUnused({ ...g, nodes, initializers });
}
