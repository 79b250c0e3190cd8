/**
 * A TFLite Micro firmware project for a board, written into a folder:
 *   bare-metal boards (gcc-arm-none-eabi, gcc-riscv64-unknown-elf): a CMake project built against the
 *     user's tflite-micro checkout (-DTFLM_DIR, optional -DCMSIS_NN_DIR), with reparo's bare-metal
 *     base (Cortex-M or RV32) and HIL loop copied in under reparo/ and the board's facts in board.cmake;
 *   ESP32 family (toolchain esp-idf): an ESP-IDF project using Espressif's esp-tflite-micro component.
 * Both get the same generated sources: the .tflite bytes as a C array, an op resolver with exactly
 * the model's ops, and reparo_hil_config.h (model hash, HIL buffer sizes, arena size).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ReparoError } from '../../errors.ts';
import type { Board } from '../../boards/index.ts';
import { coreFlags, PLIC_BASE, UART0_RX_IRQ } from '../../boards/cores.ts';
import { gccTarget } from '../../toolchain/targets.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import type { TfliteModel } from '../../tflite/model.ts';
import { modelHash } from '../../tflite/model-hash.ts';
import { readTflite } from '../../tflite/reader.ts';
import { writeTflite } from '../../tflite/writer.ts';
import { estimateTflmArena, type TflmArenaEstimate } from './arena-estimate.ts';
import { modelArrayC } from './model-array.ts';
import { checkTflmOps, opResolverHeader } from './op-resolver.ts';
import { packagePath } from '../../package-root.ts';

const TEMPLATES = packagePath('firmware-templates/');
export const TFLM_BARE_METAL_TEMPLATE_DIR = join(TEMPLATES, 'tflm-bare-metal');
export const TFLM_ESP_IDF_TEMPLATE_DIR = join(TEMPLATES, 'tflm-esp-idf');
const COMMON_DIR = join(TEMPLATES, 'common');
const CORTEX_M_BASE_DIR = join(TEMPLATES, 'cortex-m');
const RISCV_BASE_DIR = join(TEMPLATES, 'riscv');

export const TFLM_STACK_BYTES = 16 * 1024;

export interface TflmProjectOptions {
  /** the model's .tflite file bytes, compiled in as they are (default: reparo's writer on `model`) */
  tfliteBytes?: Uint8Array;
  /** int8 inputs for the vectors app (REPARO_APP=vectors; default: one input at the zero point) */
  vectors?: readonly Int8Array[];
  /** arena size to compile in (default: the estimate) */
  arenaBytes?: number;
}

export interface TflmProject {
  kind: 'bare-metal' | 'esp-idf';
  modelHash: string;
  arena: TflmArenaEstimate;
  /** the arena compiled into the firmware */
  arenaBytes: number;
  /** project-relative paths of every file written */
  files: string[];
}

const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function emitTflmProject(model: TfliteModel, board: Board, dir: string, opts: TflmProjectOptions = {}): TflmProject {
  const input = model.tensors[model.inputs[0]!], output = model.tensors[model.outputs[0]!];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || input?.type !== 'int8' || output?.type !== 'int8')
    throw new ReparoError('E_USAGE', 'the TFLM firmware runs models with one int8 input and one int8 output', {
      hint: 'quantize the model with reparo quantize (int8 input and output)',
    });
  checkTflmOps(model);
  const hash = modelHash(model);
  const bytes = opts.tfliteBytes ?? writeTflite(model);
  if (opts.tfliteBytes && modelHash(readTflite(bytes)) !== hash)
    throw new ReparoError('E_USAGE', 'the .tflite bytes given are not the model being emitted (model hashes differ)');
  const arena = estimateTflmArena(model);
  const arenaBytes = opts.arenaBytes ?? arena.total;
  if (!(Number.isInteger(arenaBytes) && arenaBytes > 0)) throw new ReparoError('E_USAGE', `arena size ${arenaBytes} must be a positive integer`);

  const files: string[] = [];
  const put = (rel: string, text: string | Uint8Array) => {
    writeFileAtomic(join(dir, rel), text);
    files.push(rel);
  };
  const copyDir = (from: string, to: string, keep: (name: string) => boolean) => {
    for (const name of readdirSync(from).sort())
      if (statSync(join(from, name)).isFile() && keep(name)) put(join(to, name), readFileSync(join(from, name)));
  };

  const esp = board.toolchain === 'esp-idf';
  const src = esp ? 'main' : 'src';
  const array = modelArrayC(bytes);
  put(`${src}/model_data.h`, array.header);
  put(`${src}/model_data.c`, array.source);
  put(`${src}/model_ops.h`, opResolverHeader(model));
  put(`${src}/reparo_hil_config.h`, hilConfig(model, hash, arenaBytes, esp ? board.id : undefined));
  put(`${src}/reparo_tflm.cc`, readFileSync(join(TFLM_BARE_METAL_TEMPLATE_DIR, 'reparo_tflm.cc')));

  if (esp) {
    writeEspIdf(board, put, copyDir);
  } else {
    writeBareMetal(board, put, copyDir);
    const zero = new Int8Array(elements(input.shape)).fill(input.quantization?.zeroPoint[0] ?? 0);
    put('src/vectors.h', vectorsHeader(opts.vectors?.length ? opts.vectors : [zero], elements(input.shape)));
  }
  return { kind: esp ? 'esp-idf' : 'bare-metal', modelHash: hash, arena, arenaBytes, files };
}

type Put = (rel: string, text: string | Uint8Array) => void;
type CopyDir = (from: string, to: string, keep: (name: string) => boolean) => void;

function writeBareMetal(board: Board, put: Put, copyDir: CopyDir): void {
  const rxIrq = board.qemu ? UART0_RX_IRQ[board.qemu.machine] : undefined;
  const riscv = gccTarget(board).isa === 'riscv';
  if (!board.qemu || rxIrq === undefined || (riscv && !PLIC_BASE[board.qemu.machine]))
    throw new ReparoError('E_BUILD', `board '${board.id}' has no bare-metal firmware base for TFLM yet (only the QEMU MPS2 and RISC-V virt boards do)`, {
      hint: 'emit for qemu-mps2-an386, qemu-mps2-an500, qemu-mps2-an505 or qemu-riscv32, or use the native runtime',
    });
  const t = TFLM_BARE_METAL_TEMPLATE_DIR;
  const toolchainFile = riscv ? 'riscv64-unknown-elf.cmake' : 'arm-none-eabi.cmake';
  for (const f of ['CMakeLists.txt', toolchainFile]) put(f, readFileSync(join(t, f)));
  for (const f of ['main_hil.c', 'main_vectors.c']) put(`src/${f}`, readFileSync(join(t, f)));
  if (riscv) put('src/cxx_runtime.cc', readFileSync(join(t, 'cxx_runtime.cc')));
  copyDir(COMMON_DIR, 'reparo/common', (n) => /\.(c|h)$/.test(n));
  copyDir(riscv ? RISCV_BASE_DIR : CORTEX_M_BASE_DIR, 'reparo/base', (n) => /\.(c|h|in|S)$/.test(n));
  // the text helpers the Cortex-M base shares with the RV32 one
  if (riscv) put('reparo/base/uart_text.c', readFileSync(join(CORTEX_M_BASE_DIR, 'uart_text.c')));
  const hex = (n: number) => `0x${n.toString(16)}`;
  const core = coreFlags(board.core);
  put(
    'board.cmake',
    `# ${board.name}: written by reparo emit from boards/${board.id}.json
set(REPARO_BOARD ${board.id})
set(REPARO_TOOLCHAIN_FILE ${toolchainFile})
set(REPARO_CPU_FLAGS ${core.flags.join(' ')})
# the linker script template (reparo/base/link.ld.in) takes these
set(FLASH_BASE ${board.qemu.flashBase})
set(FLASH_SIZE ${hex(board.flash.total)})
set(RAM_BASE ${board.qemu.ramBase})
set(RAM_SIZE ${hex(board.ram.total)})
set(STACK_SIZE ${hex(TFLM_STACK_BYTES)})
set(REPARO_BOARD_DEFINES
  REPARO_UART0_BASE=${board.qemu.uart0}u
  REPARO_UART0_RX_IRQ=${rxIrq}u${riscv ? `\n  REPARO_PLIC_BASE=${PLIC_BASE[board.qemu.machine]}u` : ''}
  REPARO_CORE="${board.core}"
  REPARO_CLOCK_HZ=${board.clockHz}u
  REPARO_HAS_FPU=${core.fpu ? 1 : 0}
  REPARO_BOARD_ID="${board.id}"
  REPARO_TFLM_DEBUG_LOG=1)
`,
  );
}

/** sdkconfig.defaults of an ESP-IDF project for `board` (TFLM's and the native runtime's): chip, clock, console baud. */
export function espIdfSdkconfig(board: Board): string {
  const chip = board.flashMethod.options.chip;
  if (typeof chip !== 'string') throw new ReparoError('E_BOARD', `board '${board.id}' names no chip (flashMethod.options.chip)`, { file: `boards/${board.id}.json` });
  return readFileSync(join(TFLM_ESP_IDF_TEMPLATE_DIR, 'sdkconfig.defaults.in'), 'utf8')
    .replaceAll('@IDF_TARGET@', chip)
    .replaceAll('@CPU_MHZ@', String(Math.round(board.clockHz / 1e6)))
    .replaceAll('@BAUD@', String(board.serial.baud));
}

function writeEspIdf(board: Board, put: Put, copyDir: CopyDir): void {
  const sdkconfig = espIdfSdkconfig(board);
  const t = TFLM_ESP_IDF_TEMPLATE_DIR;
  put('CMakeLists.txt', readFileSync(join(t, 'CMakeLists.txt')));
  for (const f of ['CMakeLists.txt', 'idf_component.yml', 'main.c', 'platform_esp.c']) put(`main/${f}`, readFileSync(join(t, 'main', f)));
  copyDir(COMMON_DIR, 'main', (n) => /\.(c|h)$/.test(n));
  put('sdkconfig.defaults', sdkconfig);
}

function hilConfig(model: TfliteModel, hash: string, arenaBytes: number, boardId?: string): string {
  const io = (i: number) => elements(model.tensors[i]!.shape);
  return `/* Generated by reparo: the HIL firmware's model identity, buffer sizes and TFLM arena. */
#ifndef REPARO_HIL_CONFIG_H
#define REPARO_HIL_CONFIG_H
#define REPARO_MODEL_HASH "${hash}"
#define REPARO_HIL_INPUT_CAPACITY ${io(model.inputs[0]!)}u
#define REPARO_HIL_OUTPUT_CAPACITY ${io(model.outputs[0]!)}u
#define REPARO_HIL_LAYER_CAPACITY 0u
/* reparo's estimate of what TFLM's allocator needs (an estimate: the firmware reports the real use) */
#define REPARO_TFLM_ARENA_BYTES ${arenaBytes}u
${boardId ? `#define REPARO_BOARD_ID "${boardId}"\n` : ''}#endif
`;
}

function vectorsHeader(vectors: readonly Int8Array[], inputSize: number): string {
  for (const v of vectors)
    if (v.length !== inputSize) throw new ReparoError('E_USAGE', `a test vector has ${v.length} bytes; the model input has ${inputSize}`);
  const rows = vectors.map((v) => `  { ${Array.from(v).join(', ')} },`);
  return `/* Generated by reparo: int8 inputs for the vectors app. */
#include <stdint.h>
#define REPARO_VECTOR_COUNT ${vectors.length}
static const int8_t reparo_vectors[${vectors.length}][${inputSize}] = {
${rows.join('\n')}
};
`;
}
