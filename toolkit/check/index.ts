/**
 * Model check: a .tflite or ONNX file verified in full before anything is emitted or flashed.
 *
 *   const report = checkModel('model.tflite', { runtime: NATIVE_RUNTIME });  // never throws on bad input (NATIVE_RUNTIME: codegen/)
 *   report.ok; report.problems;   // [{ severity, code, where, what, hint }]
 *   report.ops; report.tensors; report.quantization;
 *   requireModelChecks(model);    // emit / flash: throws the first problem as a ReparoError
 */
import type { TfliteModel } from '../tflite/model.ts';
import { checkModel, checkTfliteModel, MAX_ACTIVATION_BYTES, type CheckOptions, type RuntimeCheck } from './check-model.ts';
import { throwIfFailed } from './report.ts';

export { checkModel, checkTfliteModel, MAX_ACTIVATION_BYTES, type CheckOptions, type RuntimeCheck };
export { quantizationProblems } from './quantization-rules.ts';
export type { CheckReport, Problem, TensorSummary } from './report.ts';

/** Runs the check on a file, bytes or a decoded model and throws (ReparoError) unless it passes. */
export function requireModelChecks(model: string | Uint8Array | TfliteModel, context = 'refusing the model', opts: CheckOptions = {}): void {
  const report = typeof model === 'string' || model instanceof Uint8Array ? checkModel(model, opts) : checkTfliteModel(model, opts);
  throwIfFailed(report, context);
}
