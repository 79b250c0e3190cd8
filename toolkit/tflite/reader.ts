/**
 * .tflite bytes → TfliteModel, trusting nothing: every access goes through checked-buffer.ts, the
 * ops are checked up front (all unsupported ones named at once), and the decoded model must pass
 * the same validation the writer applies. What reparo does not model (variable or sparse tensors,
 * external weight files, more than one subgraph, quantization details) is refused, not dropped.
 */
import { ReparoError } from '../errors.ts';
import type { Activation, Operator, OpName, Padding, Quantization, TensorDef, TensorType, TfliteModel } from './model.ts';
import { CheckedBuffer, type Table } from './checked-buffer.ts';
import * as S from './schema.ts';
import { validateModel } from './validate.ts';

const TYPE_BY_CODE = new Map(Object.entries(S.TENSOR_TYPES).map(([name, t]) => [t.code, name as TensorType]));

export function readTflite(bytes: Uint8Array, file?: string): TfliteModel {
  const buf = new CheckedBuffer(bytes, file);
  const unsupported = (message: string, hint: string): never => {
    throw new ReparoError('E_TFLITE_UNSUPPORTED', message, { file, hint });
  };

  buf.need(0, 8, 'file header');
  const id = String.fromCharCode(...bytes.subarray(4, 8));
  if (id !== S.FILE_IDENTIFIER) {
    buf.fail(4, `file identifier is ${JSON.stringify(id)}, expected "${S.FILE_IDENTIFIER}"`, 'this is not a TFLite flatbuffer (or it is size-prefixed); convert the model with the TFLite converter');
  }
  const model = buf.table(buf.deref(0, 4, 'Model'), 'Model');
  const version = model.u32(S.Model.version, 'version');
  if (version !== S.SCHEMA_VERSION) unsupported(`schema version ${version}, expected ${S.SCHEMA_VERSION}`, 'TFLite and TFLite Micro read only version 3 models');

  const opNames = (model.tables(S.Model.operatorCodes, 'operator_codes') ?? []).map(opcodeName);
  const subgraphs = model.tables(S.Model.subgraphs, 'subgraphs') ?? [];
  if (subgraphs.length !== 1) {
    unsupported(`the model has ${subgraphs.length} subgraphs`, 'reparo runs single-subgraph models (no control flow, no CALL/IF/WHILE)');
  }
  const sg = subgraphs[0];
  const opTables = sg.tables(S.SubGraph.operators, 'operators') ?? [];
  const opKinds = opTables.map((t, i) => {
    const index = t.u32(S.Operator.opcodeIndex, 'opcode_index');
    if (index >= opNames.length) buf.fail(t.pos, `operator ${i}: opcode_index ${index} is out of range (${opNames.length} operator codes)`);
    return opNames[index];
  });
  const bad = [...new Set(opKinds.filter((name) => !(name in S.OPS)))];
  if (bad.length) unsupported(`unsupported op(s) ${bad.join(', ')}`, `reparo's int8 path supports ${Object.keys(S.OPS).join(', ')}`);

  const buffers = model.tables(S.Model.buffers, 'buffers') ?? [];
  const bufferData = (index: number, owner: Table, ownerName: string): Uint8Array | undefined => {
    if (index === 0) return undefined; // the empty sentinel
    if (index >= buffers.length) buf.fail(owner.pos, `${ownerName}: buffer ${index} is out of range (${buffers.length} buffers)`);
    return readBuffer(buf, buffers[index], ownerName);
  };

  const tensorTables = sg.tables(S.SubGraph.tensors, 'tensors') ?? [];
  const tensors = tensorTables.map((t, i) => readTensor(t, i, bufferData, unsupported));
  const operators = opTables.map((t, i) => readOperator(t, i, opKinds[i] as OpName));

  const metadata = (model.tables(S.Model.metadata, 'metadata') ?? []).map((m, i) => {
    const name = m.string(S.Metadata.name, 'name') ?? '';
    return { name, data: bufferData(m.u32(S.Metadata.buffer, 'buffer'), m, `metadata ${i} '${name}'`) ?? new Uint8Array(0) };
  });

  const result: TfliteModel = {
    version,
    description: model.string(S.Model.description, 'description') ?? '',
    tensors,
    operators,
    inputs: sg.i32s(S.SubGraph.inputs, 'inputs') ?? [],
    outputs: sg.i32s(S.SubGraph.outputs, 'outputs') ?? [],
    metadata,
  };
  validateModel(result, file);
  return result;
}

/** The builtin code is the larger of the two fields (schema_utils.cc GetBuiltinCode). */
function opcodeName(t: Table): string {
  const code = Math.max(t.i8(S.OperatorCode.deprecatedBuiltinCode, 'deprecated_builtin_code'), t.i32(S.OperatorCode.builtinCode, 'builtin_code'));
  if (code === S.CUSTOM_OPERATOR) return `CUSTOM(${t.string(S.OperatorCode.customCode, 'custom_code') ?? '?'})`;
  return S.BUILTIN_OPERATOR_NAMES[code] ?? `BUILTIN_${code}`;
}

/** A buffer's bytes (copied): its data vector, or offset/size into the file past the flatbuffer. */
function readBuffer(buf: CheckedBuffer, t: Table, owner: string): Uint8Array | undefined {
  const vec = t.vector(S.Buffer.data, 1, 'data');
  const offset = t.u64(S.Buffer.offset, 'offset');
  let start: number;
  let length: number;
  if (offset > 1) {
    if (vec && vec.length) buf.fail(t.pos, `${owner}: buffer has both embedded data and an offset`);
    length = t.u64(S.Buffer.size, 'size');
    buf.need(offset, length, `${owner}: data outside the flatbuffer`);
    start = offset;
  } else if (vec) {
    ({ start, length } = vec);
  } else {
    return undefined;
  }
  if (length === 0) return undefined;
  buf.charge(length, start, owner);
  return new Uint8Array(buf.bytes.subarray(start, start + length)); // a plain copy, even from a Node Buffer
}

type BufferData = (index: number, owner: Table, ownerName: string) => Uint8Array | undefined;
type Unsupported = (message: string, hint: string) => never;

function readTensor(t: Table, i: number, bufferData: BufferData, unsupported: Unsupported): TensorDef {
  const name = t.string(S.Tensor.name, 'name') ?? '';
  const owner = `tensor ${i} '${name}'`;
  const typeCode = t.i8(S.Tensor.type, 'type');
  const type = TYPE_BY_CODE.get(typeCode);
  if (!type) unsupported(`${owner} has type ${S.TENSOR_TYPE_NAMES[typeCode] ?? typeCode}`, `reparo handles ${Object.keys(S.TENSOR_TYPES).join(', ')} tensors`);
  if (t.bool(S.Tensor.isVariable, 'is_variable')) unsupported(`${owner} is a variable tensor`, 'stateful models (RNN/LSTM state) are not supported');
  if (t.has(S.Tensor.sparsity, 'sparsity')) unsupported(`${owner} is sparse`, 'convert the model without sparsity');
  if (t.u32(S.Tensor.externalBuffer, 'external_buffer') !== 0) unsupported(`${owner} keeps its data in an external file`, 'convert with embedded weights');

  const tensor: TensorDef = { name, type: type!, shape: t.i32s(S.Tensor.shape, 'shape') ?? [] };
  const data = bufferData(t.u32(S.Tensor.buffer, 'buffer'), t, owner);
  if (data) tensor.data = data;
  const q = t.table(S.Tensor.quantization, 'quantization');
  const quantization = q && readQuantization(q, owner, unsupported);
  if (quantization) tensor.quantization = quantization;
  return tensor;
}

function readQuantization(q: Table, owner: string, unsupported: Unsupported): Quantization | undefined {
  const F = S.QuantizationParameters;
  if (q.u8(F.detailsType, 'details_type') !== 0) unsupported(`${owner} uses custom/blockwise quantization details`, 'use per-tensor or per-channel affine quantization');
  const scale = q.f32s(F.scale, 'scale') ?? [];
  const zeroPoint = q.i64s(F.zeroPoint, 'zero_point') ?? [];
  const min = q.f32s(F.min, 'min');
  const max = q.f32s(F.max, 'max');
  // an empty table (as converters write for int32 shape tensors) means "not quantized"
  if (!scale.length && !zeroPoint.length && !min && !max) return undefined;
  const out: Quantization = { scale, zeroPoint, quantizedDimension: q.i32(F.quantizedDimension, 'quantized_dimension') };
  if (min) out.min = min;
  if (max) out.max = max;
  return out;
}

/** Decodes an operator of a supported kind; absent options read as the schema defaults, as in TFLite. */
function readOperator(t: Table, i: number, op: OpName): Operator {
  const buf = t.buf;
  const where = `operator ${i} (${op})`;
  const inputs = t.i32s(S.Operator.inputs, 'inputs') ?? [];
  const outputs = t.i32s(S.Operator.outputs, 'outputs') ?? [];
  const expected = S.BuiltinOptions[S.OPS[op].options];
  const actual = t.u8(S.Operator.builtinOptionsType, 'builtin_options_type');
  if (actual !== S.BuiltinOptions.NONE && actual !== expected) buf.fail(t.pos, `${where}: builtin_options type ${actual}, expected ${expected}`);
  const o = actual === S.BuiltinOptions.NONE ? undefined : t.table(S.Operator.builtinOptions, 'builtin_options');

  const int = (id: number, name: string, dflt = 0) => o?.i32(id, name, dflt) ?? dflt;
  const flag = (id: number, name: string) => o?.bool(id, name) ?? false;
  const padding = (id: number): Padding => {
    const p = o?.i8(id, 'padding') ?? 0;
    return S.PADDINGS[p] ?? buf.fail(o!.pos, `${where}: unknown padding ${p}`);
  };
  const activation = (id: number): Activation => {
    const a = o?.i8(id, 'fused_activation_function') ?? 0;
    if (S.ACTIVATIONS[a]) return S.ACTIVATIONS[a];
    throw new ReparoError('E_TFLITE_UNSUPPORTED', `${where}: fused activation ${a} (TANH/SIGN_BIT or unknown)`, { file: buf.file, hint: `use ${S.ACTIVATIONS.join(', ')}` });
  };

  switch (op) {
    case 'CONV_2D': {
      const f = S.Conv2DOptions;
      return {
        op, inputs, outputs, padding: padding(f.padding), strideH: int(f.strideH, 'stride_h'), strideW: int(f.strideW, 'stride_w'),
        dilationH: int(f.dilationH, 'dilation_h_factor', 1), dilationW: int(f.dilationW, 'dilation_w_factor', 1), activation: activation(f.activation),
      };
    }
    case 'DEPTHWISE_CONV_2D': {
      const f = S.DepthwiseConv2DOptions;
      return {
        op, inputs, outputs, padding: padding(f.padding), strideH: int(f.strideH, 'stride_h'), strideW: int(f.strideW, 'stride_w'),
        dilationH: int(f.dilationH, 'dilation_h_factor', 1), dilationW: int(f.dilationW, 'dilation_w_factor', 1),
        depthMultiplier: int(f.depthMultiplier, 'depth_multiplier'), activation: activation(f.activation),
      };
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      const f = S.Pool2DOptions;
      return {
        op, inputs, outputs, padding: padding(f.padding), strideH: int(f.strideH, 'stride_h'), strideW: int(f.strideW, 'stride_w'),
        filterH: int(f.filterH, 'filter_height'), filterW: int(f.filterW, 'filter_width'), activation: activation(f.activation),
      };
    }
    case 'FULLY_CONNECTED': {
      const format = o?.i8(S.FullyConnectedOptions.weightsFormat, 'weights_format') ?? 0;
      if (format !== 0) throw new ReparoError('E_TFLITE_UNSUPPORTED', `${where}: shuffled weights format ${format}`, { file: buf.file, hint: 'convert with the default weights format' });
      return { op, inputs, outputs, activation: activation(S.FullyConnectedOptions.activation), keepNumDims: flag(S.FullyConnectedOptions.keepNumDims, 'keep_num_dims') };
    }
    case 'ADD':
    case 'MUL':
      return { op, inputs, outputs, activation: activation(S.AddOptions.activation) };
    case 'SOFTMAX':
      return { op, inputs, outputs, beta: o?.f32(S.SoftmaxOptions.beta, 'beta') ?? 0 };
    case 'MEAN':
      return { op, inputs, outputs, keepDims: flag(S.ReducerOptions.keepDims, 'keep_dims') };
    case 'RESHAPE': {
      const newShape = o?.i32s(S.ReshapeOptions.newShape, 'new_shape');
      return newShape ? { op, inputs, outputs, newShape } : { op, inputs, outputs };
    }
    case 'CONCATENATION':
      return { op, inputs, outputs, axis: int(S.ConcatenationOptions.axis, 'axis'), activation: activation(S.ConcatenationOptions.activation) };
    case 'RESIZE_BILINEAR':
    case 'RESIZE_NEAREST_NEIGHBOR': {
      const f = op === 'RESIZE_BILINEAR' ? S.ResizeBilinearOptions : S.ResizeNearestNeighborOptions;
      return { op, inputs, outputs, alignCorners: flag(f.alignCorners, 'align_corners'), halfPixelCenters: flag(f.halfPixelCenters, 'half_pixel_centers') };
    }
    case 'GELU':
      return { op, inputs, outputs, approximate: flag(S.GeluOptions.approximate, 'approximate') };
    case 'PAD':
    case 'LOGISTIC':
    case 'HARD_SWISH':
    case 'QUANTIZE':
    case 'DEQUANTIZE':
      return { op, inputs, outputs };
  }
}
