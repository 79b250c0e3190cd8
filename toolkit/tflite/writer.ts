/**
 * TfliteModel → .tflite flatbuffer, through the flatbuffers runtime's Builder and the field ids of
 * schema.ts. Output is deterministic (same model, same bytes), so snapshots of emitted files can
 * prove that a refactor changed nothing. Buffer 0 is the empty sentinel, each constant tensor gets
 * its own buffer, and constant data is 16-byte aligned from the start of the file.
 */
import { Builder } from 'flatbuffers';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Activation, Operator, Padding, Quantization, TensorDef, TfliteModel } from './model.ts';
import { operatorVersion } from './op-versions.ts';
import * as S from './schema.ts';
import { validateModel } from './validate.ts';

export interface WriteOptions {
  /**
   * Put constant data after the flatbuffer and point at it with Buffer.offset/size, as TFLite's
   * converter does for models over 2 GB. Off by default: TFLite Micro expects embedded data.
   */
  constantsOutside?: boolean;
}

export function writeTflite(model: TfliteModel, options: WriteOptions = {}, file?: string): Uint8Array {
  validateModel(model, file);
  const blobs = bufferContents(model);
  if (!options.constantsOutside) return encode(model, { kind: 'inside' });

  // Outside data: encode once with placeholder offsets to learn the flatbuffer's size (the u64
  // fields have a fixed size, so real offsets do not change it), then again with the real ones.
  const placeholder = encode(model, { kind: 'outside', offsets: blobs.map(() => 2) });
  const offsets: number[] = [];
  let end = placeholder.length;
  for (const b of blobs) {
    const at = alignUp(end, S.BUFFER_ALIGNMENT);
    offsets.push(at);
    end = at + b.length;
  }
  const head = encode(model, { kind: 'outside', offsets });
  if (head.length !== placeholder.length) throw new Error('flatbuffer size changed between passes'); // a bug, not bad input
  const out = new Uint8Array(end);
  out.set(head);
  blobs.forEach((b, i) => out.set(b, offsets[i]));
  return out;
}

export function writeTfliteFile(path: string, model: TfliteModel, options: WriteOptions = {}): void {
  writeFileAtomic(path, writeTflite(model, options, path));
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Contents of buffers 1, 2, …: constant tensors in tensor order (empty data counts as none), then metadata. */
function bufferContents(model: TfliteModel): Uint8Array[] {
  return [...model.tensors.flatMap((t) => (t.data?.length ? [t.data] : [])), ...model.metadata.map((m) => m.data)];
}

type Placement = { kind: 'inside' } | { kind: 'outside'; offsets: number[] };

function encode(model: TfliteModel, placement: Placement): Uint8Array {
  const blobs = bufferContents(model);
  const dataBytes = blobs.reduce((n, d) => n + d.length + S.BUFFER_ALIGNMENT, 0);
  const b = new Builder(placement.kind === 'inside' ? dataBytes + 4096 : 4096);

  // Data first: the builder works back to front, so the large constants end up at the end of the file.
  const buffers = [emptyTable(b)];
  blobs.forEach((data, i) => buffers.push(placement.kind === 'inside' ? bufferTable(b, data) : externalBufferTable(b, placement.offsets[i], data.length)));
  const buffersVec = offsetVector(b, buffers);

  let nextBuffer = 1;
  const tensors = model.tensors.map((t) => tensorTable(b, t, t.data?.length ? nextBuffer++ : 0));
  const metadata = model.metadata.map((m) => {
    const name = b.createString(m.name);
    b.startObject(2);
    b.addFieldOffset(S.Metadata.name, name, 0);
    b.addFieldInt32(S.Metadata.buffer, nextBuffer++, 0);
    return b.endObject();
  });

  // Operator codes in order of first use; each carries the highest version its operators need.
  const codes: Operator['op'][] = [];
  const versions = new Map<Operator['op'], number>();
  for (const op of model.operators) {
    if (!versions.has(op.op)) codes.push(op.op);
    versions.set(op.op, Math.max(versions.get(op.op) ?? 1, operatorVersion(op, model.tensors)));
  }
  const operators = model.operators.map((op) => operatorTable(b, op, codes.indexOf(op.op)));

  const tensorsVec = offsetVector(b, tensors);
  const inputs = int32Vector(b, model.inputs);
  const outputs = int32Vector(b, model.outputs);
  const operatorsVec = offsetVector(b, operators);
  b.startObject(5);
  b.addFieldOffset(S.SubGraph.tensors, tensorsVec, 0);
  b.addFieldOffset(S.SubGraph.inputs, inputs, 0);
  b.addFieldOffset(S.SubGraph.outputs, outputs, 0);
  b.addFieldOffset(S.SubGraph.operators, operatorsVec, 0);
  const subgraph = b.endObject();

  const opcodes = codes.map((name) => {
    const code = S.OPS[name].code;
    b.startObject(4);
    b.addFieldInt8(S.OperatorCode.deprecatedBuiltinCode, Math.min(code, S.PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
    b.addFieldInt32(S.OperatorCode.version, versions.get(name)!, 1);
    b.addFieldInt32(S.OperatorCode.builtinCode, code, 0);
    return b.endObject();
  });
  const opcodesVec = offsetVector(b, opcodes);
  const subgraphsVec = offsetVector(b, [subgraph]);
  const description = b.createString(model.description);
  const metadataVec = model.metadata.length ? offsetVector(b, metadata) : 0;

  b.startObject(7);
  b.addFieldInt32(S.Model.version, model.version, 0);
  b.addFieldOffset(S.Model.operatorCodes, opcodesVec, 0);
  b.addFieldOffset(S.Model.subgraphs, subgraphsVec, 0);
  b.addFieldOffset(S.Model.description, description, 0);
  b.addFieldOffset(S.Model.buffers, buffersVec, 0);
  if (metadataVec) b.addFieldOffset(S.Model.metadata, metadataVec, 0);
  b.finish(b.endObject(), S.FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}

function emptyTable(b: Builder): number {
  b.startObject(0);
  return b.endObject();
}

function bufferTable(b: Builder, data: Uint8Array): number {
  // prep first so that the vector's first byte, not its length word, lands on the 16-byte boundary
  b.prep(S.BUFFER_ALIGNMENT, data.length);
  const vec = b.createByteVector(data);
  b.startObject(1);
  b.addFieldOffset(S.Buffer.data, vec, 0);
  return b.endObject();
}

function externalBufferTable(b: Builder, offset: number, size: number): number {
  b.startObject(3);
  b.addFieldInt64(S.Buffer.offset, BigInt(offset), 0n);
  b.addFieldInt64(S.Buffer.size, BigInt(size), 0n);
  return b.endObject();
}

function tensorTable(b: Builder, t: TensorDef, buffer: number): number {
  const name = b.createString(t.name);
  const shape = int32Vector(b, t.shape);
  const quantization = t.quantization ? quantizationTable(b, t.quantization) : 0;
  b.startObject(5);
  b.addFieldOffset(S.Tensor.shape, shape, 0);
  b.addFieldInt8(S.Tensor.type, S.TENSOR_TYPES[t.type].code, 0);
  b.addFieldInt32(S.Tensor.buffer, buffer, 0);
  b.addFieldOffset(S.Tensor.name, name, 0);
  if (quantization) b.addFieldOffset(S.Tensor.quantization, quantization, 0);
  return b.endObject();
}

function quantizationTable(b: Builder, q: Quantization): number {
  const min = q.min ? float32Vector(b, q.min) : 0;
  const max = q.max ? float32Vector(b, q.max) : 0;
  const scale = float32Vector(b, q.scale);
  b.startVector(8, q.zeroPoint.length, 8);
  for (let i = q.zeroPoint.length - 1; i >= 0; i--) b.addInt64(BigInt(q.zeroPoint[i]));
  const zeroPoint = b.endVector();
  b.startObject(7);
  if (min) b.addFieldOffset(S.QuantizationParameters.min, min, 0);
  if (max) b.addFieldOffset(S.QuantizationParameters.max, max, 0);
  b.addFieldOffset(S.QuantizationParameters.scale, scale, 0);
  b.addFieldOffset(S.QuantizationParameters.zeroPoint, zeroPoint, 0);
  b.addFieldInt32(S.QuantizationParameters.quantizedDimension, q.quantizedDimension, 0);
  return b.endObject();
}

function operatorTable(b: Builder, op: Operator, opcodeIndex: number): number {
  const inputs = int32Vector(b, op.inputs);
  const outputs = int32Vector(b, op.outputs);
  const options = optionsTable(b, op);
  b.startObject(5);
  b.addFieldInt32(S.Operator.opcodeIndex, opcodeIndex, 0);
  b.addFieldOffset(S.Operator.inputs, inputs, 0);
  b.addFieldOffset(S.Operator.outputs, outputs, 0);
  if (options) {
    b.addFieldInt8(S.Operator.builtinOptionsType, S.BuiltinOptions[S.OPS[op.op].options], 0);
    b.addFieldOffset(S.Operator.builtinOptions, options, 0);
  }
  return b.endObject();
}

/** The op's builtin options table (0: none); fields at their schema default are left out, as flatbuffers does. */
function optionsTable(b: Builder, op: Operator): number {
  const act = (o: { activation: Activation }) => S.ACTIVATIONS.indexOf(o.activation);
  const padding = (o: { padding: Padding }) => S.PADDINGS.indexOf(o.padding);
  switch (op.op) {
    case 'CONV_2D': {
      const f = S.Conv2DOptions;
      b.startObject(6);
      b.addFieldInt8(f.padding, padding(op), 0);
      b.addFieldInt32(f.strideW, op.strideW, 0);
      b.addFieldInt32(f.strideH, op.strideH, 0);
      b.addFieldInt8(f.activation, act(op), 0);
      b.addFieldInt32(f.dilationW, op.dilationW, 1);
      b.addFieldInt32(f.dilationH, op.dilationH, 1);
      return b.endObject();
    }
    case 'DEPTHWISE_CONV_2D': {
      const f = S.DepthwiseConv2DOptions;
      b.startObject(7);
      b.addFieldInt8(f.padding, padding(op), 0);
      b.addFieldInt32(f.strideW, op.strideW, 0);
      b.addFieldInt32(f.strideH, op.strideH, 0);
      b.addFieldInt32(f.depthMultiplier, op.depthMultiplier, 0);
      b.addFieldInt8(f.activation, act(op), 0);
      b.addFieldInt32(f.dilationW, op.dilationW, 1);
      b.addFieldInt32(f.dilationH, op.dilationH, 1);
      return b.endObject();
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      const f = S.Pool2DOptions;
      b.startObject(6);
      b.addFieldInt8(f.padding, padding(op), 0);
      b.addFieldInt32(f.strideW, op.strideW, 0);
      b.addFieldInt32(f.strideH, op.strideH, 0);
      b.addFieldInt32(f.filterW, op.filterW, 0);
      b.addFieldInt32(f.filterH, op.filterH, 0);
      b.addFieldInt8(f.activation, act(op), 0);
      return b.endObject();
    }
    case 'FULLY_CONNECTED':
      b.startObject(3);
      b.addFieldInt8(S.FullyConnectedOptions.activation, act(op), 0);
      b.addFieldInt8(S.FullyConnectedOptions.keepNumDims, op.keepNumDims ? 1 : 0, 0);
      return b.endObject();
    case 'ADD':
    case 'MUL':
      b.startObject(1);
      b.addFieldInt8(S.AddOptions.activation, act(op), 0); // same slot in AddOptions and MulOptions
      return b.endObject();
    case 'SOFTMAX':
      b.startObject(1);
      b.addFieldFloat32(S.SoftmaxOptions.beta, op.beta, 0);
      return b.endObject();
    case 'MEAN':
      b.startObject(1);
      b.addFieldInt8(S.ReducerOptions.keepDims, op.keepDims ? 1 : 0, 0);
      return b.endObject();
    case 'RESHAPE': {
      const newShape = op.newShape ? int32Vector(b, op.newShape) : 0;
      b.startObject(1);
      if (newShape) b.addFieldOffset(S.ReshapeOptions.newShape, newShape, 0);
      return b.endObject();
    }
    case 'CONCATENATION':
      b.startObject(2);
      b.addFieldInt32(S.ConcatenationOptions.axis, op.axis, 0);
      b.addFieldInt8(S.ConcatenationOptions.activation, act(op), 0);
      return b.endObject();
    case 'RESIZE_BILINEAR':
    case 'RESIZE_NEAREST_NEIGHBOR': {
      const f = op.op === 'RESIZE_BILINEAR' ? S.ResizeBilinearOptions : S.ResizeNearestNeighborOptions;
      b.startObject(op.op === 'RESIZE_BILINEAR' ? 4 : 2);
      b.addFieldInt8(f.alignCorners, op.alignCorners ? 1 : 0, 0);
      b.addFieldInt8(f.halfPixelCenters, op.halfPixelCenters ? 1 : 0, 0);
      return b.endObject();
    }
    case 'GELU':
      b.startObject(1);
      b.addFieldInt8(S.GeluOptions.approximate, op.approximate ? 1 : 0, 0);
      return b.endObject();
    case 'PAD':
    case 'QUANTIZE':
    case 'DEQUANTIZE':
    case 'HARD_SWISH':
      return emptyTable(b);
    case 'LOGISTIC':
      return 0;
  }
}

function int32Vector(b: Builder, xs: readonly number[]): number {
  b.startVector(4, xs.length, 4);
  for (let i = xs.length - 1; i >= 0; i--) b.addInt32(xs[i]);
  return b.endVector();
}

function float32Vector(b: Builder, xs: readonly number[]): number {
  b.startVector(4, xs.length, 4);
  for (let i = xs.length - 1; i >= 0; i--) b.addFloat32(xs[i]);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}
