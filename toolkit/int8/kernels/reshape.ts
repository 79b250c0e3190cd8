/** RESHAPE: the bytes stay, the shape changes (the output tensor's shape is the truth). */
import type { Kernel, KernelContext, TensorData, OpOf } from '../kernel.ts';
import { elementCount } from '../quant.ts';

type ReshapeOp = OpOf<'RESHAPE'>;

export interface ReshapeData {
  input: TensorData;
  output: TensorData;
}

export function prepareReshape(op: ReshapeOp, ctx: KernelContext): ReshapeData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  const [inDef, outDef] = [ctx.def(inIdx), ctx.def(outIdx)];
  if (inDef.type !== outDef.type) ctx.fail(`input is ${inDef.type} but output is ${outDef.type}`, 'E_GRAPH');
  if (elementCount(inDef.shape) !== elementCount(outDef.shape)) ctx.fail(`cannot reshape [${inDef.shape}] to [${outDef.shape}]`, 'E_SHAPE');
  return { input: ctx.data(inIdx, inDef.type), output: ctx.data(outIdx, outDef.type) };
}

export function evalReshape(d: ReshapeData): void {
  (d.output as Int8Array).set(d.input as Int8Array);
}

export const reshape: Kernel<ReshapeOp, ReshapeData> = { prepare: prepareReshape, eval: evalReshape };
