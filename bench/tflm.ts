/**
 * TensorFlow Lite Micro measured the way the native runtime is: reparo's TFLM project (the vectors
 * app) built with CMake against a local tflite-micro checkout (TFLM_DIR; CMSIS_NN_DIR adds the
 * CMSIS-NN kernels), run in QEMU with -icount shift=0. Without a checkout: undefined ("not measured").
 * Build folders are kept under the OS temp dir per checkout, board and kernels, and every model is
 * written into the same project: TFLM compiles once (tens of minutes on 2 cores), later runs relink.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Board } from '../toolkit/boards/index.ts';
import { runInQemu } from '../toolkit/build/index.ts';
import { buildTflmCortexM } from '../toolkit/build/tflm-cmake.ts';
import { emitTflmProject } from '../toolkit/codegen/tflm/index.ts';
import { parseVectorOutput } from '../toolkit/codegen/vector-app.ts';
import type { TfliteModel } from '../toolkit/tflite/index.ts';

export type TflmKernels = 'reference' | 'cmsis-nn';

export interface TflmFigures {
  instructions: number;
  /** TFLM's arena_used_bytes */
  arena: number;
  /** .text + .rodata + vectors */
  flash: number;
  outputs: Int8Array[];
}

const { TFLM_DIR, CMSIS_NN_DIR } = process.env;

/** What the TFLM rows are: the checkout's commit, or why they are missing. */
export function tflmSource(): { measured: boolean; label: string } {
  if (!TFLM_DIR) return { measured: false, label: 'no TFLM checkout: set TFLM_DIR (and CMSIS_NN_DIR)' };
  const which = (dir: string) => spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || dir;
  return { measured: true, label: `measured here: tflite-micro ${which(TFLM_DIR)}${CMSIS_NN_DIR ? `, CMSIS-NN ${which(CMSIS_NN_DIR)}` : ''}` };
}

export async function measureTflm(model: TfliteModel, bytes: Uint8Array, inputs: Int8Array[], board: Board, kernels: TflmKernels): Promise<TflmFigures | undefined> {
  if (!TFLM_DIR || (kernels === 'cmsis-nn' && !CMSIS_NN_DIR)) return undefined;
  const key = createHash('sha256').update(`${TFLM_DIR}|${CMSIS_NN_DIR}`).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `reparo-bench-tflm-${key}`, board.id, kernels);
  emitTflmProject(model, board, dir, { tfliteBytes: bytes, vectors: inputs });
  const env = { ...process.env, CMSIS_NN_DIR: kernels === 'cmsis-nn' ? CMSIS_NN_DIR : undefined };
  const { elf, size } = buildTflmCortexM(dir, join(dir, 'build'), board, { env, app: 'vectors' });
  const run = await runInQemu(elf, board, { timeoutMs: 600_000 });
  const got = parseVectorOutput(run.stdout);
  const arena = /^arena (\d+)\r?$/m.exec(run.stdout);
  if (run.exitCode !== 0 || got.outputs.length !== inputs.length || !arena) throw new Error(`TFLM ${kernels} on ${board.id}: ${run.stdout}${run.stderr}`);
  return { instructions: Math.max(...got.instructions), arena: Number(arena[1]), flash: size.text, outputs: got.outputs };
}
