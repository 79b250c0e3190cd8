/** Names the re-param family of each linear block of a training-time graph, from its branch structure. */
import type { Graph, Node } from '../graph/graph.ts';
import { linearRegions, type LinearRegion } from './regions.ts';

export type Family = 'repvgg' | 'acnet' | 'dbb' | 'resrep' | 'conv-bn' | 'linear';

export interface Block {
  /** the block's output value: the same name in the training-time and the fused graph */
  output: string;
  input: string;
  family: Family;
  ops: Record<string, number>;
  /** its branches: conv kernel sizes, 'avg' pools and 'id' for BN or identity on the block input, e.g. ["3x3", "1x1", "id"] */
  kernels: string[];
}

const kernelOf = (g: Graph, n: Node) => {
  const w = g.initializers.get(n.inputs[1]!);
  return w ? `${w.dims[2]}x${w.dims[3]}` : '?';
};

function classify(g: Graph, nodes: Node[]): Family {
  const members = new Set(nodes);
  const prod = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) prod.set(o, n);
  const convs = nodes.filter((n) => n.op === 'Conv');
  const pointwise = (n: Node) => kernelOf(g, n) === '1x1';
  /** the nearest conv upstream of `n` inside the block, through BN/pad/slice-like ops */
  const convBefore = (n: Node): Node | undefined => {
    let v = n.inputs[0]!;
    for (let p = prod.get(v); p && members.has(p); p = prod.get((v = p.inputs[0]!))) if (p.op === 'Conv') return p;
    return undefined;
  };
  const seq = convs.map((c) => [convBefore(c), c] as const).filter(([a]) => a);
  if (seq.some(([a, b]) => !pointwise(a!) && pointwise(b))) return 'resrep';
  if (nodes.some((n) => n.op === 'AveragePool') || seq.some(([a, b]) => pointwise(a!) && !pointwise(b))) return 'dbb';
  const asym = convs.some((c) => {
    const [h, w] = kernelOf(g, c).split('x').map(Number);
    return h !== w;
  });
  const adds = nodes.filter((n) => n.op === 'Add' || n.op === 'Sum');
  if (asym && adds.length) return 'acnet';
  if (adds.length) return 'repvgg';
  if (convs.length === 1 && nodes.some((n) => n.op === 'BatchNormalization')) return 'conv-bn';
  return 'linear';
}

/**
 * A region whose branches all start after a chain of ops (RepViT: the stem's stride-2 conv, then a
 * RepVGG-style depthwise block) is two blocks: the chain, and the branches from where they split.
 * Merging the two would cost MACs, so the fuse keeps them apart, as the family's deploy form does.
 */
function splitAtBranches(g: Graph, r: LinearRegion): LinearRegion[] {
  const trunk: Node[] = [];
  let v = r.input;
  for (;;) {
    const readers = r.nodes.filter((n) => n.inputs.includes(v));
    if (readers.length !== 1) break;
    const n = readers[0]!;
    if (n.outputs[0] === r.output || n.inputs.some((i) => i && i !== v && !g.initializers.has(i))) return [r];
    trunk.push(n);
    v = n.outputs[0]!;
  }
  if (!trunk.some((n) => n.op === 'Conv')) return [r];
  return [{ input: r.input, output: v, nodes: trunk }, { input: v, output: r.output, nodes: r.nodes.filter((n) => !trunk.includes(n)) }];
}

export function detectBlocks(g: Graph): Block[] {
  return linearRegions(g)
    .flatMap((r) => splitAtBranches(g, r))
    .filter((r) => r.nodes.length > 1 && r.nodes.some((n) => n.op === 'Conv'))
    .map((r) => {
      const ops: Record<string, number> = {};
      for (const n of r.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
      return {
        output: r.output,
        input: r.input,
        family: classify(g, r.nodes),
        ops,
        kernels: r.nodes.flatMap((n) =>
          n.op === 'Conv' ? [kernelOf(g, n)]
          : n.op === 'AveragePool' ? ['avg']
          : (n.op === 'BatchNormalization' && n.inputs[0] === r.input) || (n.op === 'Add' && n.inputs.includes(r.input)) ? ['id']
          : []),
      };
    });
}
