/**
 * Prepare-time facts shared by the kernels: quantization parameters as TFLite stores them (float32
 * scales), fused activation ranges, SAME/VALID geometry and per-channel requantization multipliers.
 */
import type { Activation, Padding, TensorType } from '../tflite/model.ts';
import { quantizeMultiplier, roundHalfAwayFromZero } from './arithmetic.ts';
import type { KernelContext } from './kernel.ts';

export interface TensorQuant {
  /** the float32 scale TFLite stores, widened exactly to a double */
  scale: number;
  zeroPoint: number;
}

/** A tensor's per-tensor parameters (TfLiteTensor::params: the first scale and zero point). */
export function tensorQuant(ctx: KernelContext, index: number): TensorQuant {
  const q = ctx.def(index).quantization;
  if (!q || q.scale.length === 0 || q.zeroPoint.length === 0) {
    ctx.fail(`tensor ${index} '${ctx.def(index).name}' has no quantization parameters`, 'E_QUANT_PARAMS', 'int8 kernels need a scale and zero point on every activation tensor');
  }
  return { scale: Math.fround(q.scale[0]), zeroPoint: q.zeroPoint[0] };
}

/** Per-channel (or one broadcast) float32 scales of a weight tensor along `quantizedDimension`. */
export function weightScales(ctx: KernelContext, index: number, channels: number, dimension: number): number[] {
  const def = ctx.def(index);
  const q = def.quantization;
  if (!q || q.scale.length === 0) ctx.fail(`weights '${def.name}' have no quantization scale`, 'E_QUANT_PARAMS');
  if (q.scale.length === 1) return new Array<number>(channels).fill(Math.fround(q.scale[0]));
  if (q.scale.length !== channels || q.quantizedDimension !== dimension) {
    ctx.fail(
      `weights '${def.name}' have ${q.scale.length} scales along dimension ${q.quantizedDimension}; expected 1 or ${channels} along dimension ${dimension}`,
      'E_QUANT_PARAMS',
    );
  }
  return q.scale.map((s) => Math.fround(s));
}

/** Requantization multipliers for acc·(in·w[c]/out), per channel (PopulateConvolutionQuantizationParams). */
export function channelMultipliers(inScale: number, wScales: number[], outScale: number): { multipliers: Int32Array; shifts: Int32Array } {
  const multipliers = new Int32Array(wScales.length);
  const shifts = new Int32Array(wScales.length);
  wScales.forEach((w, c) => {
    const m = quantizeMultiplier((inScale * w) / outScale);
    multipliers[c] = m.multiplier;
    shifts[c] = m.shift;
  });
  return { multipliers, shifts };
}

const TYPE_RANGE: Partial<Record<TensorType, [number, number]>> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767] };

/** The representable range of an integer tensor type. */
export function typeRange(type: TensorType): [number, number] {
  const r = TYPE_RANGE[type];
  if (!r) throw new RangeError(`no quantized range for ${type}`);
  return r;
}

/** CalculateActivationRangeQuantized: the fused activation as a clamp on quantized outputs. */
export function activationRange(activation: Activation, out: TensorQuant, type: TensorType = 'int8'): { min: number; max: number } {
  const [qmin, qmax] = typeRange(type);
  // TFLite quantizes the bounds in float32: round(f / scale) + zero point
  const q = (f: number) => out.zeroPoint + roundHalfAwayFromZero(Math.fround(f / out.scale));
  switch (activation) {
    case 'NONE':
      return { min: qmin, max: qmax };
    case 'RELU':
      return { min: Math.max(qmin, q(0)), max: qmax };
    case 'RELU6':
      return { min: Math.max(qmin, q(0)), max: Math.min(qmax, q(6)) };
    case 'RELU_N1_TO_1':
      return { min: Math.max(qmin, q(-1)), max: Math.min(qmax, q(1)) };
  }
}

/** ComputeOutSize (kernels/padding.h). */
export function windowOutputSize(padding: Padding, inSize: number, filterSize: number, stride: number, dilation: number): number {
  const effective = (filterSize - 1) * dilation + 1;
  return padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize + stride - effective) / stride);
}

/** ComputePadding: the padding before the first element (SAME puts the odd one after). */
export function windowPaddingBefore(inSize: number, filterSize: number, stride: number, dilation: number, outSize: number): number {
  const effective = (filterSize - 1) * dilation + 1;
  return Math.floor(Math.max(0, (outSize - 1) * stride + effective - inSize) / 2);
}

export interface Window2d {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
}

/** Output size and padding of a 2-D window op, checked against the output tensor's shape. */
export function window2d(
  ctx: KernelContext,
  p: { padding: Padding; strideH: number; strideW: number; dilationH: number; dilationW: number },
  inH: number,
  inW: number,
  filterH: number,
  filterW: number,
  outShape: number[],
): Window2d {
  if (!(p.strideH >= 1 && p.strideW >= 1 && p.dilationH >= 1 && p.dilationW >= 1 && filterH >= 1 && filterW >= 1)) {
    ctx.fail(`invalid window: filter ${filterH}×${filterW}, stride ${p.strideH}×${p.strideW}, dilation ${p.dilationH}×${p.dilationW}`, 'E_SHAPE');
  }
  const outH = windowOutputSize(p.padding, inH, filterH, p.strideH, p.dilationH);
  const outW = windowOutputSize(p.padding, inW, filterW, p.strideW, p.dilationW);
  if (outShape[1] !== outH || outShape[2] !== outW) {
    ctx.fail(`output is ${outShape[1]}×${outShape[2]} but ${p.padding} padding of ${inH}×${inW} gives ${outH}×${outW}`, 'E_SHAPE');
  }
  return {
    outH,
    outW,
    padTop: windowPaddingBefore(inH, filterH, p.strideH, p.dilationH, outH),
    padLeft: windowPaddingBefore(inW, filterW, p.strideW, p.dilationW, outW),
  };
}

/** Fail unless `shape` has rank `rank`. */
export function expectRank(ctx: KernelContext, what: string, shape: number[], rank: number): void {
  if (shape.length !== rank) ctx.fail(`${what} has shape [${shape.join(',')}], expected rank ${rank}`, 'E_SHAPE');
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
