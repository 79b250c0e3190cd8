/**
 * Facts from TFLite's flatbuffer schema (tensorflow/compiler/mlir/lite/schema/schema.fbs, read at
 * tflite-micro 90b983c2): field ids (vtable slots, in declaration order; a union takes two slots, its
 * `_type` byte first) and enum numbers for the subset reparo reads and writes. Nothing here is code
 * from the schema compiler; the reader and writer both index tables through these constants.
 */
import type { Activation, OpName, Padding, TensorType } from './model.ts';

export const FILE_IDENTIFIER = 'TFL3';
export const SCHEMA_VERSION = 3;
/** Buffer.data has `force_align: 16`; TFLM also expects 16-byte aligned constants */
export const BUFFER_ALIGNMENT = 16;
/** OperatorCode.deprecated_builtin_code is a byte: codes above this live only in builtin_code */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

export const Model = { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4, metadataBuffer: 5, metadata: 6, signatureDefs: 7 } as const;
export const OperatorCode = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
export const SubGraph = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
export const Tensor = {
  shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5, sparsity: 6, shapeSignature: 7, hasRank: 8,
  variantTensors: 9, externalBuffer: 10,
} as const;
export const QuantizationParameters = { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, details: 5, quantizedDimension: 6 } as const;
export const Operator = {
  opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4, customOptions: 5, customOptionsFormat: 6,
  mutatingVariableInputs: 7, intermediates: 8,
} as const;
/** offset/size (> 1) place the data outside the flatbuffer, counted from the start of the file (models > 2 GB) */
export const Buffer = { data: 0, offset: 1, size: 2 } as const;
export const Metadata = { name: 0, buffer: 1 } as const;

export const Conv2DOptions = { padding: 0, strideW: 1, strideH: 2, activation: 3, dilationW: 4, dilationH: 5 } as const;
export const DepthwiseConv2DOptions = { padding: 0, strideW: 1, strideH: 2, depthMultiplier: 3, activation: 4, dilationW: 5, dilationH: 6 } as const;
export const Pool2DOptions = { padding: 0, strideW: 1, strideH: 2, filterW: 3, filterH: 4, activation: 5 } as const;
export const FullyConnectedOptions = { activation: 0, weightsFormat: 1, keepNumDims: 2 } as const;
export const SoftmaxOptions = { beta: 0 } as const;
/** AddOptions also has pot_scale_int16 (id 1, default true); reparo leaves it at its default */
export const AddOptions = { activation: 0 } as const;
export const MulOptions = { activation: 0 } as const;
export const ReshapeOptions = { newShape: 0 } as const;
export const ReducerOptions = { keepDims: 0 } as const;
export const ConcatenationOptions = { axis: 0, activation: 1 } as const;
/** ids 0 and 1 are the deprecated new_height/new_width */
export const ResizeBilinearOptions = { alignCorners: 2, halfPixelCenters: 3 } as const;
export const ResizeNearestNeighborOptions = { alignCorners: 0, halfPixelCenters: 1 } as const;
export const GeluOptions = { approximate: 0 } as const;

/** BuiltinOptions union member numbers (0 is NONE) */
export const BuiltinOptions = {
  NONE: 0, Conv2DOptions: 1, DepthwiseConv2DOptions: 2, Pool2DOptions: 5, FullyConnectedOptions: 8, SoftmaxOptions: 9,
  ConcatenationOptions: 10, AddOptions: 11, ResizeBilinearOptions: 15, ReshapeOptions: 17, MulOptions: 21, PadOptions: 22,
  ReducerOptions: 27, DequantizeOptions: 38, ResizeNearestNeighborOptions: 74, QuantizeOptions: 89, HardSwishOptions: 91,
  GeluOptions: 116,
} as const;
export type BuiltinOptionsName = keyof typeof BuiltinOptions;

/** TensorType enum: reparo's names ↔ schema numbers, with the element size in bytes */
export const TENSOR_TYPES: Record<TensorType, { code: number; bytes: number }> = {
  float32: { code: 0, bytes: 4 },
  int32: { code: 2, bytes: 4 },
  uint8: { code: 3, bytes: 1 },
  int64: { code: 4, bytes: 8 },
  bool: { code: 6, bytes: 1 },
  int16: { code: 7, bytes: 2 },
  int8: { code: 9, bytes: 1 },
};
/** every TensorType name of the schema, by number, for error messages */
export const TENSOR_TYPE_NAMES = (
  'FLOAT32 FLOAT16 INT32 UINT8 INT64 STRING BOOL INT16 COMPLEX64 INT8 FLOAT64 COMPLEX128 UINT64 RESOURCE VARIANT ' +
  'UINT32 UINT16 INT4 BFLOAT16 INT2 UINT4 FLOAT8_E4M3FN FLOAT8_E5M2'
).split(' ');

export const PADDINGS: readonly Padding[] = ['SAME', 'VALID'];
/** ActivationFunctionType 0..3; TANH (4) and SIGN_BIT (5) are not part of reparo's int8 path */
export const ACTIVATIONS: readonly Activation[] = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6'];

/** every BuiltinOperator name, indexed by its number, so that unsupported ops can be named */
export const BUILTIN_OPERATOR_NAMES: readonly string[] = `
  ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP
  FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC
  LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX
  SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD
  UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE
  UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX
  DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER
  GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL NOT_EQUAL
  LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND
  LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE
  RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N
  GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF
  WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL
  PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO RFFT2D CONV_3D IMAG REAL COMPLEX_ABS
  HASHTABLE HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL CONV_3D_TRANSPOSE VAR_HANDLE
  READ_VARIABLE ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE RANDOM_UNIFORM MULTINOMIAL
  GELU DYNAMIC_UPDATE_SLICE RELU_0_TO_1 UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_SUM ATAN2
  UNSORTED_SEGMENT_MIN SIGN BITCAST BITWISE_XOR RIGHT_SHIFT STABLEHLO_LOGISTIC STABLEHLO_ADD STABLEHLO_DIVIDE
  STABLEHLO_MULTIPLY STABLEHLO_MAXIMUM STABLEHLO_RESHAPE STABLEHLO_CLAMP STABLEHLO_CONCATENATE
  STABLEHLO_BROADCAST_IN_DIM STABLEHLO_CONVOLUTION STABLEHLO_SLICE STABLEHLO_CUSTOM_CALL STABLEHLO_REDUCE
  STABLEHLO_ABS STABLEHLO_AND STABLEHLO_COSINE STABLEHLO_EXPONENTIAL STABLEHLO_FLOOR STABLEHLO_LOG
  STABLEHLO_MINIMUM STABLEHLO_NEGATE STABLEHLO_OR STABLEHLO_POWER STABLEHLO_REMAINDER STABLEHLO_RSQRT
  STABLEHLO_SELECT STABLEHLO_SUBTRACT STABLEHLO_TANH STABLEHLO_SCATTER STABLEHLO_COMPARE STABLEHLO_CONVERT
  STABLEHLO_DYNAMIC_SLICE STABLEHLO_DYNAMIC_UPDATE_SLICE STABLEHLO_PAD STABLEHLO_IOTA STABLEHLO_DOT_GENERAL
  STABLEHLO_REDUCE_WINDOW STABLEHLO_SORT STABLEHLO_WHILE STABLEHLO_GATHER STABLEHLO_TRANSPOSE DILATE
  STABLEHLO_RNG_BIT_GENERATOR REDUCE_WINDOW STABLEHLO_COMPOSITE STABLEHLO_SHIFT_LEFT STABLEHLO_CBRT
  STABLEHLO_CASE
`.trim().split(/\s+/);
export const CUSTOM_OPERATOR = 32;

/** The ops of reparo's int8 path: builtin code, options union member, inputs (min..max) */
export interface OpSpec {
  code: number;
  options: BuiltinOptionsName;
  minInputs: number;
  maxInputs: number;
  /** input slots that may be -1 (TFLite's "omitted optional input") */
  optionalInputs: readonly number[];
}
const spec = (code: number, options: BuiltinOptionsName, minInputs: number, maxInputs = minInputs, optionalInputs: number[] = []): OpSpec =>
  ({ code, options, minInputs, maxInputs, optionalInputs });
/** bias is input 2 of the conv and fully-connected ops, and may be omitted */
export const OPS: Record<OpName, OpSpec> = {
  ADD: spec(0, 'AddOptions', 2),
  AVERAGE_POOL_2D: spec(1, 'Pool2DOptions', 1),
  CONCATENATION: spec(2, 'ConcatenationOptions', 1, Infinity),
  CONV_2D: spec(3, 'Conv2DOptions', 2, 3, [2]),
  DEPTHWISE_CONV_2D: spec(4, 'DepthwiseConv2DOptions', 2, 3, [2]),
  DEQUANTIZE: spec(6, 'DequantizeOptions', 1),
  FULLY_CONNECTED: spec(9, 'FullyConnectedOptions', 2, 3, [2]),
  LOGISTIC: spec(14, 'NONE', 1),
  MAX_POOL_2D: spec(17, 'Pool2DOptions', 1),
  MUL: spec(18, 'MulOptions', 2),
  RESHAPE: spec(22, 'ReshapeOptions', 1, 2),
  RESIZE_BILINEAR: spec(23, 'ResizeBilinearOptions', 2),
  SOFTMAX: spec(25, 'SoftmaxOptions', 1),
  PAD: spec(34, 'PadOptions', 2),
  MEAN: spec(40, 'ReducerOptions', 2),
  RESIZE_NEAREST_NEIGHBOR: spec(97, 'ResizeNearestNeighborOptions', 2),
  QUANTIZE: spec(114, 'QuantizeOptions', 1),
  HARD_SWISH: spec(117, 'HardSwishOptions', 1),
  GELU: spec(150, 'GeluOptions', 1),
};
export const OP_BY_CODE: ReadonlyMap<number, OpName> = new Map(Object.entries(OPS).map(([name, s]) => [s.code, name as OpName]));
