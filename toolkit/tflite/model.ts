/**
 * reparo's in-memory view of a TFLite model: one subgraph, the ops of the int8 path. The writer
 * turns it into a flatbuffer, the bounds-checked reader turns any flatbuffer of these ops back into
 * it, and the int8 reference interpreter runs it.
 */

export type TensorType = 'float32' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

export interface Quantization {
  /** one per tensor, or one per channel along quantizedDimension */
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
  /** float range the converter recorded (TFLite keeps it "for importing back into TensorFlow"); kernels ignore it */
  min?: number[];
  max?: number[];
}

export interface TensorDef {
  name: string;
  type: TensorType;
  /** NHWC for activations; OHWI for conv filters, 1HWO for depthwise filters */
  shape: number[];
  /** constant data (little-endian bytes) for weights, biases, shapes; absent for activations */
  data?: Uint8Array;
  quantization?: Quantization;
}

export type Padding = 'SAME' | 'VALID';
export type Activation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6';

export type Operator =
  | { op: 'CONV_2D'; inputs: number[]; outputs: number[]; padding: Padding; strideH: number; strideW: number; dilationH: number; dilationW: number; activation: Activation }
  | { op: 'DEPTHWISE_CONV_2D'; inputs: number[]; outputs: number[]; padding: Padding; strideH: number; strideW: number; dilationH: number; dilationW: number; depthMultiplier: number; activation: Activation }
  | { op: 'FULLY_CONNECTED'; inputs: number[]; outputs: number[]; activation: Activation; keepNumDims: boolean }
  | { op: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'; inputs: number[]; outputs: number[]; padding: Padding; strideH: number; strideW: number; filterH: number; filterW: number; activation: Activation }
  | { op: 'ADD' | 'MUL'; inputs: number[]; outputs: number[]; activation: Activation }
  | { op: 'MEAN'; inputs: number[]; outputs: number[]; keepDims: boolean }
  | { op: 'RESHAPE'; inputs: number[]; outputs: number[]; newShape?: number[] }
  | { op: 'SOFTMAX'; inputs: number[]; outputs: number[]; beta: number }
  | { op: 'CONCATENATION'; inputs: number[]; outputs: number[]; axis: number; activation: Activation }
  | { op: 'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'; inputs: number[]; outputs: number[]; alignCorners: boolean; halfPixelCenters: boolean }
  | { op: 'GELU'; inputs: number[]; outputs: number[]; approximate: boolean }
  | { op: 'PAD' | 'LOGISTIC' | 'HARD_SWISH' | 'QUANTIZE' | 'DEQUANTIZE'; inputs: number[]; outputs: number[] };

export type OpName = Operator['op'];

export interface TfliteModel {
  /** schema version (3) */
  version: number;
  description: string;
  tensors: TensorDef[];
  /** in execution order; input index -1 marks an omitted optional input (e.g. no bias) */
  operators: Operator[];
  inputs: number[];
  outputs: number[];
  /** model-level metadata entries (name → bytes), e.g. reparo's record of the input preprocessing */
  metadata: { name: string; data: Uint8Array }[];
}
