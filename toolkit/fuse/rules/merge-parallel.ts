import type { Node } from '../../graph/graph.ts';
import { addParallel, channelAffineConv, convNode, readConv, type ConvParams } from '../conv-algebra.ts';
import type { RewriteContext, Rule } from '../rewrite.ts';

interface Branch {
  conv: ConvParams;
  input: string;
  /** The Conv node that goes away, or none for an identity branch (x itself). */
  node?: Node;
}

function branch(ctx: RewriteContext, add: Node, value: string): Branch | null {
  const p = ctx.producerOf(value);
  if (!p || p.op !== 'Conv' || !ctx.usedOnlyBy(value, add)) return null;
  const conv = readConv(ctx.g, p, ctx.dims(p.inputs[0]!));
  return conv ? { conv, input: p.inputs[0]!, node: p } : null;
}

const negate = (p: ConvParams): ConvParams => ({ ...p, W: p.W.map((v) => -v), b: p.b.map((v) => -v) });

/**
 * Add(conv_a(x), conv_b(x)) becomes one conv: RepVGG's 3×3 + 1×1 + identity, ACNet's K×K + 1×K + K×1,
 * DBB's parallel branches. Add(x, conv(x)) — an identity branch without BN — is included, and so is
 * Sub (FastViT's RepMixer: mixer(x) − norm(x)).
 */
export const mergeParallelConvs: Rule = {
  name: 'merge-parallel',
  match(n, ctx) {
    if ((n.op !== 'Add' && n.op !== 'Sub') || n.inputs.length !== 2) return null;
    const [u, v] = n.inputs as [string, string];
    let a = branch(ctx, n, u), b = branch(ctx, n, v);
    const identity = (x: string): Branch => {
      const c = ctx.dims(x)[1]!;
      return { conv: channelAffineConv(new Float64Array(c).fill(1), new Float64Array(c)), input: x };
    };
    if (a && !b && v === a.input) b = identity(v);
    if (b && !a && u === b.input) a = identity(u);
    if (!a || !b || a.input !== b.input) return null;
    const [h, w] = ctx.dims(a.input).slice(2) as [number, number];
    const out = ctx.dims(n.outputs[0]!);
    const merged = addParallel(a.conv, n.op === 'Sub' ? negate(b.conv) : b.conv, h, w);
    if (!merged || merged.O !== out[1]) return null;
    const name = ctx.freshName(a.node?.name ?? b.node!.name);
    const { node, inits } = convNode(merged, name, a.input, n.outputs[0]!);
    return { remove: [a.node, b.node, n].filter((x): x is Node => !!x), add: [node], inits };
  },
};
