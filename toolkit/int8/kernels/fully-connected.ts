/**
 * FULLY_CONNECTED, int8 (reference_integer_ops::FullyConnected / FullyConnectedPerChannel): each
 * of the output's leading rows is a dot product of the flattened input with weight rows [out, in].
 *
 * Per-channel is signalled by the weights carrying one scale per output channel (quantizedDimension
 * 0); then the weights' zero point is ignored. With one scale, TFLite subtracts the weights' zero
 * point and forms the multiplier from the float32 product in·w (GetQuantizedConvolutionMultipler).
 */
import { quantizeMultiplier } from '../arithmetic.ts';
import type { Arena, Region } from '../arena.ts';
import { inputIndex, type Kernel, type KernelContext, type OpOf } from '../kernel.ts';
import { createOutputStage, requantize, type OutputStage } from '../requantize.ts';
import { activationRange, channelMultipliers, elementCount, tensorQuant, weightScales } from '../quant.ts';
import { packWeights, windowOffsets, type PackedWeights } from '../window-gemm.ts';
import { optionalBias } from './bias.ts';

type FullyConnectedOp = OpOf<'FULLY_CONNECTED'>;

export interface FullyConnectedData {
  input: Int8Array;
  output: Int8Array;
  batches: number;
  depth: number;
  outC: number;
  inputOffset: number;
  stage: OutputStage;
  arena: Arena;
  weights: PackedWeights;
  /** byte addresses of the (single) window offset and of each row's start */
  offsets: number;
  bases: number;
  /** the input rows, and the same minus the zero point as int16 */
  source: Region;
  image: Region;
  sums: Region;
  out: Region;
}

export function prepareFullyConnected(op: FullyConnectedOp, ctx: KernelContext): FullyConnectedData {
  const [inIdx, wIdx, outIdx] = [inputIndex(op, 0), inputIndex(op, 1), op.outputs[0]];
  const wShape = ctx.def(wIdx).shape;
  const outShape = ctx.def(outIdx).shape;
  if (wShape.length !== 2) ctx.fail(`weights have shape [${wShape}], expected [out, in]`, 'E_SHAPE');
  const [outC, depth] = wShape;
  const batches = elementCount(outShape) / outC;
  if (outShape[outShape.length - 1] !== outC || elementCount(ctx.def(inIdx).shape) !== batches * depth) {
    ctx.fail(`input [${ctx.def(inIdx).shape}], weights [${wShape}] and output [${outShape}] do not match`, 'E_SHAPE');
  }
  const inQ = tensorQuant(ctx, inIdx);
  const outQ = tensorQuant(ctx, outIdx);
  const wQ = tensorQuant(ctx, wIdx);
  const perChannel = ctx.def(wIdx).quantization!.scale.length > 1;
  let rescale: { multipliers: Int32Array; shifts: Int32Array };
  if (perChannel) {
    rescale = channelMultipliers(inQ.scale, weightScales(ctx, wIdx, outC, 0), outQ.scale);
  } else {
    checkBiasScale(ctx, inputIndex(op, 2), inQ.scale * wQ.scale, outQ.scale);
    const m = quantizeMultiplier(Math.fround(inQ.scale * wQ.scale) / outQ.scale);
    rescale = { multipliers: new Int32Array(outC).fill(m.multiplier), shifts: new Int32Array(outC).fill(m.shift) };
  }
  const { arena } = ctx;
  const window = { offsets: [0], run: depth };
  const weights = packWeights(arena, ctx.data(wIdx, 'int8'), 0, outC, window, perChannel ? 0 : -wQ.zeroPoint);
  const { min, max } = activationRange(op.activation, outQ);
  const bias = optionalBias(ctx, inputIndex(op, 2), outC);
  return {
    input: ctx.data(inIdx, 'int8'),
    output: ctx.data(outIdx, 'int8'),
    batches,
    depth,
    outC,
    inputOffset: -inQ.zeroPoint,
    stage: createOutputStage(arena, bias, rescale.multipliers, rescale.shifts, outQ.zeroPoint, min, max),
    arena,
    weights,
    offsets: windowOffsets(arena, window),
    bases: arena.allocInt32(Array.from({ length: batches + 1 }, (_, b) => 2 * b * depth)),
    source: arena.shared('input', batches * depth),
    image: arena.shared('image', 2 * batches * depth),
    sums: arena.shared('sums', 32 * weights.blocks * (batches + 1)),
    out: arena.shared('output', batches * outC),
  };
}

/** TFLite refuses a per-tensor FULLY_CONNECTED whose bias scale strays from in·w (by 0.02 output steps). */
function checkBiasScale(ctx: KernelContext, biasIdx: number, productScale: number, outScale: number): void {
  if (biasIdx < 0) return;
  const biasScale = Math.fround(ctx.def(biasIdx).quantization?.scale[0] ?? 0);
  if (Math.abs(productScale - biasScale) / outScale > 0.02) {
    ctx.fail(`bias scale ${biasScale} is not input scale × weight scale (${productScale})`, 'E_QUANT_PARAMS', 'quantize the bias with scale = input_scale · weight_scale, zero point 0');
  }
}

export function evalFullyConnected(d: FullyConnectedData): void {
  const { arena, depth, outC, weights: w } = d;
  arena.i8.set(d.input, d.source.at);
  arena.kernels.widen(d.source.at, 1, d.batches * depth, 0, d.image.at, 0, d.inputOffset, 1);
  arena.kernels.dotPairs(w.at, d.image.at, d.bases, d.batches, d.offsets, 1, w.pairs, w.blocks, d.sums.at);
  requantize(arena, d.stage, d.sums.at, 32 * w.blocks, 0, outC, d.batches, d.out.at, outC);
  d.output.set(arena.i8.subarray(d.out.at, d.out.at + d.batches * outC));
}

export const fullyConnected: Kernel<FullyConnectedOp, FullyConnectedData> = { prepare: prepareFullyConnected, eval: evalFullyConnected };
