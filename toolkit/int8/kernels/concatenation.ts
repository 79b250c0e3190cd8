/**
 * CONCATENATION, int8 (reference_ops::Concatenation as TFLite Micro runs it): the inputs' bytes in
 * order along `axis`. TFLM's int8 kernel requires every input to share the output's scale and zero
 * point (no rescaling) and no fused activation; reparo's lowering gives the inputs one range.
 */
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { tensorQuant } from '../quant.ts';

type ConcatOp = OpOf<'CONCATENATION'>;

export interface ConcatData {
  inputs: Int8Array[];
  output: Int8Array;
  /** product of the dimensions before the axis */
  outer: number;
  /** bytes each input contributes per outer index */
  chunks: number[];
}

export function prepareConcatenation(op: ConcatOp, ctx: KernelContext): ConcatData {
  const outIdx = op.outputs[0];
  const outShape = ctx.def(outIdx).shape;
  const rank = outShape.length;
  const axis = op.axis < 0 ? op.axis + rank : op.axis;
  if (axis < 0 || axis >= rank) ctx.fail(`axis ${op.axis} is outside rank ${rank}`, 'E_SHAPE');
  if (op.activation !== 'NONE') ctx.fail(`fused activation ${op.activation} (TFLite Micro allows none)`, 'E_TFLITE_UNSUPPORTED');
  const outQ = tensorQuant(ctx, outIdx);
  let along = 0;
  const chunks = op.inputs.map((i) => {
    const s = ctx.def(i).shape;
    if (s.length !== rank || s.some((d, k) => k !== axis && d !== outShape[k])) ctx.fail(`input [${s}] does not fit output [${outShape}] along axis ${axis}`, 'E_SHAPE');
    const q = tensorQuant(ctx, i);
    if (q.scale !== outQ.scale || q.zeroPoint !== outQ.zeroPoint)
      ctx.fail(`input ${i} is quantized (${q.scale}, ${q.zeroPoint}), the output (${outQ.scale}, ${outQ.zeroPoint})`, 'E_QUANT_PARAMS', 'int8 CONCATENATION needs every input quantized like its output (TFLite Micro does not rescale)');
    along += s[axis];
    return s.slice(axis).reduce((a, b) => a * b, 1);
  });
  if (along !== outShape[axis]) ctx.fail(`inputs give ${along} along axis ${axis}, the output has ${outShape[axis]}`, 'E_SHAPE');
  return {
    inputs: op.inputs.map((i) => ctx.data(i, 'int8')),
    output: ctx.data(outIdx, 'int8'),
    outer: outShape.slice(0, axis).reduce((a, b) => a * b, 1),
    chunks,
  };
}

export function evalConcatenation(d: ConcatData): void {
  let o = 0;
  for (let k = 0; k < d.outer; k++) {
    for (let i = 0; i < d.inputs.length; i++) {
      const n = d.chunks[i];
      d.output.set(d.inputs[i].subarray(k * n, (k + 1) * n), o);
      o += n;
    }
  }
}

export const concatenation: Kernel<ConcatOp, ConcatData> = { prepare: prepareConcatenation, eval: evalConcatenation };
