import { composeSequential, convNode, gcd, readConv, type ConvParams } from '../conv-algebra.ts';
import type { Rule } from '../rewrite.ts';

const macsPerOutput = (p: ConvParams, pixelsPerOut: number) => p.O * p.I * p.kh * p.kw * pixelsPerOut;

/**
 * conv_b(conv_a(x)) becomes one conv when one of them is pointwise: DBB's 1×1 → K×K branch, and
 * ResRep's K×K → 1×1 compactor. Refused when the borders would change (b pads with zeros where the
 * original would see a's bias) or when the single conv would cost more MACs (a bottleneck).
 */
export const mergeSequentialConvs: Rule = {
  name: 'merge-sequential',
  match(n, ctx) {
    if (n.op !== 'Conv') return null;
    const mid = n.inputs[0]!;
    const p = ctx.producerOf(mid);
    if (!p || p.op !== 'Conv' || !ctx.usedOnlyBy(mid, n)) return null;
    const a = readConv(ctx.g, p, ctx.dims(p.inputs[0]!));
    const b = readConv(ctx.g, n, ctx.dims(mid));
    if (!a || !b) return null;
    const [mH, mW] = ctx.dims(mid).slice(2) as [number, number];
    const [oH, oW] = ctx.dims(n.outputs[0]!).slice(2) as [number, number];
    const before = macsPerOutput(a, (mH * mW) / (oH * oW)) + macsPerOutput(b, 1);
    // the product's cost first, from its shape: the product of block-diagonal weights keeps gcd(groups)
    // blocks. Composing a wide depthwise-then-pointwise pair densely only to refuse it took minutes (FastViT's ConvMlp)
    const cin = a.I * a.groups, k = Math.max(a.kh * a.kw, b.kh * b.kw);
    if ((b.O * cin * k) / gcd(a.groups, b.groups) > before) return null;
    const r = composeSequential(a, b);
    if (!r || !r.exactBorders) return null;
    if (macsPerOutput(r.conv, 1) > before) return null;
    const { node, inits } = convNode(r.conv, ctx.freshName(p.name), p.inputs[0]!, n.outputs[0]!);
    return { remove: [p, n], add: [node], inits };
  },
};
