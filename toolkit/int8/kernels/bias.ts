/** The optional int32 bias input of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED. */
import type { KernelContext } from '../kernel.ts';
import { elementCount } from '../quant.ts';

/** The bias values, or zeros when the input is omitted (index −1), checked to hold `channels`. */
export function optionalBias(ctx: KernelContext, index: number, channels: number): Int32Array {
  if (index < 0) return new Int32Array(channels);
  const n = elementCount(ctx.def(index).shape);
  if (n !== channels) ctx.fail(`bias has ${n} values for ${channels} output channels`, 'E_SHAPE');
  return ctx.data(index, 'int32');
}
