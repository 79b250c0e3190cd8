/**
 * OperatorCode.version, chosen as TFLite's converter chooses it: the rules of
 * GetBuiltinOperatorVersion in tensorflow/lite/tools/versioning/op_version.cc (read at tensorflow
 * 02087409), restricted to the ops and types reparo writes. One OperatorCode serves every operator
 * of its kind, so it gets the highest version any of them needs (UpdateOpVersion only raises).
 * TFLite Micro ignores the number (micro_op_resolver.cc resolves by builtin code alone); the full
 * TFLite runtime refuses versions its kernels do not register, hence the care.
 */
import type { Operator, TensorDef, TensorType } from './model.ts';

export function operatorVersion(op: Operator, tensors: readonly TensorDef[]): number {
  const type = (i: number): TensorType | undefined => tensors[i]?.type;
  const input = type(op.inputs[0]);
  const output = type(op.outputs[0]);
  const allInt8 = input === 'int8' && type(op.inputs[1]) === 'int8' && output === 'int8';
  const int8Or16 = (v8: number, v16: number) => (input === 'int16' ? v16 : input === 'int8' ? v8 : 1);
  switch (op.op) {
    case 'CONV_2D': {
      // grouped: the filter (OHWI) sees fewer input channels than the input (NHWC) has
      const filter = tensors[op.inputs[1]];
      const grouped = filter !== undefined && filter.shape[3] !== tensors[op.inputs[0]]?.shape[3];
      return grouped ? 6 : allInt8 ? 3 : 1;
    }
    case 'DEPTHWISE_CONV_2D':
      return allInt8 ? 3 : op.dilationH !== 1 || op.dilationW !== 1 ? 2 : 1;
    case 'FULLY_CONNECTED':
      // an omitted bias written as -1 still counts as an input
      return op.inputs.length === 2 ? 6 : op.keepNumDims ? 5 : allInt8 ? 4 : 1;
    case 'ADD':
      return input === 'int64' ? 4 : input === 'int8' ? 2 : 1;
    case 'MUL': {
      if (input === 'int64') return 5;
      const s = (i: number) => tensors[i]?.quantization?.scale[0] ?? 0;
      if (input === 'int16') return tensors[op.inputs[0]]?.quantization ? 4 : 7;
      const [s1, s2, so] = [s(op.inputs[0]), s(op.inputs[1]), s(op.outputs[0])];
      if (s1 !== 0 && s2 !== 0 && so !== 0 && (s1 * s2) / so >= 1) return 3;
      return input === 'int8' ? 2 : 1;
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
      return input === 'int16' && output === 'int16' ? 3 : input === 'int8' ? 2 : 1;
    case 'LOGISTIC':
      return input === 'int16' && output === 'int16' ? 3 : input === 'int8' ? 2 : 1;
    case 'SOFTMAX':
    case 'MEAN':
      return int8Or16(2, 3);
    case 'PAD':
      return (tensors[op.inputs[0]]?.shape.length ?? 0) > 4 ? 4 : int8Or16(2, 3);
    case 'QUANTIZE': {
      const q = tensors[op.outputs[0]]?.quantization;
      return q && q.scale.length > 1 ? 3 : output === 'int16' ? 2 : 1;
    }
    case 'DEQUANTIZE': {
      if (input === 'int16') return 3;
      const q = tensors[op.inputs[0]]?.quantization;
      return input === 'int8' ? (q && q.scale.length > 1 ? 5 : 2) : 1;
    }
    case 'RESHAPE':
      return 1;
    case 'CONCATENATION':
      return int8Or16(2, 3);
    case 'RESIZE_BILINEAR':
      return input === 'int16' ? 4 : op.halfPixelCenters ? 3 : input === 'int8' ? 2 : 1;
    case 'RESIZE_NEAREST_NEIGHBOR':
      return input === 'int16' ? 4 : op.halfPixelCenters || op.alignCorners ? 3 : input === 'int8' ? 2 : 1;
    case 'HARD_SWISH':
    case 'GELU':
      return input === 'int8' || input === 'uint8' ? 2 : 1;
  }
}
