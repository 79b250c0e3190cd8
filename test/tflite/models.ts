/** Small hand-built TfliteModels for the tflite tests, and helpers to poke at written bytes. */
import { CheckedBuffer, type Table } from '../../toolkit/tflite/checked-buffer.ts';
import type { Quantization, TensorDef, TfliteModel } from '../../toolkit/tflite/index.ts';
import * as S from '../../toolkit/tflite/schema.ts';

export const PERSON_DETECT = new URL('../../../shared/models/person_detect.tflite', import.meta.url);

/** float32-exact values, so that a round trip through the file compares equal */
const q = (scale: number | number[], zeroPoint: number | number[], quantizedDimension = 0, extra: Partial<Quantization> = {}): Quantization => ({
  scale: [scale].flat().map(Math.fround),
  zeroPoint: [zeroPoint].flat(),
  quantizedDimension,
  ...extra,
});
const int8s = (n: number, seed: number) => Int8Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % 255) - 127);
const bytesOf = (a: Int8Array | Int32Array) => new Uint8Array(a.buffer.slice(0));
const act = (name: string, shape: number[], quantization = q(0.05, -3)): TensorDef => ({ name, type: 'int8', shape, quantization });

/** One operator of every kind in the Operator union, with per-channel weights, an omitted bias and metadata. */
export function everyOpModel(): TfliteModel {
  const perChannel = (n: number) => Array.from({ length: n }, (_, i) => 0.01 * (i + 1));
  const tensors: TensorDef[] = [
    act('input', [1, 8, 8, 3], q(0.05, -3, 0, { min: [Math.fround(-6.25)], max: [Math.fround(6.5)] })), // 0
    { name: 'conv/filter', type: 'int8', shape: [4, 3, 3, 3], data: bytesOf(int8s(108, 1)), quantization: q(perChannel(4), [0, 0, 0, 0], 0) }, // 1
    { name: 'conv/bias', type: 'int32', shape: [4], data: bytesOf(Int32Array.of(100, -200, 300, -400)), quantization: q(perChannel(4), [0, 0, 0, 0]) }, // 2
    act('conv/out', [1, 8, 8, 4]), // 3
    { name: 'dw/filter', type: 'int8', shape: [1, 3, 3, 8], data: bytesOf(int8s(72, 2)), quantization: q(perChannel(8), Array(8).fill(0), 3) }, // 4
    act('dw/out', [1, 4, 4, 8]), // 5
    act('avgpool/out', [1, 2, 2, 8]), // 6
    act('maxpool/out', [1, 1, 1, 8]), // 7
    { name: 'reshape/shape', type: 'int32', shape: [2], data: bytesOf(Int32Array.of(1, 8)) }, // 8
    act('reshape/out', [1, 8]), // 9
    { name: 'fc/weights', type: 'int8', shape: [5, 8], data: bytesOf(int8s(40, 3)), quantization: q(perChannel(5), Array(5).fill(0), 0) }, // 10
    { name: 'fc/bias', type: 'int32', shape: [5], data: bytesOf(Int32Array.of(1, 2, 3, 4, 5)), quantization: q(perChannel(5), Array(5).fill(0)) }, // 11
    act('fc/out', [1, 5]), // 12
    act('add/out', [1, 5]), // 13
    act('mul/out', [1, 5]), // 14
    { name: 'pad/paddings', type: 'int32', shape: [2, 2], data: bytesOf(Int32Array.of(0, 0, 1, 1)) }, // 15
    act('pad/out', [1, 7]), // 16
    { name: 'mean/axis', type: 'int32', shape: [1], data: bytesOf(Int32Array.of(1)) }, // 17
    act('mean/out', [1, 1]), // 18
    act('logistic/out', [1, 1], q(1 / 256, -128)), // 19
    act('softmax/out', [1, 7], q(1 / 256, -128)), // 20
    { name: 'dequantize/out', type: 'float32', shape: [1, 7] }, // 21
    act('quantize/out', [1, 7], q(1 / 256, -128)), // 22
    act('reshape2/out', [7]), // 23
  ];
  return {
    version: 3,
    description: 'reparo every-op test model',
    tensors,
    operators: [
      { op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6' },
      { op: 'DEPTHWISE_CONV_2D', inputs: [3, 4, -1], outputs: [5], padding: 'VALID', strideH: 2, strideW: 2, dilationH: 2, dilationW: 3, depthMultiplier: 2, activation: 'RELU' },
      { op: 'AVERAGE_POOL_2D', inputs: [5], outputs: [6], padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' },
      { op: 'MAX_POOL_2D', inputs: [6], outputs: [7], padding: 'SAME', strideH: 2, strideW: 3, filterH: 2, filterW: 1, activation: 'RELU_N1_TO_1' },
      { op: 'RESHAPE', inputs: [7, 8], outputs: [9], newShape: [1, 8] },
      { op: 'FULLY_CONNECTED', inputs: [9, 10, 11], outputs: [12], activation: 'NONE', keepNumDims: false },
      { op: 'ADD', inputs: [12, 12], outputs: [13], activation: 'RELU' },
      { op: 'MUL', inputs: [13, 12], outputs: [14], activation: 'NONE' },
      { op: 'PAD', inputs: [14, 15], outputs: [16] },
      { op: 'MEAN', inputs: [16, 17], outputs: [18], keepDims: true },
      { op: 'LOGISTIC', inputs: [18], outputs: [19] },
      { op: 'SOFTMAX', inputs: [16], outputs: [20], beta: 0.5 },
      { op: 'DEQUANTIZE', inputs: [20], outputs: [21] },
      { op: 'QUANTIZE', inputs: [21], outputs: [22] },
      { op: 'RESHAPE', inputs: [22], outputs: [23] },
    ],
    inputs: [0],
    outputs: [19, 23],
    metadata: [
      { name: 'reparo.preprocess', data: new TextEncoder().encode('{"mean":0,"std":1}') },
      { name: 'empty', data: new Uint8Array(0) },
    ],
  };
}

/** Walks a written file with the checked reader's own tables (white-box helpers for byte patching). */
export function modelTable(bytes: Uint8Array): Table {
  const buf = new CheckedBuffer(bytes);
  return buf.table(buf.deref(0, 4, 'Model'), 'Model');
}

export const subgraph0 = (bytes: Uint8Array): Table => modelTable(bytes).tables(S.Model.subgraphs, 'subgraphs')![0];

/** Byte offset of a scalar field that must be present in `t`. */
export function fieldAt(t: Table, id: number, size: number): number {
  const at = t.fieldOffset(id, size, `field ${id}`);
  if (!at) throw new Error(`field ${id} is absent`);
  return at;
}

/** Offset of the length word of the vector field `id` of `t`. */
export function vectorLengthAt(t: Table, id: number): number {
  return t.vector(id, 1, `field ${id}`)!.start - 4;
}

export const setU32 = (bytes: Uint8Array, at: number, v: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, v, true);
export const setI32 = (bytes: Uint8Array, at: number, v: number) => new DataView(bytes.buffer, bytes.byteOffset).setInt32(at, v, true);

/**
 * The model with each Uint8Array replaced by a tagged hex string: vitest's deep equality walks typed
 * arrays element by element (seconds for person_detect), a string compares at once.
 */
export function comparable(model: TfliteModel): unknown {
  const hex = (d: Uint8Array) => `${d.constructor.name}:${Buffer.from(d.buffer, d.byteOffset, d.length).toString('hex')}`;
  return {
    ...model,
    tensors: model.tensors.map((t) => (t.data ? { ...t, data: hex(t.data) } : t)),
    metadata: model.metadata.map((m) => ({ ...m, data: hex(m.data) })),
  };
}
