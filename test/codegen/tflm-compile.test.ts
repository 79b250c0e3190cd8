/**
 * The emitted bare-metal TFLM project against a real tflite-micro checkout (env TFLM_DIR, and
 * optionally CMSIS_NN_DIR): configured with CMake, built with arm-none-eabi-g++ for
 * qemu-mps2-an386 (and riscv64-unknown-elf-g++ for qemu-riscv32) as the vectors app, run in QEMU; TFLM's outputs must equal reparo's int8
 * interpreter and TFLM's own recorded person_detect outputs, and the arena TFLM reports must fit
 * under reparo's estimate. CI has no TFLM: skipped there, with the reason printed.
 * The build folders (shared with the native bench) live under the OS temp dir keyed by the checkout, so reruns only relink.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { runTflmVectors, type TflmKernels } from '../../toolkit/toolchain/tflm-vectors.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';

const TFLM_DIR = process.env.TFLM_DIR;
const CMSIS_NN_DIR = process.env.CMSIS_NN_DIR;
if (!TFLM_DIR) console.log('TFLM compile check not run: set TFLM_DIR (a tflite-micro checkout with its third-party downloads)');

const MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
const CASES = ['person', 'no_person', 'random1'];

async function checkAgainstInterpreter(kernels: TflmKernels, boardId = 'qemu-mps2-an386') {
  const bytes = new Uint8Array(readFileSync(join(MODELS, 'person_detect.tflite')));
  const model = readTflite(bytes);
  const inputs = CASES.map((c) => new Int8Array(readFileSync(join(MODELS, `person_detect.input.${c}.bin`))));
  const run = (await runTflmVectors(model, bytes, inputs, findBoard(boardId), kernels))!;
  const interp = createInterpreter(model);
  CASES.forEach((c, i) => {
    expect(Array.from(run.outputs[i]!), `${kernels} ${c}`).toEqual(Array.from(interp.invoke(inputs[i]!)));
    // TFLM's own recorded outputs for the same input (../shared/models)
    expect(Array.from(run.outputs[i]!)).toEqual(Array.from(new Int8Array(readFileSync(join(MODELS, `person_detect.output.${c}.bin`)))));
  });
  const { arena, project } = run;
  expect(arena).toBeLessThanOrEqual(project.arenaBytes);
  console.log(
    `TFLM ${kernels} on ${boardId}, person_detect: ${run.instructions.join(' / ')} instructions per invoke; ` +
      `arena_used_bytes ${arena} B (estimate ${project.arenaBytes} B: planned ${project.arena.planned} + persistent ${project.arena.persistent} + margin ${project.arena.margin})`,
  );
}

describe('TFLM compile check (real tflite-micro checkout)', () => {
  test.skipIf(!TFLM_DIR)('reference kernels: builds for qemu-mps2-an386, outputs equal the int8 interpreter', () => checkAgainstInterpreter('reference'), 1_800_000);
  test.skipIf(!TFLM_DIR || !CMSIS_NN_DIR)('CMSIS-NN kernels: same outputs', () => checkAgainstInterpreter('cmsis-nn'), 1_800_000);
  test.skipIf(!TFLM_DIR)('reference kernels on RV32: builds for qemu-riscv32 (picolibc, libstdc++ headers only), same outputs', () => checkAgainstInterpreter('reference', 'qemu-riscv32'), 1_800_000);
});
