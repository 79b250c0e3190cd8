/**
 * QUANTIZE (TFLite Micro quantize_common.cc). From float32: round(x / s) in float32, half away
 * from zero, + zero point, saturated (reference_ops::AffineQuantize). From an integer tensor:
 * requantize (x − zpIn)·(sIn/sOut) + zpOut with MultiplyByQuantizedMultiplier, saturated
 * (reference_ops::Requantize).
 */
import type { TensorType } from '../../tflite/model.ts';
import { INT32_MIN, multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAwayFromZero, type QuantizedMultiplier } from '../arithmetic.ts';
import type { Kernel, KernelContext, TensorData, OpOf } from '../kernel.ts';
import { elementCount, tensorQuant, typeRange } from '../quant.ts';

type QuantizeOp = OpOf<'QUANTIZE'>;

/** The (input → output) type pairs TFLite Micro's QUANTIZE implements. */
const SUPPORTED = new Set(['float32>int8', 'float32>int16', 'int8>int8', 'int8>uint8', 'int8>int16', 'int8>int32', 'uint8>int8', 'int16>int8', 'int16>int16', 'int16>int32', 'int32>int8', 'int32>int16']);

export interface QuantizeData {
  input: TensorData;
  output: TensorData;
  fromFloat: boolean;
  scale: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  rescale: QuantizedMultiplier;
  min: number;
  max: number;
}

export function prepareQuantize(op: QuantizeOp, ctx: KernelContext): QuantizeData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  const [inDef, outDef] = [ctx.def(inIdx), ctx.def(outIdx)];
  if (!SUPPORTED.has(`${inDef.type}>${outDef.type}`)) ctx.fail(`QUANTIZE from ${inDef.type} to ${outDef.type} is not supported`, 'E_UNSUPPORTED_OP');
  if (elementCount(inDef.shape) !== elementCount(outDef.shape)) ctx.fail('input and output sizes differ', 'E_SHAPE');
  if ((outDef.quantization?.scale.length ?? 0) !== 1) ctx.fail('QUANTIZE needs one output scale', 'E_QUANT_PARAMS');
  const outQ = tensorQuant(ctx, outIdx);
  const fromFloat = inDef.type === 'float32';
  const inQ = fromFloat ? { scale: 1, zeroPoint: 0 } : tensorQuant(ctx, inIdx);
  const [min, max] = outDef.type === 'int32' ? [INT32_MIN, 2147483647] : typeRange(outDef.type as TensorType);
  return {
    input: ctx.data(inIdx, inDef.type),
    output: ctx.data(outIdx, outDef.type),
    fromFloat,
    scale: outQ.scale,
    inputZeroPoint: inQ.zeroPoint,
    outputZeroPoint: outQ.zeroPoint,
    rescale: quantizeMultiplier(inQ.scale / outQ.scale),
    min,
    max,
  };
}

/** static_cast<int32_t> of a float as x86 does it: out-of-range and NaN give INT32_MIN. */
function toInt32(f: number): number {
  return f >= -2147483648 && f < 2147483648 ? f : INT32_MIN;
}

export function evalQuantize(d: QuantizeData): void {
  const input = d.input as Int32Array; // any numeric typed array; elements read as numbers
  const output = d.output as Int32Array;
  const { min, max } = d;
  if (d.fromFloat) {
    for (let i = 0; i < input.length; i++) {
      const v = (toInt32(roundHalfAwayFromZero(Math.fround(input[i] / d.scale))) + d.outputZeroPoint) | 0;
      output[i] = v < min ? min : v > max ? max : v;
    }
    return;
  }
  const { multiplier, shift } = d.rescale;
  for (let i = 0; i < input.length; i++) {
    const v = (multiplyByQuantizedMultiplier((input[i] - d.inputZeroPoint) | 0, multiplier, shift) + d.outputZeroPoint) | 0;
    output[i] = v < min ? min : v > max ? max : v;
  }
}

export const quantize: Kernel<QuantizeOp, QuantizeData> = { prepare: prepareQuantize, eval: evalQuantize };
