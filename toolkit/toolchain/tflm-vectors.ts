/**
 * TensorFlow Lite Micro on a virtual board, measured the way the native runtime is: reparo's TFLM
 * project as the vectors app, built with CMake against a local tflite-micro checkout (TFLM_DIR;
 * CMSIS_NN_DIR adds the CMSIS-NN kernels), run in QEMU with -icount shift=0. For the TFLM compile
 * test and the native bench. Build folders stay under the OS temp dir per checkout, board and kernels
 * and every model is written into the same project: TFLM compiles once (tens of minutes on 2 cores),
 * later runs rebuild the model files and relink.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Board } from '../boards/index.ts';
import { emitTflmProject, type TflmProject } from '../codegen/tflm/index.ts';
import { parseVectorOutput } from '../codegen/vector-app.ts';
import { ReparoError } from '../errors.ts';
import type { TfliteModel } from '../tflite/index.ts';
import { runInQemu } from './index.ts';
import { buildTflmBareMetal } from './tflm-cmake.ts';

export type TflmKernels = 'reference' | 'cmsis-nn';

export interface TflmRun {
  /** per input */
  instructions: number[];
  outputs: Int8Array[];
  /** TFLM's arena_used_bytes */
  arena: number;
  /** .text + .rodata + vectors */
  flash: number;
  project: TflmProject;
}

/** Undefined when the checkouts these kernels need are not named in env. */
export async function runTflmVectors(model: TfliteModel, bytes: Uint8Array, inputs: readonly Int8Array[], board: Board, kernels: TflmKernels, env = process.env): Promise<TflmRun | undefined> {
  const { TFLM_DIR, CMSIS_NN_DIR } = env;
  if (!TFLM_DIR || (kernels === 'cmsis-nn' && !CMSIS_NN_DIR)) return undefined;
  const key = createHash('sha256').update(`${TFLM_DIR}|${CMSIS_NN_DIR}`).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `reparo-tflm-${key}`, board.id, kernels);
  const project = emitTflmProject(model, board, dir, { tfliteBytes: bytes, vectors: inputs });
  const { elf, size } = buildTflmBareMetal(dir, join(dir, 'build'), board, { env: { ...env, CMSIS_NN_DIR: kernels === 'cmsis-nn' ? CMSIS_NN_DIR : undefined }, app: 'vectors' });
  const run = await runInQemu(elf, board, { timeoutMs: 600_000 });
  const got = parseVectorOutput(run.stdout);
  const arena = /^arena (\d+)\r?$/m.exec(run.stdout);
  if (run.exitCode !== 0 || got.outputs.length !== inputs.length || !arena)
    throw new ReparoError('E_BUILD', `TFLM (${kernels}) vectors app on ${board.id} failed (exit ${run.exitCode}):\n${(run.stdout + run.stderr).slice(-2000)}`, { file: elf });
  return { instructions: got.instructions, outputs: got.outputs, arena: Number(arena[1]), flash: size.text, project };
}
