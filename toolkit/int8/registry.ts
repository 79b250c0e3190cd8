/** The int8 kernels by TFLite op name. */
import type { OpName } from '../tflite/model.ts';
import type { Kernel, OpOf } from './kernel.ts';
import { add } from './kernels/add.ts';
import { concatenation } from './kernels/concatenation.ts';
import { gelu } from './kernels/gelu.ts';
import { hardSwish } from './kernels/hard-swish.ts';
import { resize } from './kernels/resize.ts';
import { conv2d } from './kernels/conv2d.ts';
import { depthwiseConv2d } from './kernels/depthwise-conv2d.ts';
import { dequantize } from './kernels/dequantize.ts';
import { fullyConnected } from './kernels/fully-connected.ts';
import { logistic } from './kernels/logistic.ts';
import { mean } from './kernels/mean.ts';
import { mul } from './kernels/mul.ts';
import { pad } from './kernels/pad.ts';
import { averagePool2d, maxPool2d } from './kernels/pooling.ts';
import { quantize } from './kernels/quantize.ts';
import { reshape } from './kernels/reshape.ts';
import { softmax } from './kernels/softmax.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kernel's data type is its own
type KernelTable = { [K in OpName]: Kernel<OpOf<K>, any> };

export const KERNELS: KernelTable = {
  CONV_2D: conv2d,
  DEPTHWISE_CONV_2D: depthwiseConv2d,
  FULLY_CONNECTED: fullyConnected,
  AVERAGE_POOL_2D: averagePool2d,
  MAX_POOL_2D: maxPool2d,
  ADD: add,
  MUL: mul,
  MEAN: mean,
  RESHAPE: reshape,
  SOFTMAX: softmax,
  PAD: pad,
  LOGISTIC: logistic,
  HARD_SWISH: hardSwish,
  GELU: gelu,
  CONCATENATION: concatenation,
  RESIZE_BILINEAR: resize,
  RESIZE_NEAREST_NEIGHBOR: resize,
  QUANTIZE: quantize,
  DEQUANTIZE: dequantize,
};
