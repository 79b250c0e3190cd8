/**
 * The output stage of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, per output channel c:
 * clamp(MultiplyByQuantizedMultiplier(acc + bias[c], m[c], shift[c]) + zpOut, actMin, actMax),
 * run by the WebAssembly kernel `requantize` (wasm/kernels.ts) over int32 sums in the arena.
 */
import type { Arena } from './arena.ts';
import { ReparoError } from '../errors.ts';

export interface OutputStage {
  /** byte address of {bias, multiplier, left shift, right shift} int32 per channel */
  params: number;
  zeroPoint: number;
  min: number;
  max: number;
}

export function createOutputStage(arena: Arena, bias: Int32Array, multipliers: Int32Array, shifts: Int32Array, zeroPoint: number, min: number, max: number): OutputStage {
  const params = new Int32Array(4 * bias.length);
  bias.forEach((b, c) => {
    // a negative multiplier would come from a negative scale, which TFLite does not allow either
    if (multipliers[c] < 0)
      throw new ReparoError('E_QUANT_PARAMS', `channel ${c} has a negative requantization multiplier (a negative or zero scale)`, { hint: 'quantization scales must be positive: reparo check <model> lists the tensors' });
    params.set([b, multipliers[c], Math.max(shifts[c], 0), Math.max(-shifts[c], 0)], 4 * c);
  });
  return { params: arena.allocInt32(params), zeroPoint, min, max };
}

/**
 * Requantize `pixels` rows of `channels` int32 sums (row p at accAt + p·accStride bytes) for
 * channels firstChannel… into int8 rows at outAt + p·outStride bytes.
 */
export function requantize(arena: Arena, stage: OutputStage, accAt: number, accStride: number, firstChannel: number, channels: number, pixels: number, outAt: number, outStride: number): void {
  arena.kernels.requantize(accAt, accStride, pixels, channels, stage.params + 16 * firstChannel, outAt, outStride, stage.zeroPoint, stage.min, stage.max);
}
