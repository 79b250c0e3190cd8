/**
 * Algebraic no-ops go before the re-param rules see the graph: exporters write `Add(x, 0)` where a
 * branch is absent (timm's MobileOne), Identity and Dropout, Reshape/Transpose pairs that cancel, a
 * Concat of one input, Pad of zeros. Each such node's output is replaced by its input everywhere; a
 * graph output keeps its name (the producer of the input is renamed instead).
 */
import { attrInts, attrString, consumers, producers, removeUnused, type Graph, type Node } from '../graph/graph.ts';
import { inferValues, type ValueFacts } from '../graph/evaluate.ts';
import { broadcastShapes } from '../graph/ndarray.ts';

export interface SimplifyOutcome {
  graph: Graph;
  removed: { name: string; op: string }[];
}

const RESIZE_IDENTITY_AT_1 = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];

const RESHAPES = ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'];

const sameDims = (a: readonly number[] | undefined, b: readonly number[] | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/** A constant whose every element is `v`. */
function constantAll(facts: ReadonlyMap<string, ValueFacts>, name: string | undefined, v: number): boolean {
  const val = name ? facts.get(name)?.value : undefined;
  return !!val && val.data.every((x) => x === v);
}

/** The input `n` passes through unchanged, or undefined when `n` is not a no-op. */
function passThrough(n: Node, facts: ReadonlyMap<string, ValueFacts>, prod: ReadonlyMap<string, Node>): string | undefined {
  const dims = (v: string | undefined) => (v ? facts.get(v)?.dims : undefined);
  const out = dims(n.outputs[0]);
  const [a, b] = n.inputs;
  // a binary op with a neutral constant that does not broadcast the other operand
  const neutral = (x: string | undefined, c: string | undefined, v: number) =>
    !!x && !!c && constantAll(facts, c, v) && !facts.get(x)!.value && sameDims(dims(x), out) && sameDims(broadcastShapes([dims(x)!, dims(c)!]), out);
  switch (n.op) {
    case 'Identity':
      return a;
    case 'Dropout':
      return n.outputs.slice(1).some(Boolean) ? undefined : a;
    case 'Add':
      return neutral(a, b, 0) ? a : neutral(b, a, 0) ? b : undefined;
    case 'Sub':
      return neutral(a, b, 0) ? a : undefined;
    case 'Mul':
      return neutral(a, b, 1) ? a : neutral(b, a, 1) ? b : undefined;
    case 'Div':
    case 'Pow':
      return neutral(a, b, 1) ? a : undefined;
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze': {
      // a chain of reshapes that ends in the shape it started from
      for (let v: string | undefined = a, k = 0; v && k < 8; k++) {
        if (sameDims(dims(v), out)) return v;
        const p = prod.get(v);
        v = p && RESHAPES.includes(p.op) ? p.inputs[0] : undefined;
      }
      return undefined;
    }
    case 'Expand':
    case 'Tile':
    case 'Slice':
    case 'Resize':
      // same shape means same values for these; a Resize by 1 only where pixel x maps to x
      if (n.op === 'Resize' && !RESIZE_IDENTITY_AT_1.includes(attrString(n, 'coordinate_transformation_mode', 'half_pixel'))) return undefined;
      if (n.op === 'Slice' && n.inputs[4] && !facts.get(n.inputs[4])?.value?.data.every((s) => s === 1)) return undefined;
      return sameDims(dims(a), out) ? a : undefined;
    case 'Cast':
      return facts.get(a!)?.dtype === facts.get(n.outputs[0]!)?.dtype ? a : undefined;
    case 'Concat':
    case 'Sum':
    case 'Max':
    case 'Min':
    case 'Mean':
      return n.inputs.filter(Boolean).length === 1 ? a : undefined;
    case 'Pad': {
      const pads = n.inputs[1] ? facts.get(n.inputs[1])?.value?.data : attrInts(n, 'pads', []);
      return pads && Array.from(pads).every((p) => p === 0) ? a : undefined;
    }
    case 'Transpose': {
      const rank = dims(a)?.length ?? 0;
      const perm = attrInts(n, 'perm', [...Array(rank).keys()].reverse());
      if (perm.every((p, i) => p === i)) return a;
      // Transpose(Transpose(x, p), q) with p∘q the identity
      const p = prod.get(a!);
      if (p?.op !== 'Transpose') return undefined;
      const inner = attrInts(p, 'perm', [...Array(rank).keys()].reverse());
      return perm.every((q, i) => inner[q] === i) ? p.inputs[0] : undefined;
    }
    default:
      return undefined;
  }
}

/** Dropout in training mode is not a no-op; exporters write it with training_mode absent or false. */
const isTrainingDropout = (n: Node, facts: ReadonlyMap<string, ValueFacts>) => n.op === 'Dropout' && !!n.inputs[2] && !constantAll(facts, n.inputs[2], 0);

/** Removes every no-op node, to a fixed point (a Reshape pair becomes a no-op once its inner twin is gone). */
export function simplifyGraph(g: Graph): SimplifyOutcome {
  const removed: SimplifyOutcome['removed'] = [];
  for (;;) {
    const facts = inferValues(g);
    const prod = producers(g);
    const cons = consumers(g);
    const graphOut = new Set(g.outputs.map((o) => o.name));
    const graphIn = new Set(g.inputs.map((i) => i.name));
    const subst = new Map<string, string>();
    const renameOutput = new Map<string, string>(); // producer output → graph output name
    const drop = new Set<Node>();
    const resolve = (v: string) => {
      while (subst.has(v)) v = subst.get(v)!;
      return v;
    };
    for (const n of g.nodes) {
      if (isTrainingDropout(n, facts)) continue;
      const src = passThrough(n, facts, prod);
      if (!src) continue;
      const out = n.outputs[0]!, from = resolve(src);
      if (graphOut.has(out)) {
        // keep the output's name: rename the value it passes through, when nothing else needs that name
        const p = prod.get(from);
        if (!p || graphIn.has(from) || graphOut.has(from) || renameOutput.has(from) || (cons.get(from) ?? []).some((c) => c !== n)) continue;
        renameOutput.set(from, out);
      } else subst.set(out, from);
      drop.add(n);
      removed.push({ name: n.name, op: n.op });
    }
    if (!drop.size) return { graph: g, removed };
    const nodes = g.nodes
      .filter((n) => !drop.has(n))
      .map((n) => ({
        ...n,
        inputs: n.inputs.map((i) => (i ? (renameOutput.get(resolve(i)) ?? resolve(i)) : i)),
        outputs: n.outputs.map((o) => renameOutput.get(o) ?? o),
      }));
    g = removeUnused({ ...g, nodes });
  }
}
