/**
 * The invariants of a TfliteModel that both directions enforce: the reader after decoding a file,
 * the writer before encoding, so that reparo never writes what it would refuse to read. Structural
 * flatbuffer errors are the reader's business (checked-buffer.ts); these are about meaning.
 */
import { ReparoError } from '../errors.ts';
import type { Operator, TensorDef, TfliteModel } from './model.ts';
import { ACTIVATIONS, OPS, PADDINGS, TENSOR_TYPES } from './schema.ts';

/** TFLite stores sizes and options as int32, and TFLM sizes tensors with int32 byte counts */
const INT32_MAX = 0x7fffffff;

/** Element count of a shape, or undefined when a dimension is not a non-negative int32. */
export function elementCount(shape: readonly number[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > INT32_MAX) return undefined;
    n *= d;
  }
  return n;
}

export function validateModel(model: TfliteModel, file?: string): void {
  const fail = (node: string, message: string, hint: string, op?: string): never => {
    throw new ReparoError('E_TFLITE_INVALID', message, { file, node, op, hint });
  };
  if (!Array.isArray(model.tensors)) fail('model', 'tensors is not an array', 'build the model with the TfliteModel type');
  model.tensors.forEach((t, i) => validateTensor(t, `tensor ${i} '${t.name}'`, fail));

  const n = model.tensors.length;
  const inRange = (x: number) => Number.isInteger(x) && x >= 0 && x < n;
  for (const [list, name] of [[model.inputs, 'inputs'], [model.outputs, 'outputs']] as const) {
    const bad = list.find((x) => !inRange(x));
    if (bad !== undefined) fail(`model ${name}`, `tensor index ${bad} is out of range (${n} tensors)`, 'the subgraph lists a tensor that does not exist');
  }
  model.operators.forEach((op, i) => validateOperator(op, model.tensors, `operator ${i}`, fail));
  for (const m of model.metadata) {
    if (typeof m.name !== 'string' || !(m.data instanceof Uint8Array)) fail('metadata', 'entries need a name and Uint8Array data', 'build metadata as { name, data }');
  }
}

type Fail = (node: string, message: string, hint: string, op?: string) => never;

function validateTensor(t: TensorDef, node: string, fail: Fail): void {
  const type = TENSOR_TYPES[t.type];
  if (!type) fail(node, `unknown tensor type '${t.type}'`, `use one of ${Object.keys(TENSOR_TYPES).join(', ')}`);
  const count = elementCount(t.shape);
  if (count === undefined) fail(node, `shape [${t.shape}] has a negative, fractional or huge dimension`, 'TFLite shapes are static non-negative int32 sizes');
  if (count * type.bytes > INT32_MAX) fail(node, `shape [${t.shape}] needs more than 2 GiB`, 'TFLite Micro sizes tensors with int32');
  if (t.data && t.data.length !== count * type.bytes) {
    fail(node, `has ${t.data.length} data bytes but shape [${t.shape}] of ${t.type} needs ${count * type.bytes}`, 'the constant buffer does not match the tensor; re-export the model');
  }
  const q = t.quantization;
  if (!q) return;
  if (q.scale.length !== q.zeroPoint.length) {
    fail(node, `has ${q.scale.length} scale(s) but ${q.zeroPoint.length} zero point(s)`, 'TFLite needs one zero point per scale');
  }
  if (!q.scale.every(Number.isFinite)) fail(node, 'has a non-finite quantization scale', 'scales must be finite float32 numbers');
  if (!q.zeroPoint.every(Number.isSafeInteger)) fail(node, 'has a non-integer zero point', 'zero points are integers');
  if (!Number.isInteger(q.quantizedDimension) || q.quantizedDimension < 0) fail(node, `quantized_dimension ${q.quantizedDimension} is not a non-negative integer`, 'use the channel axis (0 for OHWI, 3 for 1HWO)');
  if (q.scale.length > 1) {
    // TOCO gave 1-D depthwise biases the filter's quantized_dimension (3); the channels are still dim 0
    const dim = t.shape.length === 1 ? t.shape[0] : t.shape[q.quantizedDimension];
    if (dim !== q.scale.length) {
      fail(node, `has ${q.scale.length} per-channel scales but dimension ${q.quantizedDimension} of [${t.shape}] is ${dim ?? 'absent'}`, 'per-channel scales must match the channel count along quantized_dimension');
    }
  }
}

function validateOperator(op: Operator, tensors: readonly TensorDef[], node: string, fail: Fail): void {
  const spec = OPS[op.op];
  if (!spec) fail(node, `unknown op '${op.op}'`, `reparo writes ${Object.keys(OPS).join(', ')}`);
  const where = (message: string, hint: string) => fail(node, message, hint, op.op);
  if (op.inputs.length < spec.minInputs || op.inputs.length > spec.maxInputs) {
    where(`has ${op.inputs.length} input(s), expected ${spec.minInputs === spec.maxInputs ? spec.minInputs : `${spec.minInputs}–${spec.maxInputs}`}`, 'check the operator against the TFLite op definition');
  }
  if (op.outputs.length !== 1) where(`has ${op.outputs.length} outputs, expected 1`, 'the ops of the int8 path have one output');
  op.inputs.forEach((x, slot) => {
    if (x === -1 && spec.optionalInputs.includes(slot)) return;
    if (!Number.isInteger(x) || x < 0 || x >= tensors.length) where(`input ${slot} is tensor ${x}, out of range (${tensors.length} tensors)`, '-1 is only allowed for the optional bias');
  });
  for (const x of op.outputs) {
    if (!Number.isInteger(x) || x < 0 || x >= tensors.length) where(`output tensor ${x} is out of range (${tensors.length} tensors)`, 'the operator writes a tensor that does not exist');
    if (tensors[x].data) where(`writes constant tensor ${x}`, 'an operator output cannot have constant data');
  }
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1 || v > INT32_MAX) where(`${name} is ${v}, expected an int32 ≥ 1`, 'the options table is missing or corrupt');
  };
  if ('padding' in op && !PADDINGS.includes(op.padding)) where(`padding '${op.padding}' is not SAME or VALID`, 'TFLite knows only SAME and VALID; add a PAD op');
  if ('activation' in op && !ACTIVATIONS.includes(op.activation)) where(`activation '${op.activation}' is not supported`, `use ${ACTIVATIONS.join(', ')}`);
  if ('strideH' in op) { positive('strideH', op.strideH); positive('strideW', op.strideW); }
  if ('dilationH' in op) { positive('dilationH', op.dilationH); positive('dilationW', op.dilationW); }
  if ('filterH' in op) { positive('filterH', op.filterH); positive('filterW', op.filterW); }
  if (op.op === 'DEPTHWISE_CONV_2D' && !(Number.isInteger(op.depthMultiplier) && Math.abs(op.depthMultiplier) <= INT32_MAX)) where(`depthMultiplier ${op.depthMultiplier} is not an integer`, 'it is an int32 field');
  if (op.op === 'SOFTMAX' && !Number.isFinite(op.beta)) where(`beta ${op.beta} is not finite`, 'beta is a float32');
  if (op.op === 'RESHAPE' && op.newShape && !op.newShape.every((d) => Number.isInteger(d) && d >= -1 && d <= INT32_MAX)) {
    where(`newShape [${op.newShape}] has a bad dimension`, 'dimensions are int32 ≥ -1');
  }
}
