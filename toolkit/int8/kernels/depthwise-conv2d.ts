/**
 * DEPTHWISE_CONV_2D, int8 per-channel (reference_integer_ops::DepthwiseConvPerChannel): output
 * channel ic·M + m sees only input channel ic (M = depth multiplier); filter 1HWO; padded taps
 * contribute nothing; the filter's zero point is ignored.
 *
 * Speed: the image is laid out once with its padding and each input channel repeated M times, so
 * image and output channels coincide, and one WebAssembly SIMD call forms every output's sum
 * (wasm/kernels.ts, depthwise).
 */
import type { Arena, Region } from '../arena.ts';
import { inputIndex, type Kernel, type KernelContext, type OpOf } from '../kernel.ts';
import { fillPadded, paddedSize, reservePadded, type PaddedGeometry } from '../padded-input.ts';
import { activationRange, channelMultipliers, expectRank, tensorQuant, weightScales, window2d, type Window2d } from '../quant.ts';
import { createOutputStage, requantize, type OutputStage } from '../requantize.ts';
import { optionalBias } from './bias.ts';

type DepthwiseOp = OpOf<'DEPTHWISE_CONV_2D'>;

export interface DepthwiseConv2dData extends Window2d, PaddedGeometry {
  input: Int8Array;
  output: Int8Array;
  batches: number;
  outC: number;
  depthMultiplier: number;
  inputOffset: number;
  stage: OutputStage;
  arena: Arena;
  /** byte addresses: weights [block of 8 channels][tap][8] int16, tap offsets, pixel window starts */
  weights: number;
  blocks: number;
  offsets: number;
  taps: number;
  bases: number;
  source: Region;
  image: Region;
  sums: Region;
  /** one image of the output */
  out: Region;
}

export function prepareDepthwiseConv2d(op: DepthwiseOp, ctx: KernelContext): DepthwiseConv2dData {
  const [inIdx, wIdx, outIdx] = [inputIndex(op, 0), inputIndex(op, 1), op.outputs[0]];
  const inShape = ctx.def(inIdx).shape;
  const wShape = ctx.def(wIdx).shape;
  const outShape = ctx.def(outIdx).shape;
  expectRank(ctx, 'input', inShape, 4);
  expectRank(ctx, 'filter', wShape, 4);
  expectRank(ctx, 'output', outShape, 4);
  const [batches, inH, inW, inC] = inShape;
  const [one, filterH, filterW, outC] = wShape;
  const m = op.depthMultiplier;
  if (one !== 1 || outShape[0] !== batches || outShape[3] !== outC || outC !== inC * m) {
    ctx.fail(`shapes input [${inShape}], filter [${wShape}], output [${outShape}] do not fit depth multiplier ${m}`, 'E_SHAPE');
  }
  const win = window2d(ctx, op, inH, inW, filterH, filterW, outShape);
  const inQ = tensorQuant(ctx, inIdx);
  const outQ = tensorQuant(ctx, outIdx);
  const { multipliers, shifts } = channelMultipliers(inQ.scale, weightScales(ctx, wIdx, outC, 3), outQ.scale);
  const { min, max } = activationRange(op.activation, outQ);

  const { arena } = ctx;
  const taps = filterH * filterW;
  const blocks = Math.ceil(outC / 8);
  const filter = ctx.data(wIdx, 'int8');
  const packed = new Int16Array(blocks * taps * 8);
  for (let t = 0; t < taps; t++) for (let c = 0; c < outC; c++) packed[(Math.floor(c / 8) * taps + t) * 8 + (c % 8)] = filter[t * outC + c];
  const { padH, padW } = paddedSize(win.outH, win.outW, filterH, filterW, op.strideH, op.strideW, op.dilationH, op.dilationW);
  const offsets: number[] = [];
  for (let ky = 0; ky < filterH; ky++) for (let kx = 0; kx < filterW; kx++) offsets.push(2 * (ky * op.dilationH * padW + kx * op.dilationW) * outC);
  const pixels = win.outH * win.outW;
  const bases = Array.from({ length: pixels }, (_, p) => {
    const oy = Math.floor(p / win.outW);
    return 2 * (oy * op.strideH * padW + (p - oy * win.outW) * op.strideW) * outC;
  });
  const geometry = { ...win, inH, inW, inC, padH, padW };
  return {
    ...geometry,
    ...reservePadded(arena, geometry, m),
    input: ctx.data(inIdx, 'int8'),
    output: ctx.data(outIdx, 'int8'),
    batches,
    outC,
    depthMultiplier: m,
    inputOffset: -inQ.zeroPoint,
    stage: createOutputStage(arena, optionalBias(ctx, inputIndex(op, 2), outC), multipliers, shifts, outQ.zeroPoint, min, max),
    arena,
    weights: arena.allocInt16(packed),
    blocks,
    offsets: arena.allocInt32(offsets),
    taps,
    bases: arena.allocInt32(bases),
    sums: arena.shared('sums', 32 * blocks * pixels),
    out: arena.shared('output', pixels * outC),
  };
}

export function evalDepthwiseConv2d(d: DepthwiseConv2dData): void {
  const { arena, outC } = d;
  const pixels = d.outH * d.outW;
  for (let n = 0; n < d.batches; n++) {
    fillPadded(arena, d, d.input, n, d.inputOffset, d.source, d.image, d.depthMultiplier);
    arena.kernels.depthwise(d.weights, d.image.at, d.bases, pixels, d.offsets, d.taps, d.blocks, d.sums.at);
    requantize(arena, d.stage, d.sums.at, 32 * d.blocks, 0, outC, pixels, d.out.at, outC);
    d.output.set(arena.i8.subarray(d.out.at, d.out.at + pixels * outC), n * pixels * outC);
  }
}

export const depthwiseConv2d: Kernel<DepthwiseOp, DepthwiseConv2dData> = { prepare: prepareDepthwiseConv2d, eval: evalDepthwiseConv2d };
