/** Hand-built TfliteModels for kernel tests: tensors with explicit quantization and constant data. */
import type { Operator, TensorDef, TensorType, TfliteModel } from '../../toolkit/tflite/model.ts';

export interface Q {
  scale: number | number[];
  zeroPoint?: number | number[];
  dim?: number;
}

export class ModelBuilder {
  readonly tensors: TensorDef[] = [];
  readonly operators: Operator[] = [];

  tensor(name: string, type: TensorType, shape: number[], q?: Q, data?: Uint8Array): number {
    const scales = q === undefined ? undefined : Array.isArray(q.scale) ? q.scale : [q.scale];
    const zps = q === undefined ? undefined : Array.isArray(q.zeroPoint) ? q.zeroPoint : new Array<number>(scales!.length).fill(q.zeroPoint ?? 0);
    this.tensors.push({ name, type, shape, data, quantization: q && { scale: scales!, zeroPoint: zps!, quantizedDimension: q.dim ?? 0 } });
    return this.tensors.length - 1;
  }

  int8(name: string, shape: number[], q: Q, values?: ArrayLike<number>): number {
    return this.tensor(name, 'int8', shape, q, values && new Uint8Array(Int8Array.from(values).buffer));
  }

  int32(name: string, shape: number[], values: ArrayLike<number>, q?: Q): number {
    return this.tensor(name, 'int32', shape, q, new Uint8Array(Int32Array.from(values).buffer));
  }

  float32(name: string, shape: number[], values?: ArrayLike<number>): number {
    return this.tensor(name, 'float32', shape, undefined, values && new Uint8Array(Float32Array.from(values).buffer));
  }

  op(o: Operator): this {
    this.operators.push(o);
    return this;
  }

  build(inputs: number[], outputs: number[]): TfliteModel {
    return { version: 3, description: 'test', tensors: this.tensors, operators: this.operators, inputs, outputs, metadata: [] };
  }
}

/** Deterministic pseudo-random integers in [lo, hi] (mulberry32). */
export function randomInts(seed: number, n: number, lo: number, hi: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out.push(lo + Math.floor(r * (hi - lo + 1)));
  }
  return out;
}
