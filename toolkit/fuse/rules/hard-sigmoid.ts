/**
 * The hard gates of mobile nets as the int8 path runs them.
 * - fuseHardSwish: x·HardSigmoid(x) with α = 1/6, β = ½ (how exporters below opset 14 write
 *   HardSwish) becomes one HardSwish node, which lowers to TFLite's HARD_SWISH.
 * - hardSigmoidAsClip: TFLite has no hard sigmoid; clip(αx + β, 0, 1) folds α and β into the conv that
 *   makes x (SE gates: the expand conv) or, with no conv to fold into, into a new depthwise 1×1 conv,
 *   and leaves Clip(0, 1), which the lowering fuses as the conv's saturation.
 */
import { attrFloat, type Node } from '../../graph/graph.ts';
import { floatTensor, type Tensor } from '../../graph/tensor.ts';
import { convNode, readConv, type ConvParams } from '../conv-algebra.ts';
import type { RewriteContext, Rule } from '../rewrite.ts';

const gate = (n: Node) => [attrFloat(n, 'alpha', 0.2), attrFloat(n, 'beta', 0.5)] as const;

export const fuseHardSwish: Rule = {
  name: 'fuse-hard-swish',
  match(n, ctx) {
    if (n.op !== 'Mul') return null;
    for (const k of [0, 1]) {
      const h = ctx.producerOf(n.inputs[k]!), x = n.inputs[1 - k]!;
      if (!h || h.op !== 'HardSigmoid' || h.inputs[0] !== x || !ctx.usedOnlyBy(h.outputs[0]!, n)) continue;
      const [alpha, beta] = gate(h);
      if (Math.abs(alpha - 1 / 6) > 1e-7 || beta !== 0.5) continue;
      return { remove: [h, n], add: [{ name: ctx.freshName(`${n.name}_hardswish`), op: 'HardSwish', inputs: [x], outputs: [n.outputs[0]!], attrs: {} }] };
    }
    return null;
  },
};

function clip01(ctx: RewriteContext, name: string, input: string, output: string): { node: Node; inits: [string, Tensor][] } {
  if (ctx.g.opset < 11) return { node: { name, op: 'Clip', inputs: [input], outputs: [output], attrs: { min: { kind: 'float', value: 0 }, max: { kind: 'float', value: 1 } } }, inits: [] };
  const node: Node = { name, op: 'Clip', inputs: [input, `${name}.min`, `${name}.max`], outputs: [output], attrs: {} };
  return { node, inits: [[`${name}.min`, floatTensor([], [0])], [`${name}.max`, floatTensor([], [1])]] };
}

export const hardSigmoidAsClip: Rule = {
  name: 'hard-sigmoid-as-clip',
  match(n, ctx) {
    if (n.op !== 'HardSigmoid') return null;
    const [alpha, beta] = gate(n);
    const x = n.inputs[0]!, y = n.outputs[0]!;
    const p = ctx.producerOf(x);
    const conv = p && ctx.usedOnlyBy(x, n) ? readConv(ctx.g, p, ctx.dims(p.inputs[0]!)) : null;
    let folded: ConvParams, input: string;
    const remove = [n];
    if (conv) {
      folded = { ...conv, W: conv.W.map((v) => v * alpha), b: conv.b.map((v) => v * alpha + beta) };
      input = p!.inputs[0]!;
      remove.push(p!);
    } else {
      const d = ctx.dims(x);
      if (d.length !== 4) return null;
      const C = d[1]!;
      folded = { O: C, I: 1, kh: 1, kw: 1, groups: C, strides: [1, 1], pads: [0, 0, 0, 0], W: new Float64Array(C).fill(alpha), b: new Float64Array(C).fill(beta) };
      input = x;
    }
    const pre = ctx.freshName(`${n.name}_affine`);
    const c = convNode(folded, ctx.freshName(`${n.name}_conv`), input, pre);
    const k = clip01(ctx, ctx.freshName(`${n.name}_clip`), pre, y);
    return { remove, add: [c.node, k.node], inits: [...c.inits, ...k.inits] };
  },
};
