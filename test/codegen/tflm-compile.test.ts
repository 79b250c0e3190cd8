/**
 * The emitted Cortex-M TFLM project against a real tflite-micro checkout (env TFLM_DIR, and
 * optionally CMSIS_NN_DIR): configured with CMake, built with arm-none-eabi-g++ for
 * qemu-mps2-an386 as the vectors app, run in QEMU; TFLM's outputs must equal reparo's int8
 * interpreter and TFLM's own recorded person_detect outputs, and the arena TFLM reports must fit
 * under reparo's estimate. CI has no TFLM: skipped there, with the reason printed.
 * The build folders live under the OS temp dir keyed by the checkout, so reruns only relink.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { runInQemu } from '../../toolkit/build/index.ts';
import { buildTflmCortexM } from '../../toolkit/build/tflm-cmake.ts';
import { emitTflmProject } from '../../toolkit/codegen/tflm/index.ts';
import { parseVectorOutput } from '../../toolkit/codegen/vector-app.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';

const TFLM_DIR = process.env.TFLM_DIR;
const CMSIS_NN_DIR = process.env.CMSIS_NN_DIR;
if (!TFLM_DIR) console.log('TFLM compile check not run: set TFLM_DIR (a tflite-micro checkout with its third-party downloads)');

const MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
const CASES = ['person', 'no_person', 'random1'];

function buildProject(variant: 'reference' | 'cmsis-nn') {
  const bytes = new Uint8Array(readFileSync(join(MODELS, 'person_detect.tflite')));
  const model = readTflite(bytes);
  const inputs = CASES.map((c) => new Int8Array(readFileSync(join(MODELS, `person_detect.input.${c}.bin`))));
  const key = createHash('sha256').update(`${TFLM_DIR}|${CMSIS_NN_DIR}`).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `reparo-tflm-check-${key}`, variant);
  const board = findBoard('qemu-mps2-an386');
  const project = emitTflmProject(model, board, dir, { tfliteBytes: bytes, vectors: inputs });
  const env = { ...process.env, CMSIS_NN_DIR: variant === 'cmsis-nn' ? CMSIS_NN_DIR : undefined };
  const { elf } = buildTflmCortexM(dir, join(dir, 'build'), board, { env, app: 'vectors' });
  return { model, inputs, project, board, elf };
}

async function checkAgainstInterpreter(variant: 'reference' | 'cmsis-nn') {
  const { model, inputs, project, board, elf } = buildProject(variant);
  const run = await runInQemu(elf, board, { timeoutMs: 120_000 });
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  const { outputs, instructions } = parseVectorOutput(run.stdout);
  const interp = createInterpreter(model);
  CASES.forEach((c, i) => {
    const expected = interp.invoke(inputs[i]!);
    expect(Array.from(outputs[i]!), `${variant} ${c}`).toEqual(Array.from(expected));
    // TFLM's own recorded outputs for the same input (../shared/models)
    expect(Array.from(outputs[i]!)).toEqual(Array.from(new Int8Array(readFileSync(join(MODELS, `person_detect.output.${c}.bin`)))));
  });
  const arena = Number(/^arena (\d+)\r?$/m.exec(run.stdout)![1]);
  expect(arena).toBeLessThanOrEqual(project.arenaBytes);
  console.log(
    `TFLM ${variant} on qemu-mps2-an386, person_detect: ${instructions.join(' / ')} instructions per invoke; ` +
      `arena_used_bytes ${arena} B (estimate ${project.arenaBytes} B: planned ${project.arena.planned} + persistent ${project.arena.persistent} + margin ${project.arena.margin})`,
  );
}

describe('TFLM compile check (real tflite-micro checkout)', () => {
  test.skipIf(!TFLM_DIR)('reference kernels: builds for qemu-mps2-an386, outputs equal the int8 interpreter', () => checkAgainstInterpreter('reference'), 1_800_000);
  test.skipIf(!TFLM_DIR || !CMSIS_NN_DIR)('CMSIS-NN kernels: same outputs', () => checkAgainstInterpreter('cmsis-nn'), 1_800_000);
});
