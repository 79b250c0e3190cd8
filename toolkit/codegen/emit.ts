/**
 * `reparo emit`: a firmware project for a board. First the fit check — the model's constant data and
 * activation arena against what the board leaves free for the model — so that a model too big is
 * refused with the numbers before anything is written or built. Then the project: app/ holds the
 * HIL firmware (hil-app.ts: generated native model, native-hil glue, model hash) and project.json
 * names the board and the model hash.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReparoError } from '../errors.ts';
import type { Board } from '../boards/index.ts';
import type { TfliteModel } from '../tflite/model.ts';
import { modelHash } from '../tflite/model-hash.ts';
import { writeTflite } from '../tflite/writer.ts';
import { emitNativeC } from './native.ts';
import { writeHilApp } from './hil-app.ts';

/** Room the firmware itself needs beside the model: code of the kernels, startup, UART; and the stack. */
export const FIRMWARE_FLASH_BYTES = 32 * 1024;
export const STACK_BYTES = 16 * 1024;

export interface FitReport {
  flash: { needed: number; free: number };
  ram: { needed: number; free: number };
  fits: boolean;
  /** the biggest consumers, largest first */
  consumers: { what: string; bytes: number; memory: 'flash' | 'ram' }[];
}

export function checkFit(model: TfliteModel, board: Board): FitReport {
  const native = emitNativeC(model);
  const constants = model.tensors.filter((t) => t.data).map((t) => ({ what: `weights ${t.name}`, bytes: t.data!.length, memory: 'flash' as const }));
  const flash = constants.reduce((a, c) => a + c.bytes, 0) + FIRMWARE_FLASH_BYTES;
  const ram = native.arenaSize + STACK_BYTES;
  const consumers = [
    ...constants,
    { what: 'activation arena (after buffer reuse)', bytes: native.arenaSize, memory: 'ram' as const },
    { what: 'firmware code and stack', bytes: FIRMWARE_FLASH_BYTES, memory: 'flash' as const },
  ].sort((a, b) => b.bytes - a.bytes);
  return {
    flash: { needed: flash, free: board.flash.freeForModel },
    ram: { needed: ram, free: board.ram.freeForModel },
    fits: flash <= board.flash.freeForModel && ram <= board.ram.freeForModel,
    consumers,
  };
}

export interface EmitOptions {
  runtime?: 'native' | 'tflm';
}

export function emitProject(model: TfliteModel, board: Board, outDir: string, opts: EmitOptions = {}): { fit: FitReport; arenaSize: number } {
  const runtime = opts.runtime ?? 'native';
  if (runtime !== 'native')
    throw new ReparoError('E_USAGE', 'the TFLite Micro project templates are not part of reparo yet', { hint: 'use --runtime native' });
  const fit = checkFit(model, board);
  if (!fit.fits) {
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const flashOver = fit.flash.needed > fit.flash.free, ramOver = fit.ram.needed > fit.ram.free;
    const over = [flashOver && `flash ${kib(fit.flash.needed)} > ${kib(fit.flash.free)} free`, ramOver && `RAM ${kib(fit.ram.needed)} > ${kib(fit.ram.free)} free`].filter(Boolean);
    // name the consumers of the memory that overflows
    const biggest = fit.consumers
      .filter((c) => (c.memory === 'flash' ? flashOver : ramOver))
      .slice(0, 3)
      .map((c) => `${c.what} ${kib(c.bytes)} (${c.memory})`)
      .join(', ');
    throw new ReparoError('E_FIT', `the model does not fit ${board.id}: ${over.join('; ')}; biggest: ${biggest}`, {
      hint: 'try a board with more memory (reparo boards), or a narrower model (fewer channels, ResRep pruning)',
    });
  }
  if (existsSync(outDir) && !existsSync(join(outDir, 'project.json')))
    throw new ReparoError('E_IO', 'the output folder exists and is not a reparo project; not overwriting it', { file: outDir });
  // write beside, then swap in: a failed emit leaves an earlier project untouched
  const tmp = `${outDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const { arenaSize } = writeHilApp(join(tmp, 'app'), model);
  // the model itself travels with its firmware: validate and bench find it through the project
  writeFileSync(join(tmp, 'model.tflite'), writeTflite(model));
  writeFileSync(join(tmp, 'project.json'), JSON.stringify({ board: board.id, runtime, modelHash: modelHash(model), arenaSize, fit }, null, 2));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  return { fit, arenaSize };
}

export function readProject(dir: string): { board: string; runtime: string; modelHash: string } {
  const p = join(dir, 'project.json');
  if (!existsSync(p)) throw new ReparoError('E_IO', 'not a reparo project (no project.json)', { file: dir, hint: 'create one with reparo emit' });
  return JSON.parse(readFileSync(p, 'utf8'));
}
