/**
 * The contract between the interpreter and its kernels, after TFLite Micro: `prepare` checks types
 * and shapes and precomputes everything (multipliers, shifts, offsets, padding, packed weights) into
 * a data object bound to the tensors' buffers; `eval` does integer math only, allocating nothing per
 * element.
 */
import type { ErrorCode } from '../errors.ts';
import type { OpName, Operator, TensorDef, TensorType } from '../tflite/model.ts';
import type { Arena } from './arena.ts';

/** The operator record of one op name (some records serve several names). */
export type OpOf<K extends OpName> = Operator & { op: K };

/** The typed array that holds a tensor of each type. */
export interface TensorArrays {
  float32: Float32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}
export type TensorData = TensorArrays[TensorType];

export interface KernelContext {
  readonly opIndex: number;
  readonly op: Operator;
  /** the tensor at a model index; fails on −1 or out of range */
  def(index: number): TensorDef;
  /** a tensor's buffer, checking that its type is one of `types` */
  data<T extends TensorType>(index: number, ...types: T[]): TensorArrays[T];
  /** the values of a constant int32/int64 tensor (shapes, axes, paddings) */
  constInts(index: number): number[];
  /** WebAssembly memory and kernels for the multiply-accumulate loops */
  readonly arena: Arena;
  /** throw a ReparoError naming this op and its output tensor */
  fail(message: string, code?: ErrorCode, hint?: string): never;
}

export interface Kernel<O extends Operator = Operator, D = unknown> {
  prepare(op: O, ctx: KernelContext): D;
  eval(data: D): void;
}

/** The operator's input tensor index at `position`, or −1 when absent or omitted. */
export function inputIndex(op: Operator, position: number): number {
  return position < op.inputs.length ? op.inputs[position] : -1;
}
