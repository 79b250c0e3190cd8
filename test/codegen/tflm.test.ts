/**
 * The TFLite Micro project writer (toolkit/codegen/tflm) without a TFLM checkout: the planner on
 * hand-derived cases (TFLM's GreedyMemoryPlanner order), TFLM's lifetimes in the estimate, the op
 * resolver against the op codes read straight from the flatbuffer, the model array against the
 * file's bytes, the CMake and ESP-IDF projects, and the ESP-IDF build's error without IDF_PATH.
 * The compile check against a real TFLM checkout is tflm-compile.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { buildEspIdf } from '../../toolkit/toolchain/esp-idf.ts';
import { createMemoryPlan } from '../../toolkit/codegen/memory-plan.ts';
import { createTflmGreedyPlanner, emitTflmProject, estimateTflmArena, modelArrayC, opResolverHeader } from '../../toolkit/codegen/tflm/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { readTflite, writeTflite } from '../../toolkit/tflite/index.ts';
import { ModelBuilder } from '../int8/model-builder.ts';

const PERSON = fileURLToPath(new URL('../../../shared/models/person_detect.tflite', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'reparo-tflm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Builtin op names by the schema's BuiltinOperator numbers (tensorflow/lite/schema/schema.fbs), for the ops used here. */
const BUILTIN: Record<number, string> = {
  0: 'ADD', 1: 'AVERAGE_POOL_2D', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 6: 'DEQUANTIZE', 9: 'FULLY_CONNECTED', 14: 'LOGISTIC',
  17: 'MAX_POOL_2D', 18: 'MUL', 22: 'RESHAPE', 25: 'SOFTMAX', 34: 'PAD', 40: 'MEAN', 114: 'QUANTIZE',
};

/** The op codes of a .tflite, read with a few lines of flatbuffer walking (independent of toolkit/tflite's reader). */
function opCodeNames(buf: Uint8Array): string[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const table = (pos: number) => {
    const vt = pos - dv.getInt32(pos, true);
    return (field: number) => {
      const off = 4 + 2 * field < dv.getUint16(vt, true) ? dv.getUint16(vt + 4 + 2 * field, true) : 0;
      return off ? pos + off : 0;
    };
  };
  const model = table(dv.getUint32(0, true));
  const vecPos = model(1); // Model.operator_codes
  const vec = vecPos + dv.getUint32(vecPos, true);
  const names: string[] = [];
  for (let i = 0; i < dv.getUint32(vec, true); i++) {
    const el = vec + 4 + 4 * i;
    const code = table(el + dv.getUint32(el, true));
    const deprecated = code(0) ? dv.getInt8(code(0)) : 0; // deprecated_builtin_code (int8)
    const full = code(3) ? dv.getInt32(code(3), true) : 0; // builtin_code (int32)
    names.push(BUILTIN[Math.max(deprecated, full)] ?? `#${Math.max(deprecated, full)}`);
  }
  return names;
}

function addCalls(header: string): string[] {
  return [...header.matchAll(/r\.(Add\w+)\(\)/g)].map((m) => m[1]!);
}

/** A small model with every op kind the resolver maps, chained so that each runs once. */
function allOpsModel() {
  const b = new ModelBuilder();
  const q = { scale: 0.05, zeroPoint: -3 };
  const x = b.int8('x', [1, 4, 4, 2], q);
  const w = b.int8('w', [2, 1, 1, 2], { scale: [0.02, 0.03], dim: 0 }, [1, 2, 3, 4]);
  const bias = b.int32('b', [2], [0, 0], { scale: [0.001, 0.0015] });
  const dw = b.int8('dw', [1, 1, 1, 2], { scale: [0.02, 0.03], dim: 3 }, [5, 6]);
  const t = (name: string, shape: number[]) => b.int8(name, shape, q);
  const c = t('c', [1, 4, 4, 2]), d = t('d', [1, 4, 4, 2]), a = t('a', [1, 4, 4, 2]), m = t('m', [1, 4, 4, 2]);
  const padSpec = b.int32('pads', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0]);
  const p = t('p', [1, 6, 6, 2]), mp = t('mp', [1, 3, 3, 2]), ap = t('ap', [1, 1, 1, 2]), lg = t('lg', [1, 1, 1, 2]);
  const axes = b.int32('axes', [2], [1, 2]);
  const mean = t('mean', [1, 1, 1, 2]);
  const shape = b.int32('shape', [2], [1, 2]);
  const r = t('r', [1, 2]);
  const fw = b.int8('fw', [2, 2], { scale: 0.02 }, [1, -1, 2, -2]);
  const fb = b.int32('fb', [2], [0, 0], { scale: 0.001 });
  const fc = t('fc', [1, 2]);
  const sm = b.int8('sm', [1, 2], { scale: 1 / 256, zeroPoint: -128 });
  b.op({ op: 'CONV_2D', inputs: [x, w, bias], outputs: [c], padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' })
    .op({ op: 'DEPTHWISE_CONV_2D', inputs: [c, dw, bias], outputs: [d], padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, depthMultiplier: 1, activation: 'NONE' })
    .op({ op: 'ADD', inputs: [c, d], outputs: [a], activation: 'NONE' })
    .op({ op: 'MUL', inputs: [a, d], outputs: [m], activation: 'NONE' })
    .op({ op: 'PAD', inputs: [m, padSpec], outputs: [p] })
    .op({ op: 'MAX_POOL_2D', inputs: [p], outputs: [mp], padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' })
    .op({ op: 'AVERAGE_POOL_2D', inputs: [mp], outputs: [ap], padding: 'VALID', strideH: 3, strideW: 3, filterH: 3, filterW: 3, activation: 'NONE' })
    .op({ op: 'LOGISTIC', inputs: [ap], outputs: [lg] })
    .op({ op: 'MEAN', inputs: [lg, axes], outputs: [mean], keepDims: true })
    .op({ op: 'RESHAPE', inputs: [mean, shape], outputs: [r], newShape: [1, 2] })
    .op({ op: 'FULLY_CONNECTED', inputs: [r, fw, fb], outputs: [fc], activation: 'NONE', keepNumDims: false })
    .op({ op: 'SOFTMAX', inputs: [fc], outputs: [sm], beta: 1 });
  return b.build([x], [sm]);
}

describe('TFLM greedy planner (hand-derived, GreedyMemoryPlanner order)', () => {
  test('largest first; equal sizes: the later buffer first (unlike the native planner)', () => {
    // All three alive at time 1, so they stack; only the order decides who is where.
    const add = (p: ReturnType<typeof createTflmGreedyPlanner>) => [p.addBuffer(16, 0, 1), p.addBuffer(16, 1, 2), p.addBuffer(16, 0, 2)];
    const tflm = createTflmGreedyPlanner(), ids = add(tflm);
    expect(ids.map((i) => tflm.offsetOf(i))).toEqual([32, 16, 0]); // C (id 2) first, then B, then A
    expect(tflm.arenaSize()).toBe(48);
    const native = createMemoryPlan(16), nids = add(native);
    expect(nids.map((i) => native.offsetOf(i))).toEqual([0, 32, 16]); // the native planner's tie-break differs
  });

  test('first fit into a gap between buffers alive at the same time', () => {
    const p = createTflmGreedyPlanner();
    const a = p.addBuffer(100, 0, 0), b = p.addBuffer(60, 1, 1), c = p.addBuffer(30, 0, 1), d = p.addBuffer(20, 1, 1);
    // A → 0; B → 0 (not alive with A); C alive with both → 100; D alive with B [0,60) and C [100,130): gap of 40 at 60
    expect([a, b, c, d].map((i) => p.offsetOf(i))).toEqual([0, 0, 100, 60]);
    expect(p.arenaSize()).toBe(130);
  });

  test('no alignment in the planner itself (TFLM aligns sizes before adding them)', () => {
    const p = createTflmGreedyPlanner();
    const a = p.addBuffer(10, 0, 1), b = p.addBuffer(7, 1, 1);
    expect([p.offsetOf(a), p.offsetOf(b), p.arenaSize()]).toEqual([0, 10, 17]);
  });

  test('rejects bad buffers and late additions', () => {
    const p = createTflmGreedyPlanner();
    expect(() => p.addBuffer(-1, 0, 0)).toThrow(RangeError);
    expect(() => p.addBuffer(4, 2, 1)).toThrow(RangeError);
    p.addBuffer(4, 0, 0);
    p.arenaSize();
    expect(() => p.addBuffer(4, 0, 0)).toThrow(/after planning/);
  });
});

describe('TFLM arena estimate', () => {
  test("TFLM's lifetimes: input from scope 0, op k in scope k+1, output to the last scope; sizes 16-aligned", () => {
    const b = new ModelBuilder();
    const q = { scale: 0.1 };
    const x = b.int8('x', [1, 10], q), y = b.int8('y', [1, 20], q), z = b.int8('z', [1, 33], q), o = b.int8('o', [1, 5], q);
    const shape = b.int32('s', [2], [1, 20]);
    b.op({ op: 'LOGISTIC', inputs: [x], outputs: [y] }) // pretend shapes; the planner only sees sizes
      .op({ op: 'RESHAPE', inputs: [y, shape], outputs: [z], newShape: [1, 33] })
      .op({ op: 'SOFTMAX', inputs: [z], outputs: [o], beta: 1 });
    const est = estimateTflmArena(b.build([x], [o]));
    expect(est.buffers.map((e) => [e.what.split(' ')[2], e.size, e.first, e.last])).toEqual([
      ['x', 16, 0, 1],
      ['y', 32, 1, 2],
      ['z', 48, 2, 3],
      ['o', 16, 3, 3],
    ]);
    // z (48) → 0; y (32) alive with z at 2 → 48; o (16, id 3) alive with z → 48; x (16) alive with y at 1 → 0
    expect(est.buffers.map((e) => e.offset)).toEqual([0, 48, 0, 48]);
    expect(est.planned).toBe(80);
    expect(est.total).toBe(Math.ceil((est.planned + est.persistent + est.margin) / 16) * 16);
    expect(est.margin).toBeGreaterThanOrEqual(256);
  });

  test('MEAN adds the int8 reference kernel scratch buffers for its own scope', () => {
    const est = estimateTflmArena(allOpsModel());
    const scratch = est.buffers.filter((e) => e.what.startsWith('scratch'));
    // accumulator 2 outputs × 4 B, input index 4 dims × 4 B, resolved axes 2 × 4 B, each rounded to 16
    expect(scratch.map((s) => [s.size, s.first, s.last])).toEqual([
      [16, 9, 9],
      [16, 9, 9],
      [16, 9, 9],
    ]);
  });
});

describe('op resolver', () => {
  test("person_detect: exactly TFLM's person_detect example ops, read from the flatbuffer's op codes", () => {
    const bytes = new Uint8Array(readFileSync(PERSON));
    const header = opResolverHeader(readTflite(bytes));
    // the ops TFLM's own person_detection example registers (and the five op codes in the file)
    expect(addCalls(header)).toEqual(['AddAveragePool2D', 'AddConv2D', 'AddDepthwiseConv2D', 'AddReshape', 'AddSoftmax']);
    expect(new Set(opCodeNames(bytes))).toEqual(new Set(['AVERAGE_POOL_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'RESHAPE', 'SOFTMAX']));
    expect(header).toContain('tflite::MicroMutableOpResolver<kReparoOpCount>');
    expect(header).toContain('constexpr int kReparoOpCount = 5;');
  });

  test('every op kind: one Add call per op code in the written flatbuffer, spelled as TFLM spells it', () => {
    const model = allOpsModel();
    const codes = opCodeNames(writeTflite(model));
    const expected: Record<string, string> = {
      ADD: 'AddAdd', AVERAGE_POOL_2D: 'AddAveragePool2D', CONV_2D: 'AddConv2D', DEPTHWISE_CONV_2D: 'AddDepthwiseConv2D',
      FULLY_CONNECTED: 'AddFullyConnected', LOGISTIC: 'AddLogistic', MAX_POOL_2D: 'AddMaxPool2D', MEAN: 'AddMean', MUL: 'AddMul',
      PAD: 'AddPad', RESHAPE: 'AddReshape', SOFTMAX: 'AddSoftmax',
    };
    const calls = addCalls(opResolverHeader(model));
    expect(calls.sort()).toEqual(codes.map((c) => expected[c]!).sort());
    expect(calls).toHaveLength(12);
    expect(opResolverHeader(model)).toContain('constexpr int kReparoOpCount = 12;');
  });
});

describe('model array', () => {
  test('the C array holds exactly the .tflite bytes, 16-byte aligned', () => {
    const bytes = new Uint8Array(readFileSync(PERSON));
    const { header, source } = modelArrayC(bytes);
    const body = /\{([\s\S]*?)\};/.exec(source)![1]!;
    const parsed = Uint8Array.from(body.match(/0x[0-9a-f]{2}/g)!, (h) => parseInt(h, 16));
    expect(Buffer.from(parsed).equals(Buffer.from(bytes))).toBe(true);
    expect(source).toMatch(/__attribute__\(\(aligned\(16\)\)\) const unsigned char reparo_model_tflite\[\]/);
    expect(source).toContain(`reparo_model_tflite_len = ${bytes.length}u;`);
    expect(header).toContain('extern const unsigned char reparo_model_tflite[];');
  });

  test('the array compiles (host cc) and its bytes read back through the linker equal the file', () => {
    const bytes = writeTflite(allOpsModel());
    const dir = join(work, 'array');
    mkdirSync(dir, { recursive: true });
    const { header, source } = modelArrayC(bytes);
    writeFileSync(join(dir, 'model_data.h'), header);
    writeFileSync(join(dir, 'model_data.c'), source);
    writeFileSync(
      join(dir, 'main.c'),
      '#include <stdio.h>\n#include <stdint.h>\n#include "model_data.h"\nint main(void){ if (((uintptr_t)reparo_model_tflite & 15u) != 0) return 1; fwrite(reparo_model_tflite, 1, reparo_model_tflite_len, stdout); return 0; }\n',
    );
    const exe = join(dir, 'dump');
    const cc = spawnSync('cc', ['-std=c99', '-Wall', '-Werror', '-o', exe, join(dir, 'main.c'), join(dir, 'model_data.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const run = spawnSync(exe, [], { maxBuffer: 1 << 24 });
    expect(run.status).toBe(0);
    expect(Buffer.from(run.stdout).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('projects', () => {
  const bytes = new Uint8Array(readFileSync(PERSON));
  const model = readTflite(bytes);

  test('Cortex-M: CMake project with the board, the base, the HIL loop and the generated sources', () => {
    const dir = join(work, 'an386');
    const p = emitTflmProject(model, findBoard('qemu-mps2-an386'), dir, { tfliteBytes: bytes });
    expect(p.kind).toBe('bare-metal');
    for (const f of ['CMakeLists.txt', 'arm-none-eabi.cmake', 'board.cmake', 'src/reparo_tflm.cc', 'src/model_ops.h', 'src/vectors.h', 'reparo/common/hil.c', 'reparo/base/startup.c', 'reparo/base/link.ld.in'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const board = readFileSync(join(dir, 'board.cmake'), 'utf8');
    expect(board).toContain('set(REPARO_CPU_FLAGS -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard)');
    expect(board).toContain('REPARO_UART0_BASE=0x40004000u');
    expect(board).toContain('set(RAM_BASE 0x20000000)');
    const config = readFileSync(join(dir, 'src/reparo_hil_config.h'), 'utf8');
    expect(config).toContain(`#define REPARO_MODEL_HASH "${p.modelHash}"`);
    expect(config).toContain(`#define REPARO_TFLM_ARENA_BYTES ${p.arenaBytes}u`);
    expect(config).toContain('#define REPARO_HIL_INPUT_CAPACITY 9216u');
    expect(config).toContain('#define REPARO_HIL_OUTPUT_CAPACITY 2u');
    // every placeholder of the linker script has a value in board.cmake
    for (const m of readFileSync(join(dir, 'reparo/base/link.ld.in'), 'utf8').matchAll(/@(\w+)@/g)) expect(board).toContain(`set(${m[1]} `);
  });

  test('RV32: the same project with the RISC-V base, its toolchain file and the C++ runtime stubs', () => {
    const dir = join(work, 'rv32');
    const p = emitTflmProject(model, findBoard('qemu-riscv32'), dir, { tfliteBytes: bytes });
    expect(p.kind).toBe('bare-metal');
    for (const f of ['riscv64-unknown-elf.cmake', 'src/cxx_runtime.cc', 'reparo/base/startup.S', 'reparo/base/uart.c', 'reparo/base/uart_text.c', 'reparo/base/link.ld.in'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    expect(existsSync(join(dir, 'arm-none-eabi.cmake'))).toBe(false);
    const board = readFileSync(join(dir, 'board.cmake'), 'utf8');
    expect(board).toContain('set(REPARO_TOOLCHAIN_FILE riscv64-unknown-elf.cmake)');
    expect(board).toContain('set(REPARO_CPU_FLAGS -march=rv32imc -mabi=ilp32 -misa-spec=2.2)');
    expect(board).toContain('REPARO_PLIC_BASE=0x0c000000u');
    for (const m of readFileSync(join(dir, 'reparo/base/link.ld.in'), 'utf8').matchAll(/@(\w+)@/g)) expect(board).toContain(`set(${m[1]} `);
  });

  test.skipIf(spawnSync('cmake', ['--version']).status !== 0)('Cortex-M: CMake configures against a minimal TFLM-shaped tree and refuses a wrong TFLM_DIR', () => {
    const dir = join(work, 'an386-cmake');
    emitTflmProject(model, findBoard('qemu-mps2-an386'), dir, { tfliteBytes: bytes });
    const configure = (tflm: string, build: string) =>
      spawnSync('cmake', ['-S', dir, '-B', join(work, build), `-DCMAKE_TOOLCHAIN_FILE=${join(dir, 'arm-none-eabi.cmake')}`, `-DTFLM_DIR=${tflm}`], { encoding: 'utf8' });
    const bad = configure(join(work, 'no-such-tflm'), 'b-bad');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.replace(/\s+/g, " ")).toMatch(/is not a tflite-micro checkout/);
    // a fake tree with the files the project probes for: configure must pass and fill the linker script
    const fake = join(work, 'fake-tflm');
    const dl = join(fake, 'tensorflow/lite/micro/tools/make/downloads');
    for (const [f, text] of [
      ['tensorflow/lite/micro/micro_interpreter.h', ''],
      ['tensorflow/lite/micro/micro_log.cc', 'int reparo_fake;\n'],
      ['tensorflow/lite/micro/debug_log.cc', ''],
      ['tensorflow/lite/micro/kernels/conv_test.cc', ''],
    ] as const) {
      mkdirSync(join(fake, f, '..'), { recursive: true });
      writeFileSync(join(fake, f), text);
    }
    for (const f of ['flatbuffers/include/flatbuffers/flatbuffers.h', 'gemmlowp/fixedpoint/fixedpoint.h', 'ruy/ruy/profiler/instrumentation.h']) {
      mkdirSync(join(dl, f, '..'), { recursive: true });
      writeFileSync(join(dl, f), '');
    }
    const ok = configure(fake, 'b-ok');
    expect(ok.status, ok.stderr).toBe(0);
    const ld = readFileSync(join(work, 'b-ok', 'link.ld'), 'utf8');
    expect(ld).toMatch(/RAM\s+\(rwx\) : ORIGIN = 0x20000000,\s+LENGTH = 0x400000/);
    expect(ld).not.toMatch(/@\w+@/);
    // the TFLM source list: tests and TFLM's host debug log are left out
    const objs = readFileSync(join(work, 'b-ok', 'CMakeFiles', 'tflm.dir', 'build.make'), 'utf8');
    expect(objs).toContain('micro_log.cc');
    expect(objs).not.toContain('debug_log.cc');
    expect(objs).not.toContain('conv_test.cc');
  });

  test('ESP-IDF: project with esp-tflite-micro, the chip and clock of the board, and every listed source present', () => {
    const dir = join(work, 'esp32s3');
    const p = emitTflmProject(model, findBoard('esp32-s3-devkitc-1'), dir, { tfliteBytes: bytes });
    expect(p.kind).toBe('esp-idf');
    expect(readFileSync(join(dir, 'main/idf_component.yml'), 'utf8')).toMatch(/^\s+espressif\/esp-tflite-micro:\s*$/m);
    const sdk = readFileSync(join(dir, 'sdkconfig.defaults'), 'utf8');
    expect(sdk).toContain('CONFIG_IDF_TARGET="esp32s3"');
    expect(sdk).toContain('CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240=y');
    expect(sdk).not.toMatch(/@\w+@/);
    expect(readFileSync(join(dir, 'CMakeLists.txt'), 'utf8')).toContain('include($ENV{IDF_PATH}/tools/cmake/project.cmake)');
    const srcs = /SRCS ([^\n]+)/.exec(readFileSync(join(dir, 'main/CMakeLists.txt'), 'utf8'))![1]!.match(/"([^"]+)"/g)!.map((s) => s.slice(1, -1));
    for (const s of srcs) expect(existsSync(join(dir, 'main', s)), s).toBe(true);
    expect(readFileSync(join(dir, 'main/reparo_hil_config.h'), 'utf8')).toContain('#define REPARO_BOARD_ID "esp32-s3-devkitc-1"');
    const c3 = emitTflmProject(model, findBoard('esp32-c3-devkitm-1'), join(work, 'esp32c3'), { tfliteBytes: bytes });
    expect(c3.kind).toBe('esp-idf');
    expect(readFileSync(join(work, 'esp32c3', 'sdkconfig.defaults'), 'utf8')).toContain('CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_160=y');
  });

  test('refuses boards without a base, bytes of another model, and float I/O', () => {
    expect(() => emitTflmProject(model, findBoard('nucleo-f446re'), join(work, 'nucleo'))).toThrow(/no bare-metal firmware base/);
    const other = writeTflite(allOpsModel());
    expect(() => emitTflmProject(model, findBoard('qemu-mps2-an386'), join(work, 'x'), { tfliteBytes: other })).toThrow(/not the model being emitted/);
    const b = new ModelBuilder();
    const x = b.float32('x', [1, 4]), y = b.int8('y', [1, 4], { scale: 0.1 });
    b.op({ op: 'QUANTIZE', inputs: [x], outputs: [y] });
    expect(() => emitTflmProject(b.build([x], [y]), findBoard('qemu-mps2-an386'), join(work, 'f'))).toThrow(/one int8 input and one int8 output/);
  });
});

describe('ESP-IDF build', () => {
  test('without IDF_PATH: E_BUILD that says to install ESP-IDF and source export.sh', () => {
    const dir = join(work, 'esp-noidf');
    emitTflmProject(readTflite(new Uint8Array(readFileSync(PERSON))), findBoard('esp32-devkitc'), dir);
    const env = { ...process.env };
    delete env.IDF_PATH;
    let err: unknown;
    try {
      buildEspIdf(dir, findBoard('esp32-devkitc'), { env });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReparoError);
    expect((err as ReparoError).code).toBe('E_BUILD');
    expect((err as ReparoError).message).toMatch(/IDF_PATH is not set/);
    expect((err as ReparoError).where.hint).toMatch(/install ESP-IDF/);
    expect((err as ReparoError).where.hint).toContain('. $IDF_PATH/export.sh');
  });

  test('IDF_PATH set but idf.py not on PATH: E_BUILD naming export.sh', () => {
    const dir = join(work, 'esp-noidf');
    expect(() => buildEspIdf(dir, findBoard('esp32-devkitc'), { env: { IDF_PATH: '/opt/esp-idf', PATH: join(work, 'empty-path') } })).toThrow(/idf\.py not found/);
  });

  test('a Cortex-M board or a folder that is not an ESP-IDF project is refused', () => {
    expect(() => buildEspIdf(join(work, 'esp-noidf'), findBoard('qemu-mps2-an386'), { env: { IDF_PATH: '/x' } })).toThrow(/not built with ESP-IDF/);
    expect(() => buildEspIdf(work, findBoard('esp32-devkitc'), { env: { IDF_PATH: '/x' } })).toThrow(/not an ESP-IDF project/);
  });
});
