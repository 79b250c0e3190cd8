/**
 * AVERAGE_POOL_2D and MAX_POOL_2D, int8 (reference_integer_ops::AveragePool / MaxPool). The window
 * is clipped to the image (padding is never counted), input and output share scale and zero point
 * so raw int8 values are pooled. The average rounds half away from zero with C's truncating
 * division: (sum ± count/2) / count.
 */
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { activationRange, expectRank, tensorQuant, window2d, type Window2d } from '../quant.ts';

type PoolOp = OpOf<'AVERAGE_POOL_2D' | 'MAX_POOL_2D'>;

export interface PoolData extends Window2d {
  input: Int8Array;
  output: Int8Array;
  batches: number;
  inH: number;
  inW: number;
  channels: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  min: number;
  max: number;
}

export function preparePool(op: PoolOp, ctx: KernelContext): PoolData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  const inShape = ctx.def(inIdx).shape;
  const outShape = ctx.def(outIdx).shape;
  expectRank(ctx, 'input', inShape, 4);
  expectRank(ctx, 'output', outShape, 4);
  const [batches, inH, inW, channels] = inShape;
  if (outShape[0] !== batches || outShape[3] !== channels) ctx.fail(`output [${outShape}] does not match input [${inShape}]`, 'E_SHAPE');
  const win = window2d(ctx, { ...op, dilationH: 1, dilationW: 1 }, inH, inW, op.filterH, op.filterW, outShape);
  const inQ = tensorQuant(ctx, inIdx);
  const outQ = tensorQuant(ctx, outIdx);
  if (Math.abs(Math.fround(inQ.scale - outQ.scale)) > 1e-6 || inQ.zeroPoint !== outQ.zeroPoint) {
    ctx.fail(`input and output quantization differ (${inQ.scale}, ${inQ.zeroPoint} vs ${outQ.scale}, ${outQ.zeroPoint})`, 'E_QUANT_PARAMS', 'pooling keeps its input quantization');
  }
  return {
    ...win,
    input: ctx.data(inIdx, 'int8'),
    output: ctx.data(outIdx, 'int8'),
    batches,
    inH,
    inW,
    channels,
    filterH: op.filterH,
    filterW: op.filterW,
    strideH: op.strideH,
    strideW: op.strideW,
    ...activationRange(op.activation, outQ),
  };
}

/** Both pools: the same clipped windows, averaged or maximized. */
function pool(d: PoolData, average: boolean): void {
  const { input, output, channels, inH, inW, outH, outW, filterH, filterW, min, max } = d;
  for (let n = 0; n < d.batches; n++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy = oy * d.strideH - d.padTop;
      const y0 = Math.max(0, -iy);
      const y1 = Math.min(filterH, inH - iy);
      for (let ox = 0; ox < outW; ox++) {
        const ix = ox * d.strideW - d.padLeft;
        const x0 = Math.max(0, -ix);
        const x1 = Math.min(filterW, inW - ix);
        const inBase = ((n * inH + iy) * inW + ix) * channels;
        const outBase = ((n * outH + oy) * outW + ox) * channels;
        const count = (y1 - y0) * (x1 - x0);
        // TFLite's kernel reports an error for an empty window; SAME/VALID geometry never makes one
        if (count <= 0) throw new RangeError('pooling window outside the image');
        for (let c = 0; c < channels; c++) {
          let r = average ? 0 : -128;
          for (let y = y0; y < y1; y++) {
            for (let x = x0; x < x1; x++) {
              const v = input[inBase + (y * inW + x) * channels + c];
              r = average ? r + v : Math.max(r, v);
            }
          }
          if (average) r = Math.trunc(r > 0 ? (r + (count >> 1)) / count : (r - (count >> 1)) / count);
          output[outBase + c] = r < min ? min : r > max ? max : r;
        }
      }
    }
  }
}

export function evalAveragePool(d: PoolData): void {
  pool(d, true);
}

export function evalMaxPool(d: PoolData): void {
  pool(d, false);
}

export const averagePool2d: Kernel<PoolOp, PoolData> = { prepare: preparePool, eval: evalAveragePool };
export const maxPool2d: Kernel<PoolOp, PoolData> = { prepare: preparePool, eval: evalMaxPool };
