/**
 * ADD, int8 (reference_integer_ops::AddFunc): both inputs are shifted left by 20 bits, rescaled to
 * a common scale of twice the larger input scale, summed, then rescaled to the output.
 */
import { multiplyByQuantizedMultiplier, quantizeMultiplier, type QuantizedMultiplier } from '../arithmetic.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { activationRange, tensorQuant } from '../quant.ts';
import { broadcast, type Broadcast } from './broadcast.ts';

type AddOp = OpOf<'ADD'>;

const LEFT_SHIFT = 20;

export interface AddData extends Broadcast {
  input1: Int8Array;
  input2: Int8Array;
  output: Int8Array;
  offset1: number;
  offset2: number;
  outputZeroPoint: number;
  rescale1: QuantizedMultiplier;
  rescale2: QuantizedMultiplier;
  rescaleOut: QuantizedMultiplier;
  min: number;
  max: number;
}

export function prepareAdd(op: AddOp, ctx: KernelContext): AddData {
  const [i1, i2, o] = [op.inputs[0], op.inputs[1], op.outputs[0]];
  const q1 = tensorQuant(ctx, i1);
  const q2 = tensorQuant(ctx, i2);
  const qo = tensorQuant(ctx, o);
  const twiceMaxInputScale = 2 * Math.max(q1.scale, q2.scale);
  // QuantizeMultiplierSmallerThanOneExp: TFLite aborts on a real multiplier outside (0, 1)
  const smallerThanOne = (real: number, what: string) => {
    if (!(real > 0 && real < 1)) ctx.fail(`${what} rescale ${real} is not in (0, 1)`, 'E_QUANT_PARAMS');
    return quantizeMultiplier(real);
  };
  return {
    ...broadcast(ctx, ctx.def(i1).shape, ctx.def(i2).shape, ctx.def(o).shape),
    input1: ctx.data(i1, 'int8'),
    input2: ctx.data(i2, 'int8'),
    output: ctx.data(o, 'int8'),
    offset1: -q1.zeroPoint,
    offset2: -q2.zeroPoint,
    outputZeroPoint: qo.zeroPoint,
    rescale1: smallerThanOne(q1.scale / twiceMaxInputScale, 'input 1'),
    rescale2: smallerThanOne(q2.scale / twiceMaxInputScale, 'input 2'),
    rescaleOut: smallerThanOne(twiceMaxInputScale / (2 ** LEFT_SHIFT * qo.scale), 'output'),
    ...activationRange(op.activation, qo),
  };
}

export function evalAdd(d: AddData): void {
  const { input1, input2, output, index1, index2, offset1, offset2, outputZeroPoint, min, max } = d;
  const [m1, s1, m2, s2, mo, so] = [d.rescale1.multiplier, d.rescale1.shift, d.rescale2.multiplier, d.rescale2.shift, d.rescaleOut.multiplier, d.rescaleOut.shift];
  for (let i = 0; i < d.size; i++) {
    const a = (input1[index1 ? index1[i] : i] + offset1) * (1 << LEFT_SHIFT);
    const b = (input2[index2 ? index2[i] : i] + offset2) * (1 << LEFT_SHIFT);
    const sum = (multiplyByQuantizedMultiplier(a, m1, s1) + multiplyByQuantizedMultiplier(b, m2, s2)) | 0;
    const v = multiplyByQuantizedMultiplier(sum, mo, so) + outputZeroPoint;
    output[i] = v < min ? min : v > max ? max : v;
  }
}

export const add: Kernel<AddOp, AddData> = { prepare: prepareAdd, eval: evalAdd };
