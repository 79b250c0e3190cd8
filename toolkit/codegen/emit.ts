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
import { hasDsp } from '../boards/cores.ts';
import type { TfliteModel } from '../tflite/model.ts';
import { modelHash } from '../tflite/model-hash.ts';
import { writeTflite } from '../tflite/writer.ts';
import { DEFAULT_WIDE_WEIGHT_BYTES, emitNativeC, SMALLEST_WIDE_WEIGHT_BYTES, type NativeResult } from './native.ts';
import { mlperfDefines } from './mlperf-dut.ts';
import { writeHilApp, writeNativeEspIdf } from './hil-app.ts';
import { emitTflmProject, estimateTflmArena } from './tflm/index.ts';
import { requireModelChecks } from '../check/index.ts';

/** Room the firmware itself needs beside the model: code of the kernels, startup, UART; and the stack. */
export const FIRMWARE_FLASH_BYTES = 32 * 1024;
/** TFLM's interpreter, allocator and a few kernels (BASELINES.md: ≈ 100 KB of .text beside the model); an estimate */
export const TFLM_FIRMWARE_FLASH_BYTES = 112 * 1024;
export const STACK_BYTES = 16 * 1024;

export type Runtime = 'native' | 'tflm';

export interface FitReport {
  flash: { needed: number; free: number };
  ram: { needed: number; free: number };
  fits: boolean;
  /** the biggest consumers, largest first */
  consumers: { what: string; bytes: number; memory: 'flash' | 'ram' }[];
}

const constantBytes = (model: TfliteModel) => model.tensors.reduce((a, t) => a + (t.data?.length ?? 0), 0);

/** The native DSP path's int16 weight rows get what the board's flash leaves beside the int8 model, up to the plan's default. */
export function wideWeightBudget(model: TfliteModel, board: Board, memory: MemoryPlanChoice = 'fastest'): number {
  // only the DSP loops read int16 rows
  if (!hasDsp(board.core)) return 0;
  const cap = memory === 'smallest' ? SMALLEST_WIDE_WEIGHT_BYTES : DEFAULT_WIDE_WEIGHT_BYTES;
  return Math.max(0, Math.min(cap, board.flash.freeForModel - constantBytes(model) - FIRMWARE_FLASH_BYTES));
}

export type MemoryPlanChoice = 'fastest' | 'smallest';

/**
 * The native C for `board`: int16 weight rows only within the flash the board leaves; the memory plan
 * asked for, or the fastest where its arena fits the board's RAM and the smallest where it does not.
 */
export function nativeForBoard(model: TfliteModel, board: Board, memory?: MemoryPlanChoice): NativeResult & { memory: MemoryPlanChoice } {
  if (memory !== undefined && memory !== 'fastest' && memory !== 'smallest') throw new ReparoError('E_USAGE', `--memory ${memory}: use fastest or smallest`);
  const fastest = memory === 'smallest' ? undefined : emitNativeC(model, { wideWeightBytes: wideWeightBudget(model, board) });
  if (fastest && (memory === 'fastest' || fastest.arenaSize + STACK_BYTES <= board.ram.freeForModel)) return { ...fastest, memory: 'fastest' };
  return { ...emitNativeC(model, { wideWeightBytes: wideWeightBudget(model, board, 'smallest'), memory: 'smallest' }), memory: 'smallest' };
}

export function checkFit(model: TfliteModel, board: Board, runtime: Runtime = 'native', native = runtime === 'native' ? nativeForBoard(model, board) : undefined): FitReport {
  // the TFLM arena is reparo's estimate of TFLM's (planned buffers + its bookkeeping)
  const arena = native ? native.arenaSize : estimateTflmArena(model).total;
  const code = runtime === 'native' ? FIRMWARE_FLASH_BYTES : TFLM_FIRMWARE_FLASH_BYTES;
  const constants = model.tensors.filter((t) => t.data).map((t) => ({ what: `weights ${t.name}`, bytes: t.data!.length, memory: 'flash' as const }));
  const wide = native?.wideWeightBytes ? [{ what: 'int16 weight rows (DSP path)', bytes: native.wideWeightBytes, memory: 'flash' as const }] : [];
  const flash = constantBytes(model) + (native?.wideWeightBytes ?? 0) + code;
  const ram = arena + STACK_BYTES;
  const consumers = [
    ...constants,
    ...wide,
    { what: runtime === 'native' ? 'activation arena (after buffer reuse)' : 'TFLM arena (estimate)', bytes: arena, memory: 'ram' as const },
    { what: runtime === 'native' ? 'firmware code and stack' : 'TFLM interpreter and kernels (estimate)', bytes: code, memory: 'flash' as const },
  ].sort((a, b) => b.bytes - a.bytes);
  return {
    flash: { needed: flash, free: board.flash.freeForModel },
    ram: { needed: ram, free: board.ram.freeForModel },
    fits: flash <= board.flash.freeForModel && ram <= board.ram.freeForModel,
    consumers,
  };
}

export interface EmitOptions {
  runtime?: Runtime;
  /** an MLPerf Tiny benchmark id (ic01, vww01, kws01, ad01): the firmware speaks the DUT protocol for its runner */
  mlperf?: string;
  /** the native runtime's memory plan (default: fastest where it fits the board's RAM, else smallest) */
  memory?: MemoryPlanChoice;
}

export interface EmitResult {
  fit: FitReport;
  arenaSize: number;
  /** the native plan chosen, its banded segments, and per op the arena in use: reparo's and TFLM's planner's */
  memory?: MemoryPlanReport;
}

export interface MemoryPlanReport {
  plan: MemoryPlanChoice;
  /** the op of each layer */
  ops: string[];
  bands: NativeResult['bands'];
  ramByOp: number[];
  /** TFLM's greedy planner on the same model (its tensors, input and output included; not its persistent data) */
  tflmRamByOp: number[];
}


export function emitProject(model: TfliteModel, board: Board, outDir: string, opts: EmitOptions = {}): EmitResult {
  requireModelChecks(model, `not emitting a project for ${board.id}`);
  const runtime = opts.runtime ?? 'native';
  if (runtime !== 'native' && runtime !== 'tflm') throw new ReparoError('E_USAGE', `runtime '${runtime}': use native or tflm`);
  if (opts.mlperf !== undefined && runtime !== 'native')
    throw new ReparoError('E_USAGE', '--mlperf builds the MLPerf Tiny DUT firmware on the native runtime only', { hint: 'drop --runtime tflm' });
  if (opts.memory !== undefined && runtime !== 'native') throw new ReparoError('E_USAGE', '--memory chooses the native runtime\'s plan; TFLM plans its own arena', { hint: 'drop --runtime tflm' });
  const dutDefines = opts.mlperf === undefined ? '' : mlperfDefines(model, opts.mlperf);
  const native = runtime === 'native' ? nativeForBoard(model, board, opts.memory) : undefined;
  const memory: MemoryPlanReport | undefined = native && { plan: native.memory, ops: model.operators.map((o) => o.op), bands: native.bands, ramByOp: native.ramByOp, tflmRamByOp: estimateTflmArena(model).inUseByOp };
  const fit = checkFit(model, board, runtime, native);
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
    // RAM: the native runtime's smallest plan may still fit where TFLM or the fastest plan do not
    const smaller = ramOver && native?.memory !== 'smallest' ? '--memory smallest (the native runtime, conv chains in row bands), ' : '';
    throw new ReparoError('E_FIT', `the model does not fit ${board.id}: ${over.join('; ')}; biggest: ${biggest}`, {
      hint: `try ${smaller}a board with more memory (reparo boards), or a narrower model (fewer channels, ResRep pruning)`,
    });
  }
  if (existsSync(outDir) && !existsSync(join(outDir, 'project.json')))
    throw new ReparoError('E_IO', 'the output folder exists and is not a reparo project; not overwriting it', { file: outDir });
  // write beside, then swap in: a failed emit leaves an earlier project untouched
  const tmp = `${outDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const arenaSize = !native
    ? emitTflmProject(model, board, join(tmp, 'app')).arenaBytes
    : board.toolchain === 'esp-idf'
      ? writeNativeEspIdf(join(tmp, 'app'), board, model, native, dutDefines).arenaSize
      : writeHilApp(join(tmp, 'app'), model, native, dutDefines).arenaSize;
  // the model itself travels with its firmware: validate and bench find it through the project
  writeFileSync(join(tmp, 'model.tflite'), writeTflite(model));
  writeFileSync(join(tmp, 'project.json'), JSON.stringify({ board: board.id, runtime, ...(opts.mlperf && { mlperf: opts.mlperf }), modelHash: modelHash(model), arenaSize, ...(memory && { memory }), fit }, null, 2));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  return { fit, arenaSize, ...(memory && { memory }) };
}

export function readProject(dir: string): { board: string; runtime: Runtime; modelHash: string; mlperf?: string } {
  const p = join(dir, 'project.json');
  if (!existsSync(p)) throw new ReparoError('E_IO', 'not a reparo project (no project.json)', { file: dir, hint: 'create one with reparo emit' });
  return JSON.parse(readFileSync(p, 'utf8'));
}
