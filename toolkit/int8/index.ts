export { createInterpreter, type Interpreter } from './interpreter.ts';
export type { TensorData, TensorArrays } from './kernel.ts';
export { modelMacs, opMacs } from './macs.ts';
export {
  INT32_MAX,
  INT32_MIN,
  frexp,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundHalfAwayFromZero,
  roundingDivideByPOT,
  saturateInt8,
  saturatingRoundingDoublingHighMul,
  type QuantizedMultiplier,
} from './arithmetic.ts';
export { calculateInputRadius, expOnNegativeValues, getReciprocal, logistic, oneOverOnePlusXForXIn01, rescale, saturatingRoundingMultiplyByPOT } from './fixedpoint.ts';
export { activationRange, channelMultipliers, windowOutputSize, windowPaddingBefore, type TensorQuant } from './quant.ts';
