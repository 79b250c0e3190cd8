import type { Node } from '../../graph/graph.ts';
import type { Val } from '../../graph/ops.ts';
import { convNode, readConv, type ConvParams } from '../conv-algebra.ts';
import type { RewriteContext, Rule } from '../rewrite.ts';

/**
 * The per-channel values of a constant that broadcasts against an NCHW tensor of C channels without
 * changing its shape (a scalar, [C], [C,1,1], [1,C,1,1]), or null.
 */
export function perChannel(c: Val, C: number): Float64Array | null {
  const d = c.dims;
  if (d.length > 4) return null;
  const full = [...Array(4 - d.length).fill(1), ...d] as number[];
  if (full[0] !== 1 || full[2] !== 1 || full[3] !== 1 || (full[1] !== 1 && full[1] !== C)) return null;
  return full[1] === C ? Float64Array.from(c.data) : new Float64Array(C).fill(c.data[0]!);
}

/** x·s + t applied to a conv's output, per output channel. */
function affineAfter(p: ConvParams, s: Float64Array, t: Float64Array): ConvParams {
  const per = p.I * p.kh * p.kw;
  return { ...p, W: p.W.map((v, i) => v * s[Math.floor(i / per)]!), b: p.b.map((v, o) => v * s[o]! + t[o]!) };
}

/** The (scale, shift) that `n` applies to its operand `x`, given the other operand's per-channel values. */
export function affineOf(n: Node, xFirst: boolean, c: Float64Array | null, C: number): [Float64Array, Float64Array] | null {
  const ones = new Float64Array(C).fill(1), zeros = new Float64Array(C);
  if (n.op === 'Neg') return [ones.map(() => -1), zeros];
  if (!c) return null;
  switch (n.op) {
    case 'Mul': return [c, zeros];
    case 'Div': return xFirst && c.every((v) => v !== 0) ? [c.map((v) => 1 / v), zeros] : null;
    case 'Add': return [ones, c];
    case 'Sub': return xFirst ? [ones, c.map((v) => -v)] : [ones.map(() => -1), c];
    default: return null;
  }
}

/**
 * A per-channel Mul / Add / Sub / Div by a constant, or a Neg, after a conv folds into the conv:
 * FastViT's and RepViT's layer scales, exported BN written as Mul and Add, a Sub branch's sign.
 */
export const foldChannelAffine: Rule = {
  name: 'fold-channel-affine',
  match(n: Node, ctx: RewriteContext) {
    if (!['Mul', 'Div', 'Add', 'Sub', 'Neg'].includes(n.op)) return null;
    const constant = (v: string | undefined) => (v ? ctx.facts.get(v)?.value : undefined);
    const k = n.op === 'Neg' ? 0 : constant(n.inputs[1]) ? 0 : constant(n.inputs[0]) ? 1 : -1;
    if (k < 0) return null;
    const x = n.inputs[k]!;
    const p = ctx.producerOf(x);
    if (!p || p.op !== 'Conv' || !ctx.usedOnlyBy(x, n)) return null;
    const conv = readConv(ctx.g, p, ctx.dims(p.inputs[0]!));
    if (!conv) return null;
    const cVal = n.op === 'Neg' ? undefined : constant(n.inputs[1 - k]);
    const c = cVal ? perChannel(cVal, conv.O) : null;
    const sr = affineOf(n, k === 0, c, conv.O);
    if (!sr) return null;
    const { node, inits } = convNode(affineAfter(conv, ...sr), ctx.freshName(p.name), p.inputs[0]!, n.outputs[0]!);
    return { remove: [p, n], add: [node], inits };
  },
};
