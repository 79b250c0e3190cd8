/**
 * reparo's public API: one function per stage of the flow (DESIGN.md), each the same code the CLI runs.
 *
 *   readOnnx → fuse → quantize (with openDataset) → writeTflite / readTflite → checkModel →
 *   createInterpreter (the int8 reference) → emit (a firmware project for a board) → build → flash →
 *   connectBoard → bench / validate (over the serial line), or deploy for all of it.
 *
 * Everything else under toolkit/ is internal and may change.
 */
export { ReparoError, type ErrorCode } from './errors.ts';
export { loadBoards, findBoard, type Board } from './boards/index.ts';
export { readOnnx, writeOnnx } from './onnx/index.ts';
export type { Graph } from './graph/index.ts';
export { fuseGraph as fuse, type FuseOptions, type FuseResult } from './fuse/index.ts';
export { checkEquivalence, type EquivalenceReport } from './verify/index.ts';
export { openDataset, type Dataset, type DatasetOptions } from './data/index.ts';
export { quantizeGraph as quantize, DEFAULT_QUANTIZE, type QuantizeOptions, type QuantizeResult } from './quantize/index.ts';
export { readTflite, writeTflite, type TfliteModel } from './tflite/index.ts';
export { checkModel, type CheckReport } from './check/index.ts';
export { createInterpreter, type Interpreter } from './int8/index.ts';
export { emitProject as emit, type EmitOptions } from './codegen/emit.ts';
export { buildProject as build } from './toolchain/project.ts';
export { flashBoard as flash } from './flash/flash-board.ts';
export { connectBoard, type BoardLine } from './hil/connect.ts';
export { HilClient } from './hil/index.ts';
export { runBench as bench, type BenchResult } from './hil/bench.ts';
export { runValidate as validate, type ValidateResult } from './hil/validate.ts';
export { validationInputs, type ValidationInputs } from './pipeline/validation-inputs.ts';
export { deploy, type DeployOptions, type DeployResult } from './pipeline/deploy.ts';
