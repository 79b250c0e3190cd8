/** Dense tensors of the IR. Float weights are float32 (what ONNX stores); math that folds them runs in float64. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function floatTensor(dims: readonly number[], data?: ArrayLike<number>): Tensor {
  const n = sizeOf(dims);
  const out = new Float32Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`floatTensor: ${data.length} values for dims [${dims}]`);
    out.set(data);
  }
  return { dtype: 'float32', dims: [...dims], data: out };
}

export function int64Tensor(dims: readonly number[], values: readonly number[]): Tensor {
  return { dtype: 'int64', dims: [...dims], data: BigInt64Array.from(values.map((v) => BigInt(v))) };
}

/** Values as JS numbers (int64 beyond 2^53 cannot occur in the shapes and indices we read). */
export function toNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Values as a float64 copy, for exact-as-possible folding arithmetic. */
export function toFloat64(t: Tensor): Float64Array {
  if (t.data instanceof BigInt64Array) return Float64Array.from(t.data, (v) => Number(v));
  return new Float64Array(t.data); // typed-array copy: no per-element callback
}

export function isFloat(t: Tensor): boolean {
  return t.dtype === 'float32' || t.dtype === 'float64';
}
