/**
 * The int8 reference interpreter: bit-exact with TensorFlow Lite Micro's reference kernels.
 * createInterpreter prepares once (a buffer per tensor, every kernel's precomputed data, packed
 * weights in a WebAssembly memory); invoke then only runs integer kernels over those buffers, the
 * multiply-accumulate loops and output stages in WebAssembly SIMD. Every tensor keeps its value
 * after an invoke, so intermediate activations can be read for per-layer debugging.
 */
import { ReparoError, type ErrorCode } from '../errors.ts';
import type { Operator, TensorType, TfliteModel } from '../tflite/model.ts';
import { Arena } from './arena.ts';
import type { Kernel, KernelContext, TensorArrays, TensorData } from './kernel.ts';
import { KERNELS } from './registry.ts';
import { allocateTensor } from './tensors.ts';

export interface Interpreter {
  readonly model: TfliteModel;
  /** Run a model with one int8 input and one int8 output; returns a copy of the output. */
  invoke(input: Int8Array): Int8Array;
  /** Run with one array per model input (in model order); returns copies of all outputs. */
  run(inputs: TensorData[]): TensorData[];
  /** The live buffer of a tensor by model index: after a run, its value (overwritten by the next run). */
  tensor(index: number): TensorData;
}

interface PreparedOp {
  kernel: Kernel<Operator, unknown>;
  data: unknown;
}

export function createInterpreter(model: TfliteModel): Interpreter {
  const unsupported = [...new Set(model.operators.map((o) => o.op).filter((name) => !(name in KERNELS)))];
  if (unsupported.length) throw new ReparoError('E_UNSUPPORTED_OP', `the int8 interpreter has no kernel for ${unsupported.join(', ')}`);
  const buffers = model.tensors.map((def, i) => allocateTensor(def, i));
  const arena = new Arena();
  const ops: PreparedOp[] = model.operators.map((op, opIndex) => {
    const kernel = KERNELS[op.op] as Kernel<Operator, unknown>;
    return { kernel, data: kernel.prepare(op, kernelContext(model, buffers, arena, op, opIndex)) };
  });
  arena.finish();

  const tensor = (index: number): TensorData => {
    if (!(index >= 0 && index < buffers.length)) throw new ReparoError('E_USAGE', `no tensor ${index}: the model has ${buffers.length}`);
    return buffers[index];
  };
  const run = (inputs: TensorData[]): TensorData[] => {
    if (inputs.length !== model.inputs.length) throw new ReparoError('E_USAGE', `the model takes ${model.inputs.length} inputs, got ${inputs.length}`);
    inputs.forEach((x, i) => {
      const target = buffers[model.inputs[i]];
      const def = model.tensors[model.inputs[i]];
      if (x.constructor !== target.constructor || x.length !== target.length) {
        throw new ReparoError('E_USAGE', `input ${i} '${def.name}' needs ${target.length} ${def.type} values (${target.constructor.name}), got ${x.length} in a ${x.constructor.name}`);
      }
      (target as Int8Array).set(x as Int8Array);
    });
    for (const { kernel, data } of ops) kernel.eval(data);
    return model.outputs.map((o) => buffers[o].slice());
  };
  const invoke = (input: Int8Array): Int8Array => {
    const io = [...model.inputs, ...model.outputs].map((i) => model.tensors[i].type);
    if (io.length !== 2 || io.some((t) => t !== 'int8')) {
      throw new ReparoError('E_USAGE', `invoke needs one int8 input and one int8 output; this model has inputs (${model.inputs.length}) and outputs (${model.outputs.length}) of ${io.join(', ')}`, { hint: 'use run([...inputs])' });
    }
    return run([input])[0] as Int8Array;
  };
  return { model, invoke, run, tensor };
}

function kernelContext(model: TfliteModel, buffers: TensorData[], arena: Arena, op: Operator, opIndex: number): KernelContext {
  const outName = model.tensors[op.outputs[0]]?.name ?? '?';
  const fail = (message: string, code: ErrorCode = 'E_GRAPH', hint?: string): never => {
    throw new ReparoError(code, message, { node: `#${opIndex} → ${outName}`, op: op.op, hint });
  };
  const def = (index: number) => {
    if (!(Number.isInteger(index) && index >= 0 && index < model.tensors.length)) fail(`tensor index ${index} is missing or out of range`);
    return model.tensors[index];
  };
  return {
    opIndex,
    op,
    def,
    data<T extends TensorType>(index: number, ...types: T[]): TensorArrays[T] {
      const t = def(index).type;
      if (!(types as TensorType[]).includes(t)) fail(`tensor ${index} '${def(index).name}' is ${t}; expected ${types.join(' or ')}`);
      return buffers[index] as TensorArrays[T];
    },
    constInts(index: number) {
      const d = def(index);
      if (!d.data || (d.type !== 'int32' && d.type !== 'int64')) fail(`tensor ${index} '${d.name}' must be a constant int32 tensor`);
      return Array.from(buffers[index] as Int32Array | BigInt64Array, Number);
    },
    arena,
    fail,
  };
}
