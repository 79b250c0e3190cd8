import { attrInt, attrInts } from '../../graph/graph.ts';
import { averagePoolConv, channelAffineConv, convNode, foldBatchNormInto, readBatchNorm, readConv } from '../conv-algebra.ts';
import type { Rule } from '../rewrite.ts';

/** Conv → BatchNormalization becomes one biased Conv (K′ = K·t, b′ = β + (b − μ)·t). */
export const foldBatchNorm: Rule = {
  name: 'fold-batchnorm',
  match(n, ctx) {
    const bn = readBatchNorm(ctx.g, n);
    const x = n.inputs[0]!;
    const p = ctx.producerOf(x);
    if (!bn || !p || !ctx.usedOnlyBy(x, n)) return null;
    const conv = readConv(ctx.g, p, ctx.dims(p.inputs[0]!));
    if (!conv) return null;
    const { node, inits } = convNode(foldBatchNormInto(conv, bn), ctx.freshName(p.name), p.inputs[0]!, n.outputs[0]!);
    return { remove: [p, n], add: [node], inits };
  },
};

/** A BatchNormalization with no conv before it (an identity branch) becomes a depthwise 1×1 Conv. */
export const batchNormToConv: Rule = {
  name: 'batchnorm-to-conv',
  match(n, ctx) {
    const bn = readBatchNorm(ctx.g, n);
    if (!bn || ctx.dims(n.inputs[0]!).length !== 4) return null;
    const { node, inits } = convNode(channelAffineConv(bn.scale, bn.shift), ctx.freshName(n.name), n.inputs[0]!, n.outputs[0]!);
    return { remove: [n], add: [node], inits };
  },
};

/**
 * AveragePool inside a linear block (DBB's AVG branch) becomes a depthwise Conv with 1/k² taps.
 * Exact only when padding is absent or counted; pools that end a net stay pools.
 */
export const averagePoolToConv: Rule = {
  name: 'avgpool-to-conv',
  match(n, ctx) {
    if (n.op !== 'AveragePool' || attrInt(n, 'ceil_mode', 0) !== 0) return null;
    const pads = attrInts(n, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
    if (attrInts(n, 'dilations', [1, 1]).some((d) => d !== 1)) return null;
    if (pads.some((p) => p !== 0) && attrInt(n, 'count_include_pad', 0) !== 1) return null;
    const cons = ctx.consumersOf(n.outputs[0]!);
    if (!cons.length || !cons.every((c) => ['BatchNormalization', 'Add', 'Conv'].includes(c.op))) return null;
    const dims = ctx.dims(n.inputs[0]!);
    const [kh, kw] = attrInts(n, 'kernel_shape', []) as [number, number];
    const strides = attrInts(n, 'strides', [1, 1]) as [number, number];
    if (attrInts(n, 'pads', []).length === 0 && n.attrs.auto_pad) return null;
    const { node, inits } = convNode(averagePoolConv(dims[1]!, kh, kw, strides, pads), ctx.freshName(n.name), n.inputs[0]!, n.outputs[0]!);
    return { remove: [n], add: [node], inits };
  },
};
