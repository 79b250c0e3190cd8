/**
 * `reparo check`: verifies a .tflite or ONNX file before anything is emitted or flashed.
 *
 * TFLite: the bounds-checked reader (offsets, sizes, types, shapes, supported ops: tflite/reader.ts +
 * validate.ts), the quantization rules (quantization-rules.ts), a bound on activation memory, then
 * the int8 reference interpreter's prepare step, which checks every operator's shapes, types and
 * quantization as TFLite Micro's Prepare does, and (optionally) a runtime's own test (codegen's
 * NATIVE_RUNTIME: the native C emitter, which refuses what the generated runtime cannot run). ONNX: the importer (protobuf, opset, external data, op
 * support, static shape inference). Every failure becomes a problem in the report; nothing here
 * throws on bad input.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { ReparoError } from '../errors.ts';
import { parseOnnx } from '../onnx/import.ts';
import { readTflite } from '../tflite/reader.ts';
import { FILE_IDENTIFIER, TENSOR_TYPES } from '../tflite/schema.ts';
import { elementCount } from '../tflite/validate.ts';
import type { TfliteModel } from '../tflite/model.ts';
import { createInterpreter } from '../int8/interpreter.ts';
import { paddedSize } from '../int8/padded-input.ts';
import { windowOutputSize } from '../int8/quant.ts';
import { quantizationProblems } from './quantization-rules.ts';
import { problemFrom, type CheckReport, type Problem, type TensorSummary } from './report.ts';

/** A runtime's own test of whether it takes a model: throws (a ReparoError) when it does not. */
export interface RuntimeCheck {
  name: string;
  accepts(model: TfliteModel): void;
}

export interface CheckOptions {
  /** also check that this runtime takes the model (TFLite only), e.g. codegen's NATIVE_RUNTIME */
  runtime?: RuntimeCheck;
}

/** TFLite flatbuffers are < 2 GiB; so is anything Node can read into one buffer */
const MAX_FILE_BYTES = 0x7fffffff;
/**
 * Activation tensors of a microcontroller model: the largest boards have a few MiB of RAM (PSRAM
 * included). The interpreter allocates every tensor, so a crafted shape must be refused first.
 */
export const MAX_ACTIVATION_BYTES = 64 << 20;

export function checkModel(input: string | Uint8Array, opts: CheckOptions = {}): CheckReport {
  const file = typeof input === 'string' ? input : undefined;
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? readModelBytes(input) : input;
  } catch (e) {
    if (!(e instanceof ReparoError)) throw e;
    return { file, format: 'unknown', ok: false, problems: [problemFrom(e, 'file')], ops: {} };
  }
  const format = detectFormat(bytes, file);
  if (format === 'tflite') {
    let model: TfliteModel;
    try {
      model = readTflite(bytes, file);
    } catch (e) {
      return failed(e, { file, format, ok: false, problems: [], ops: {} });
    }
    return { ...checkTfliteModel(model, opts), file };
  }
  if (format === 'onnx') return checkOnnx(bytes, file);
  return {
    file, format, ok: false, ops: {},
    problems: [{ severity: 'error', code: 'E_USAGE', where: 'byte 0', what: 'neither a TFLite flatbuffer (no "TFL3" identifier) nor an ONNX model', hint: 'reparo checks .tflite and .onnx files' }],
  };
}

/** The checks after decoding, for a model already in memory (emitProject runs these). */
export function checkTfliteModel(model: TfliteModel, opts: CheckOptions = {}): CheckReport {
  const report: CheckReport = { format: 'tflite', ok: true, problems: quantizationProblems(model), ops: opCounts(model.operators.map((o) => o.op)), ...tfliteSummary(model) };
  const activations = report.tensors!.activationBytes;
  if (activations > MAX_ACTIVATION_BYTES) {
    const sizes = model.tensors.map((t) => (t.data ? 0 : tensorBytes(t.shape, t.type)));
    const biggest = sizes.indexOf(Math.max(...sizes));
    report.problems.push({
      severity: 'error', code: 'E_TFLITE_INVALID', where: `tensor ${biggest} '${model.tensors[biggest]!.name}'`,
      what: `the activation tensors need ${activations} bytes in all (more than ${MAX_ACTIVATION_BYTES}): no microcontroller holds them`,
      hint: 'the shapes are corrupt, or the model is far too big for a microcontroller',
    });
  } else if (report.problems.push(...windowProblems(model)), report.problems.length === 0) {
    // the reference interpreter's prepare (per-operator shapes, types, quantization), on valid parameters only
    guard(report, 'model', () => createInterpreter(model));
    const runtime = opts.runtime;
    if (runtime && report.problems.every((p) => p.severity !== 'error')) guard(report, runtime.name, () => runtime.accepts(model));
  }
  report.ok = report.problems.every((p) => p.severity !== 'error');
  return report;
}

/**
 * The interpreter lays each window op's input out padded: its size follows strides and dilations,
 * which a crafted file can make huge while every tensor stays small. Refuse those before it allocates.
 */
function windowProblems(model: TfliteModel): Problem[] {
  const problems: Problem[] = [];
  model.operators.forEach((op, k) => {
    if (!('strideH' in op)) return;
    const input = model.tensors[op.inputs[0]!]?.shape ?? [];
    const [fh, fw] = 'filterH' in op ? [op.filterH, op.filterW] : (model.tensors[op.inputs[1]!]?.shape.slice(1, 3) ?? [1, 1]);
    const [dh, dw] = 'dilationH' in op ? [op.dilationH, op.dilationW] : [1, 1];
    const [h = 1, w = 1, c = 1] = input.slice(1);
    if (![fh, fw, h, w, c].every(Number.isInteger)) return; // malformed shapes: the interpreter names them
    const { padH, padW } = paddedSize(windowOutputSize(op.padding, h, fh!, op.strideH, dh), windowOutputSize(op.padding, w, fw!, op.strideW, dw), fh!, fw!, op.strideH, op.strideW, dh, dw);
    if (!(2 * padH * padW * c <= MAX_ACTIVATION_BYTES)) {
      problems.push({
        severity: 'error', code: 'E_SHAPE', where: `operator ${k} (${op.op})`,
        what: `stride ${op.strideH}×${op.strideW}, dilation ${dh}×${dw} and filter ${fh}×${fw} over a ${h}×${w} input span ${padH}×${padW} pixels`,
        hint: 'the operator options are corrupt: strides and dilations of a real model stay within its input',
      });
    }
  });
  return problems;
}

function checkOnnx(bytes: Uint8Array, file: string | undefined): CheckReport {
  const report: CheckReport = { file, format: 'onnx', ok: true, problems: [], ops: {} };
  try {
    const g = parseOnnx(bytes, { file, baseDir: file ? dirname(resolve(file)) : undefined });
    report.ops = opCounts(g.nodes.map((n) => n.op));
    const constants = [...g.initializers.values()];
    report.tensors = {
      count: constants.length + g.nodes.reduce((a, n) => a + n.outputs.length, 0) + g.inputs.length,
      constants: constants.length,
      constantBytes: constants.reduce((a, t) => a + t.data.byteLength, 0),
      activationBytes: 0, // float graphs run on the host; their activations are not the board's
      inputs: g.inputs.map((v) => ({ name: v.name, type: v.dtype, shape: [...v.dims] })),
      outputs: g.outputs.map((v) => ({ name: v.name, type: v.dtype, shape: [...v.dims] })),
    };
  } catch (e) {
    return failed(e, report);
  }
  return report;
}

function readModelBytes(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ReparoError('E_IO', 'not a file', { file: path, hint: 'give the path of a .tflite or .onnx file' });
    size = st.size;
  } catch (e) {
    if (e instanceof ReparoError) throw e;
    throw new ReparoError('E_IO', `cannot read: ${(e as Error).message}`, { file: path, hint: 'check the path of the model' });
  }
  if (size > MAX_FILE_BYTES) throw new ReparoError('E_IO', `the file has ${size} bytes; models are smaller than 2 GiB`, { file: path, hint: 'this is not a model reparo can deploy' });
  return readFileSync(path);
}

function detectFormat(bytes: Uint8Array, file?: string): CheckReport['format'] {
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === FILE_IDENTIFIER) return 'tflite';
  const ext = file ? extname(file).toLowerCase() : '';
  if (ext === '.tflite') return 'tflite';
  if (ext === '.onnx') return 'onnx';
  // ModelProto starts with a field tag: ir_version (field 1, varint) in every exporter's output
  return bytes[0] === 0x08 ? 'onnx' : 'unknown';
}

/** Runs one check stage; a ReparoError becomes a problem, anything else is a bug and propagates. */
function guard(report: CheckReport, where: string, stage: () => unknown): void {
  try {
    stage();
  } catch (e) {
    failed(e, report, where);
  }
}

function failed(e: unknown, report: CheckReport, where = 'file'): CheckReport {
  if (!(e instanceof ReparoError)) throw e;
  report.problems.push(problemFrom(e, where));
  report.ok = false;
  return report;
}

function opCounts(ops: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ops) out[op] = (out[op] ?? 0) + 1;
  return out;
}

const tensorBytes = (shape: number[], type: keyof typeof TENSOR_TYPES) => (elementCount(shape) ?? 0) * TENSOR_TYPES[type].bytes;

function tfliteSummary(model: TfliteModel): Pick<CheckReport, 'tensors' | 'quantization'> {
  const summary = (i: number): TensorSummary => ({ name: model.tensors[i]!.name, type: model.tensors[i]!.type, shape: model.tensors[i]!.shape });
  const constants = model.tensors.filter((t) => t.data);
  const quantization = { perTensor: 0, perChannel: 0, none: 0, byType: {} as Record<string, number> };
  for (const t of model.tensors) {
    const n = t.quantization?.scale.length ?? 0;
    quantization[n === 0 ? 'none' : n === 1 ? 'perTensor' : 'perChannel']++;
    quantization.byType[t.type] = (quantization.byType[t.type] ?? 0) + 1;
  }
  return {
    tensors: {
      count: model.tensors.length,
      constants: constants.length,
      constantBytes: constants.reduce((a, t) => a + t.data!.length, 0),
      activationBytes: model.tensors.reduce((a, t) => a + (t.data ? 0 : tensorBytes(t.shape, t.type)), 0),
      inputs: model.inputs.map(summary),
      outputs: model.outputs.map(summary),
    },
    quantization,
  };
}
