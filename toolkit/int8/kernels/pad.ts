/**
 * PAD, int8 (reference_ops::Pad): constant padding with the output zero point (real 0), or with
 * the scalar constant_values input when given. Paddings must be a constant int32 [rank, 2] tensor.
 */
import { inputIndex, type Kernel, type KernelContext, type OpOf } from '../kernel.ts';
import { elementCount, tensorQuant } from '../quant.ts';

type PadOp = OpOf<'PAD'>;

export interface PadData {
  input: Int8Array;
  output: Int8Array;
  /** fill value, or the constant_values tensor read at eval time */
  value: number | Int8Array;
  /** for each input row (last axis contiguous): where it lands in the output */
  rowTargets: Int32Array;
  rowLength: number;
}

export function preparePad(op: PadOp, ctx: KernelContext): PadData {
  const [inIdx, padIdx, valueIdx, outIdx] = [op.inputs[0], op.inputs[1], inputIndex(op, 2), op.outputs[0]];
  const shape = ctx.def(inIdx).shape;
  const outShape = ctx.def(outIdx).shape;
  if (ctx.def(padIdx).type !== 'int32') ctx.fail('paddings must be int32', 'E_GRAPH');
  const paddings = ctx.constInts(padIdx);
  const rank = shape.length;
  if (rank < 1 || rank > 5 || paddings.length !== 2 * rank || outShape.length !== rank) ctx.fail(`paddings [${paddings}] do not fit input [${shape}]`, 'E_SHAPE');
  for (let i = 0; i < rank; i++) {
    const [before, after] = [paddings[2 * i], paddings[2 * i + 1]];
    if (before < 0 || after < 0 || outShape[i] !== shape[i] + before + after) ctx.fail(`paddings [${paddings}] take [${shape}] to [${outShape}]`, 'E_SHAPE');
  }
  const outQ = tensorQuant(ctx, outIdx);
  let value: number | Int8Array = outQ.zeroPoint;
  if (valueIdx >= 0) {
    const vq = tensorQuant(ctx, valueIdx);
    if (elementCount(ctx.def(valueIdx).shape) !== 1 || vq.zeroPoint !== outQ.zeroPoint || vq.scale !== outQ.scale) {
      ctx.fail('constant_values must be one int8 value quantized like the output', 'E_QUANT_PARAMS');
    }
    value = ctx.data(valueIdx, 'int8');
  }
  return {
    input: ctx.data(inIdx, 'int8'),
    output: ctx.data(outIdx, 'int8'),
    value,
    rowTargets: rowTargets(shape, outShape, paddings),
    rowLength: shape[rank - 1],
  };
}

function rowTargets(shape: number[], outShape: number[], paddings: number[]): Int32Array {
  const rank = shape.length;
  const rows = elementCount(shape) / shape[rank - 1] || 0;
  const outStrides = outShape.map((_, i) => elementCount(outShape.slice(i + 1)));
  const targets = new Int32Array(rows);
  const pos = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let at = paddings[2 * (rank - 1)];
    for (let i = 0; i < rank - 1; i++) at += (pos[i] + paddings[2 * i]) * outStrides[i];
    targets[r] = at;
    for (let i = rank - 2; i >= 0; i--) {
      if (++pos[i] < shape[i]) break;
      pos[i] = 0;
    }
  }
  return targets;
}

export function evalPad(d: PadData): void {
  d.output.fill(typeof d.value === 'number' ? d.value : d.value[0]);
  const n = d.rowLength;
  for (let r = 0; r < d.rowTargets.length; r++) {
    const to = d.rowTargets[r];
    for (let k = 0; k < n; k++) d.output[to + k] = d.input[r * n + k];
  }
}

export const pad: Kernel<PadOp, PadData> = { prepare: preparePad, eval: evalPad };
