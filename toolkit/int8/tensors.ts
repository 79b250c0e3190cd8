/** One typed array per model tensor: constants decoded from their little-endian bytes, the rest zeroed. */
import { ReparoError } from '../errors.ts';
import type { TensorDef, TensorType } from '../tflite/model.ts';
import type { TensorArrays, TensorData } from './kernel.ts';
import { elementCount } from './quant.ts';

const ARRAY_OF: { [T in TensorType]: { new (n: number): TensorArrays[T]; BYTES_PER_ELEMENT: number } } = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

export function allocateTensor(def: TensorDef, index: number): TensorData {
  const count = elementCount(def.shape);
  if (!Number.isInteger(count) || count < 0) throw new ReparoError('E_SHAPE', `tensor ${index} '${def.name}' has invalid shape [${def.shape}]`);
  const T = ARRAY_OF[def.type];
  const array = new T(count);
  if (def.data) {
    if (def.data.length !== count * T.BYTES_PER_ELEMENT) {
      throw new ReparoError('E_SHAPE', `tensor ${index} '${def.name}' holds ${def.data.length} bytes; shape [${def.shape}] of ${def.type} needs ${count * T.BYTES_PER_ELEMENT}`);
    }
    decodeLittleEndian(def.type, def.data, array);
  }
  return array;
}

function decodeLittleEndian(type: TensorType, bytes: Uint8Array, out: TensorData): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = out.length;
  switch (type) {
    case 'int8':
    case 'uint8':
    case 'bool':
      (out as Uint8Array).set(bytes);
      return;
    case 'int16':
      for (let i = 0; i < n; i++) (out as Int16Array)[i] = view.getInt16(2 * i, true);
      return;
    case 'int32':
      for (let i = 0; i < n; i++) (out as Int32Array)[i] = view.getInt32(4 * i, true);
      return;
    case 'float32':
      for (let i = 0; i < n; i++) (out as Float32Array)[i] = view.getFloat32(4 * i, true);
      return;
    case 'int64':
      for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = view.getBigInt64(8 * i, true);
      return;
  }
}
