/**
 * The native runtime on a virtual board, measured the way the benches compare it with TFLM
 * (tflm-vectors.ts): the vectors app with `inputs` compiled in, built for the board, run in QEMU
 * -icount shift=0; instructions per input, the outputs, the arena and the flash (.text + .rodata).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Board } from '../boards/index.ts';
import type { NativeOptions } from '../codegen/native.ts';
import { parseVectorOutput, writeVectorApp } from '../codegen/vector-app.ts';
import { ReparoError } from '../errors.ts';
import type { TfliteModel } from '../tflite/index.ts';
import { buildFirmware, runInQemu } from './index.ts';

export interface NativeRun {
  instructions: number[];
  outputs: Int8Array[];
  arena: number;
  flash: number;
}

export async function runNativeVectors(model: TfliteModel, inputs: readonly Int8Array[], board: Board, opts: NativeOptions = {}): Promise<NativeRun> {
  const dir = mkdtempSync(join(tmpdir(), `reparo-native-vectors-${board.id}-`));
  try {
    const { arenaSize } = writeVectorApp(join(dir, 'app'), model, inputs, opts);
    const { elf, size } = buildFirmware(join(dir, 'app'), board, { outDir: join(dir, 'build') });
    const run = await runInQemu(elf, board, { timeoutMs: 300_000 });
    const got = parseVectorOutput(run.stdout);
    if (run.exitCode !== 0 || got.instructions.length !== inputs.length)
      throw new ReparoError('E_BUILD', `native vectors app on ${board.id} failed (exit ${run.exitCode}):\n${(run.stdout + run.stderr).slice(-2000)}`, { file: elf });
    return { instructions: got.instructions, outputs: got.outputs, arena: arenaSize, flash: size.text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
