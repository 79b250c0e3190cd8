/**
 * CONV_2D, int8 per-channel (reference_integer_ops::ConvPerChannel): acc = Σ w·(x − zpIn) over the
 * taps inside the image (padded taps contribute nothing), + bias, requantized per output channel.
 * Grouped convolution when the filter's input depth divides the input's. The filter's zero point
 * is ignored, as in TFLite (weights are symmetric).
 *
 * Speed: the image is laid out once with its padding (padded-input.ts) and the sums of all output
 * pixels are formed by one WebAssembly SIMD call per group (window-gemm.ts).
 */
import type { Arena, Region } from '../arena.ts';
import { inputIndex, type Kernel, type KernelContext, type OpOf } from '../kernel.ts';
import { fillPadded, paddedSize, reservePadded, type PaddedGeometry } from '../padded-input.ts';
import { activationRange, channelMultipliers, expectRank, tensorQuant, weightScales, window2d, type Window2d } from '../quant.ts';
import { createOutputStage, requantize, type OutputStage } from '../requantize.ts';
import { packWeights, windowOffsets, type InputWindow, type PackedWeights } from '../window-gemm.ts';
import { optionalBias } from './bias.ts';

type Conv2dOp = OpOf<'CONV_2D'>;

export interface Conv2dData extends Window2d, PaddedGeometry {
  input: Int8Array;
  output: Int8Array;
  batches: number;
  outC: number;
  groups: number;
  groupInC: number;
  groupOutC: number;
  inputOffset: number;
  stage: OutputStage;
  arena: Arena;
  /** one per group */
  weights: PackedWeights[];
  /** byte addresses of the window offsets and of each output pixel's window start */
  offsets: number;
  taps: number;
  bases: number;
  source: Region;
  image: Region;
  sums: Region;
  /** one image of the output */
  out: Region;
}

export function prepareConv2d(op: Conv2dOp, ctx: KernelContext): Conv2dData {
  const [inIdx, wIdx, outIdx] = [inputIndex(op, 0), inputIndex(op, 1), op.outputs[0]];
  const inShape = ctx.def(inIdx).shape;
  const wShape = ctx.def(wIdx).shape;
  const outShape = ctx.def(outIdx).shape;
  expectRank(ctx, 'input', inShape, 4);
  expectRank(ctx, 'filter', wShape, 4);
  expectRank(ctx, 'output', outShape, 4);
  const [batches, inH, inW, inC] = inShape;
  const [outC, filterH, filterW, groupInC] = wShape;
  if (outShape[0] !== batches || outShape[3] !== outC) ctx.fail(`output [${outShape}] does not match input [${inShape}] and filter [${wShape}]`, 'E_SHAPE');
  if (groupInC < 1 || inC % groupInC !== 0 || outC % (inC / groupInC) !== 0) {
    ctx.fail(`filter input depth ${groupInC} does not divide input depth ${inC} into groups of ${outC} output channels`, 'E_SHAPE');
  }
  const groups = inC / groupInC;
  const groupOutC = outC / groups;
  const win = window2d(ctx, op, inH, inW, filterH, filterW, outShape);
  const inQ = tensorQuant(ctx, inIdx);
  const outQ = tensorQuant(ctx, outIdx);
  const { multipliers, shifts } = channelMultipliers(inQ.scale, weightScales(ctx, wIdx, outC, 0), outQ.scale);
  const { min, max } = activationRange(op.activation, outQ);

  const { arena } = ctx;
  const { padH, padW } = paddedSize(win.outH, win.outW, filterH, filterW, op.strideH, op.strideW, op.dilationH, op.dilationW);
  const window = convWindow(filterH, filterW, op.dilationH, op.dilationW, padW, inC, groups);
  const filter = ctx.data(wIdx, 'int8');
  const weights = Array.from({ length: groups }, (_, g) => packWeights(arena, filter, g * groupOutC, groupOutC, window, 0));
  const pixels = win.outH * win.outW;
  const bases = Array.from({ length: pixels + 1 }, (_, p) => {
    const oy = Math.floor(p / win.outW);
    return 2 * (oy * op.strideH * padW + (p - oy * win.outW) * op.strideW) * inC;
  });
  const geometry = { ...win, inH, inW, inC, padH, padW };
  return {
    ...geometry,
    ...reservePadded(arena, geometry),
    input: ctx.data(inIdx, 'int8'),
    output: ctx.data(outIdx, 'int8'),
    batches,
    outC,
    groups,
    groupInC,
    groupOutC,
    inputOffset: -inQ.zeroPoint,
    stage: createOutputStage(arena, optionalBias(ctx, inputIndex(op, 2), outC), multipliers, shifts, outQ.zeroPoint, min, max),
    arena,
    weights,
    offsets: windowOffsets(arena, window),
    taps: window.offsets.length,
    bases: arena.allocInt32(bases),
    sums: arena.shared('sums', 32 * weights[0].blocks * (pixels + 1)),
    out: arena.shared('output', pixels * outC),
  };
}

/**
 * The taps of a filter window in the padded image, in the filter's (ky, kx, channel) order. Without
 * groups or horizontal dilation a whole filter row is one contiguous run of filterW·inC values.
 */
function convWindow(filterH: number, filterW: number, dilationH: number, dilationW: number, padW: number, inC: number, groups: number): InputWindow {
  if (groups === 1 && dilationW === 1) {
    return { offsets: Array.from({ length: filterH }, (_, ky) => ky * dilationH * padW * inC), run: filterW * inC };
  }
  const offsets: number[] = [];
  for (let ky = 0; ky < filterH; ky++) for (let kx = 0; kx < filterW; kx++) offsets.push((ky * dilationH * padW + kx * dilationW) * inC);
  return { offsets, run: inC / groups };
}

export function evalConv2d(d: Conv2dData): void {
  const { arena, groupOutC, outC } = d;
  const pixels = d.outH * d.outW;
  const [image, sums, out] = [d.image.at, d.sums.at, d.out.at];
  for (let n = 0; n < d.batches; n++) {
    fillPadded(arena, d, d.input, n, d.inputOffset, d.source, d.image);
    for (let g = 0; g < d.groups; g++) {
      const w = d.weights[g];
      arena.kernels.dotPairs(w.at, image + 2 * g * d.groupInC, d.bases, pixels, d.offsets, d.taps, w.pairs, w.blocks, sums);
      requantize(arena, d.stage, sums, 32 * w.blocks, g * groupOutC, groupOutC, pixels, out + g * groupOutC, outC);
    }
    d.output.set(arena.i8.subarray(out, out + pixels * outC), n * pixels * outC);
  }
}

export const conv2d: Kernel<Conv2dOp, Conv2dData> = { prepare: prepareConv2d, eval: evalConv2d };
