/** DEQUANTIZE to float32 (reference_ops::Dequantize): float(double(s) · (x − zp)). */
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { elementCount, tensorQuant } from '../quant.ts';

type DequantizeOp = OpOf<'DEQUANTIZE'>;

export interface DequantizeData {
  input: Int8Array | Uint8Array | Int16Array;
  output: Float32Array;
  scale: number;
  zeroPoint: number;
}

export function prepareDequantize(op: DequantizeOp, ctx: KernelContext): DequantizeData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  if (elementCount(ctx.def(inIdx).shape) !== elementCount(ctx.def(outIdx).shape)) ctx.fail('input and output sizes differ', 'E_SHAPE');
  const q = tensorQuant(ctx, inIdx);
  return { input: ctx.data(inIdx, 'int8', 'uint8', 'int16'), output: ctx.data(outIdx, 'float32'), ...q };
}

export function evalDequantize(d: DequantizeData): void {
  // Float32Array stores round to nearest float32, as static_cast<float> does
  for (let i = 0; i < d.input.length; i++) d.output[i] = d.scale * (d.input[i] - d.zeroPoint);
}

export const dequantize: Kernel<DequantizeOp, DequantizeData> = { prepare: prepareDequantize, eval: evalDequantize };
