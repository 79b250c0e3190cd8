/** TFLite flatbuffers: reparo's model type, the writer and the bounds-checked reader. */
export type { Activation, Operator, OpName, Padding, Quantization, TensorDef, TensorType, TfliteModel } from './model.ts';
export { readTflite } from './reader.ts';
export { writeTflite, writeTfliteFile, type WriteOptions } from './writer.ts';
export { modelHash } from './model-hash.ts';
