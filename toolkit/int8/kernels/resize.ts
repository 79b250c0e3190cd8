/**
 * RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8, as TFLite Micro runs them: raw int8 values
 * (input and output share a quantization; no zero point is involved), output size from a constant
 * int32 [2] tensor.
 * - nearest (reference_ops::ResizeNearestNeighbor): source index floor((x + offset)·scale), or
 *   round(…) with align_corners, in float32; clamped to the image.
 * - bilinear (reference_ops::ResizeBilinearInteger): coordinates in 1/1024 steps from a rounded
 *   integer scale, four int products weighted to 2^20, rounded half away from zero (the
 *   double-rounding build; TFLITE_SINGLE_ROUNDING would add 2^19 and shift).
 * Both depend only on geometry, so prepare computes each output pixel's sources and weights once.
 */
import { roundHalfAwayFromZero } from '../arithmetic.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { expectRank } from '../quant.ts';

type ResizeOp = OpOf<'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'>;

export interface ResizeData {
  input: Int8Array;
  output: Int8Array;
  batches: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  /** per output row/column: lower and upper source index, and the upper weight in 1/1024 (nearest: lower only, weight 0) */
  rows: Int32Array;
  cols: Int32Array;
  bilinear: boolean;
}

/** GetNearestNeighbor. */
export function nearestSource(x: number, inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const f = Math.fround;
  const scale = alignCorners && outSize > 1 ? f((inSize - 1) / (outSize - 1)) : f(inSize / outSize);
  const v = f((x + (halfPixelCenters ? 0.5 : 0)) * scale);
  let r = Math.min(alignCorners ? roundHalfAwayFromZero(v) : Math.floor(v), inSize - 1);
  if (halfPixelCenters) r = Math.max(0, r);
  return r;
}

/** ComputeInterpolationValuesInteger: [scaled value in 1/1024, lower, upper]. */
export function bilinearSource(x: number, inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): [number, number, number] {
  const scale10 = alignCorners && outSize > 1
    ? Math.trunc((1024 * (inSize - 1) + Math.trunc((outSize - 1) / 2)) / (outSize - 1))
    : Math.trunc((1024 * inSize + Math.trunc(outSize / 2)) / outSize);
  const scaled = halfPixelCenters ? x * scale10 + Math.trunc(scale10 / 2) - 512 : x * scale10;
  return [scaled, Math.max(Math.trunc(scaled / 1024), 0), Math.min(Math.trunc((scaled + 1023) / 1024), inSize - 1)];
}

export function prepareResize(op: ResizeOp, ctx: KernelContext): ResizeData {
  const [inIdx, sizeIdx, outIdx] = [op.inputs[0], op.inputs[1], op.outputs[0]];
  const inShape = ctx.def(inIdx).shape, outShape = ctx.def(outIdx).shape;
  expectRank(ctx, 'input', inShape, 4);
  expectRank(ctx, 'output', outShape, 4);
  if (op.alignCorners && op.halfPixelCenters) ctx.fail('align_corners and half_pixel_centers are both set (TFLite allows one)', 'E_TFLITE_UNSUPPORTED');
  const size = ctx.constInts(sizeIdx);
  if (size.length !== 2) ctx.fail(`size has ${size.length} values, expected [height, width]`, 'E_SHAPE');
  const [batches, inH, inW, channels] = inShape;
  const [outH, outW] = size;
  if (outShape[0] !== batches || outShape[1] !== outH || outShape[2] !== outW || outShape[3] !== channels)
    ctx.fail(`output [${outShape}] is not [${batches},${outH},${outW},${channels}] (input [${inShape}], size [${size}])`, 'E_SHAPE');
  const bilinear = op.op === 'RESIZE_BILINEAR';
  const axis = (inSize: number, outSize: number) => {
    const t = new Int32Array(outSize * 3);
    for (let x = 0; x < outSize; x++) {
      if (bilinear) {
        const [scaled, lo, hi] = bilinearSource(x, inSize, outSize, op.alignCorners, op.halfPixelCenters);
        t.set([lo, hi, scaled - 1024 * lo], x * 3);
      } else t[x * 3] = t[x * 3 + 1] = nearestSource(x, inSize, outSize, op.alignCorners, op.halfPixelCenters);
    }
    return t;
  };
  return {
    input: ctx.data(inIdx, 'int8'), output: ctx.data(outIdx, 'int8'),
    batches, inH, inW, channels, outH, outW, rows: axis(inH, outH), cols: axis(inW, outW), bilinear,
  };
}

export function evalResize(d: ResizeData): void {
  const { input, output, inH, inW, channels: C, outH, outW, rows, cols } = d;
  let o = 0;
  for (let b = 0; b < d.batches; b++) {
    const base = b * inH * inW * C;
    for (let y = 0; y < outH; y++) {
      const [y0, y1, dy] = [rows[3 * y], rows[3 * y + 1], rows[3 * y + 2]];
      for (let x = 0; x < outW; x++) {
        const [x0, x1, dx] = [cols[3 * x], cols[3 * x + 1], cols[3 * x + 2]];
        const p00 = base + (y0 * inW + x0) * C;
        if (!d.bilinear) {
          output.set(input.subarray(p00, p00 + C), o);
          o += C;
          continue;
        }
        const p10 = base + (y1 * inW + x0) * C, p01 = base + (y0 * inW + x1) * C, p11 = base + (y1 * inW + x1) * C;
        const w00 = (1024 - dy) * (1024 - dx), w10 = dy * (1024 - dx), w01 = (1024 - dy) * dx, w11 = dy * dx;
        for (let c = 0; c < C; c++) {
          // |sum| < 2^28 plus the 2^20 weights: exact in a double
          const s = input[p00 + c] * w00 + input[p10 + c] * w10 + input[p01 + c] * w01 + input[p11 + c] * w11;
          output[o++] = Math.trunc((s + (s > 0 ? 1 << 19 : -(1 << 19))) / (1 << 20));
        }
      }
    }
  }
}

export const resize: Kernel<ResizeOp, ResizeData> = { prepare: prepareResize, eval: evalResize };
