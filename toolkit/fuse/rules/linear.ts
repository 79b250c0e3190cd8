/**
 * The same algebra for fully connected layers: a BatchNormalization before or after a Gemm folds into
 * it, parallel Gemms on one input add up, and a per-output scale or shift after one folds in (RepViT's
 * and LeViT's BN_Linear heads, the distillation head averaged with the classifier).
 */
import { attrFloat, attrInt, type Node } from '../../graph/graph.ts';
import { toFloat64, type Tensor } from '../../graph/tensor.ts';
import { readBatchNorm } from '../conv-algebra.ts';
import type { RewriteContext, Rule } from '../rewrite.ts';
import { affineOf, perChannel } from './channel-affine.ts';

/** y = W x + b, W: O × K row-major. */
interface Linear {
  O: number;
  K: number;
  W: Float64Array;
  b: Float64Array;
}

/** A Gemm with a constant weight (and bias) on a 2-D input, or a MatMul by a constant 2-D matrix. */
function readLinear(ctx: RewriteContext, n: Node): Linear | null {
  if ((n.op !== 'Gemm' && n.op !== 'MatMul') || ctx.dims(n.inputs[0]!).length !== 2) return null;
  const w = ctx.g.initializers.get(n.inputs[1]!);
  const bias = n.op === 'Gemm' && n.inputs[2] ? ctx.g.initializers.get(n.inputs[2]) : undefined;
  if (!w || w.dims.length !== 2 || (n.op === 'Gemm' && n.inputs[2] && !bias)) return null;
  if (n.op === 'Gemm' && (attrInt(n, 'transA', 0) || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1)) return null;
  const transB = n.op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
  const [O, K] = transB ? [w.dims[0]!, w.dims[1]!] : [w.dims[1]!, w.dims[0]!];
  const W0 = toFloat64(w);
  const W = transB ? W0 : Float64Array.from({ length: O * K }, (_, j) => W0[(j % K) * O + Math.floor(j / K)]!);
  let b = new Float64Array(O);
  if (bias) {
    const bv = toFloat64(bias);
    if (bv.length !== O && bv.length !== 1) return null;
    b = b.map((_, o) => bv[bv.length === 1 ? 0 : o]!);
  }
  return { O, K, W, b };
}

function gemmNode(p: Linear, name: string, input: string, output: string): { node: Node; inits: [string, Tensor][] } {
  const node: Node = { name, op: 'Gemm', inputs: [input, `${name}.weight`, `${name}.bias`], outputs: [output], attrs: { transB: { kind: 'int', value: 1 } } };
  return {
    node,
    inits: [
      [`${name}.weight`, { dtype: 'float32', dims: [p.O, p.K], data: Float32Array.from(p.W) }],
      [`${name}.bias`, { dtype: 'float32', dims: [p.O], data: Float32Array.from(p.b) }],
    ],
  };
}

const producingLinear = (ctx: RewriteContext, v: string, reader: Node) => {
  const p = ctx.producerOf(v);
  const lin = p && ctx.usedOnlyBy(v, reader) ? readLinear(ctx, p) : null;
  return lin ? { node: p!, lin } : null;
};

/** BN → Gemm: W′ = W·diag(s), b′ = W·t + b; Gemm → BN: W′ = diag(s)·W, b′ = s⊙b + t. */
export const foldBatchNormIntoLinear: Rule = {
  name: 'fold-batchnorm-linear',
  match(n, ctx) {
    const lin = readLinear(ctx, n);
    const before = lin ? ctx.producerOf(n.inputs[0]!) : undefined;
    if (lin && before && ctx.usedOnlyBy(n.inputs[0]!, n)) {
      const bn = readBatchNorm(ctx.g, before);
      if (bn && bn.scale.length === lin.K) {
        const W = lin.W.map((v, j) => v * bn.scale[j % lin.K]!);
        const b = lin.b.map((v, o) => {
          let s = v;
          for (let k = 0; k < lin.K; k++) s += lin.W[o * lin.K + k]! * bn.shift[k]!;
          return s;
        });
        const { node, inits } = gemmNode({ ...lin, W, b }, ctx.freshName(n.name), before.inputs[0]!, n.outputs[0]!);
        return { remove: [before, n], add: [node], inits };
      }
    }
    const bn = readBatchNorm(ctx.g, n);
    const src = bn && producingLinear(ctx, n.inputs[0]!, n);
    if (!bn || !src || bn.scale.length !== src.lin.O) return null;
    const l = src.lin;
    const W = l.W.map((v, j) => v * bn.scale[Math.floor(j / l.K)]!);
    const { node, inits } = gemmNode({ ...l, W, b: l.b.map((v, o) => v * bn.scale[o]! + bn.shift[o]!) }, ctx.freshName(src.node.name), src.node.inputs[0]!, n.outputs[0]!);
    return { remove: [src.node, n], add: [node], inits };
  },
};

/** Add / Sub of two Gemms on the same input, and a per-output Mul / Div / Add / Sub by a constant after one. */
export const mergeLinear: Rule = {
  name: 'merge-linear',
  match(n, ctx) {
    if (n.inputs.length === 2 && (n.op === 'Add' || n.op === 'Sub')) {
      const a = producingLinear(ctx, n.inputs[0]!, n), b = producingLinear(ctx, n.inputs[1]!, n);
      if (a && b && a.node.inputs[0] === b.node.inputs[0] && a.lin.O === b.lin.O && a.lin.K === b.lin.K) {
        const sign = n.op === 'Sub' ? -1 : 1;
        const merged = { ...a.lin, W: a.lin.W.map((v, j) => v + sign * b.lin.W[j]!), b: a.lin.b.map((v, o) => v + sign * b.lin.b[o]!) };
        const { node, inits } = gemmNode(merged, ctx.freshName(a.node.name), a.node.inputs[0]!, n.outputs[0]!);
        return { remove: [a.node, b.node, n], add: [node], inits };
      }
    }
    if (!['Mul', 'Div', 'Add', 'Sub', 'Neg'].includes(n.op)) return null;
    const constant = (v: string | undefined) => (v ? ctx.facts.get(v)?.value : undefined);
    const k = n.op === 'Neg' ? 0 : constant(n.inputs[1]) ? 0 : constant(n.inputs[0]) ? 1 : -1;
    const src = k >= 0 ? producingLinear(ctx, n.inputs[k]!, n) : null;
    if (!src) return null;
    const cVal = n.op === 'Neg' ? undefined : constant(n.inputs[1 - k]);
    // a [O] or [1, O] constant is per output, as a [C,1,1] one is per channel of an NCHW tensor
    const c = cVal ? perChannel({ ...cVal, dims: cVal.dims.length === 2 && cVal.dims[0] === 1 ? [cVal.dims[1]!, 1, 1] : cVal.dims.length === 1 ? [cVal.dims[0]!, 1, 1] : cVal.dims }, src.lin.O) : null;
    const sr = affineOf(n, k === 0, c, src.lin.O);
    if (!sr) return null;
    const [s, t] = sr, { lin } = src;
    const scaled = { ...lin, W: lin.W.map((v, j) => v * s[Math.floor(j / lin.K)]!), b: lin.b.map((v, o) => v * s[o]! + t[o]!) };
    const { node, inits } = gemmNode(scaled, ctx.freshName(src.node.name), src.node.inputs[0]!, n.outputs[0]!);
    return { remove: [src.node, n], add: [node], inits };
  },
};
