import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFit, emitProject, FIRMWARE_FLASH_BYTES, readProject, wideWeightBudget } from '../../toolkit/codegen/emit.ts';
import { buildProject } from '../../toolkit/toolchain/project.ts';
import { findBoard } from '../../toolkit/boards/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { DEFAULT_WIDE_WEIGHT_BYTES, SMALLEST_WIDE_WEIGHT_BYTES } from '../../toolkit/codegen/native.ts';

const PERSON = new URL('../../../shared/models/person_detect.tflite', import.meta.url).pathname;

describe('reparo emit / build', () => {
  it('refuses a model too big for the board before writing anything, with the numbers and the biggest consumers', () => {
    const pd = readTflite(readFileSync(PERSON));
    const small = { ...findBoard('nucleo-f446re'), ram: { total: 64 * 1024, freeForModel: 48 * 1024 } };
    const out = join(mkdtempSync(join(tmpdir(), 'reparo-fit-')), 'proj');
    expect(() => emitProject(pd, small, out, { memory: 'fastest' })).toThrow(/does not fit nucleo-f446re: RAM 70\.6 KiB > 48\.0 KiB free; biggest: activation arena \(after buffer reuse\) 54\.6 KiB \(ram\)/);
    expect(existsSync(out)).toBe(false);
    // by default the smallest plan is tried where the fastest does not fit: row bands, 21.3 KiB of arena
    expect(emitProject(pd, small, out).memory?.plan).toBe('smallest');
    const smaller = { ...small, ram: { total: 64 * 1024, freeForModel: 32 * 1024 } };
    const out2 = join(mkdtempSync(join(tmpdir(), 'reparo-fit-')), 'proj');
    expect(() => emitProject(pd, smaller, out2)).toThrow(/does not fit nucleo-f446re: RAM 37\.3 KiB > 32\.0 KiB free; biggest: activation arena \(after buffer reuse\) 21\.3 KiB/);
    expect(existsSync(out2)).toBe(false);
  });

  it('does not overwrite a folder that is not a reparo project', () => {
    const pd = readTflite(readFileSync(PERSON));
    const dir = mkdtempSync(join(tmpdir(), 'reparo-keep-'));
    mkdirSync(join(dir, 'mine'));
    expect(() => emitProject(pd, findBoard('qemu-mps2-an386'), join(dir, 'mine'))).toThrow(/not a reparo project/);
  });

  it('writes TFLM projects (CMake for bare metal, ESP-IDF for ESP32) and native ESP-IDF projects whose builds say what they need when it is missing', () => {
    const pd = readTflite(readFileSync(PERSON));
    const root = mkdtempSync(join(tmpdir(), 'reparo-tflm-emit-'));
    const { fit, arenaSize } = emitProject(pd, findBoard('qemu-mps2-an386'), join(root, 'm4'), { runtime: 'tflm' });
    // the TFLM arena is reparo's estimate of TFLM's (activations as TFLM plans them + its own bookkeeping)
    expect(arenaSize).toBeGreaterThan(82_292 * 0.95);
    expect(fit.consumers.map((c) => c.what)).toContain('TFLM arena (estimate)');
    expect(existsSync(join(root, 'm4', 'app', 'CMakeLists.txt'))).toBe(true);
    expect(readProject(join(root, 'm4')).runtime).toBe('tflm');
    const env = { ...process.env };
    delete process.env.TFLM_DIR;
    delete process.env.IDF_PATH;
    try {
      expect(() => buildProject(join(root, 'm4'))).toThrow(/TFLM_DIR is not set[\s\S]*tflite-micro checkout/);
      emitProject(pd, findBoard('esp32-s3-devkitc-1'), join(root, 's3'), { runtime: 'tflm' });
      expect(readFileSync(join(root, 's3', 'app', 'main', 'idf_component.yml'), 'utf8')).toMatch(/espressif\/esp-tflite-micro/);
      expect(() => buildProject(join(root, 's3'))).toThrow(/IDF_PATH is not set[\s\S]*export\.sh/);
      // the native runtime as an ESP-IDF project: the same generated C, app_main, the ESP-IDF platform
      emitProject(pd, findBoard('esp32-c3-devkitm-1'), join(root, 'c3n'));
      const main = join(root, 'c3n', 'app', 'main');
      for (const f of ['model.c', 'backend.c', 'main.c', 'hil.c', 'platform_esp.c', 'CMakeLists.txt', 'idf_component.yml']) expect(existsSync(join(main, f)), f).toBe(true);
      expect(readFileSync(join(root, 'c3n', 'app', 'sdkconfig.defaults'), 'utf8')).toContain('CONFIG_IDF_TARGET="esp32c3"');
      expect(readProject(join(root, 'c3n')).runtime).toBe('native');
      expect(() => buildProject(join(root, 'c3n'))).toThrow(/IDF_PATH is not set[\s\S]*export\.sh/);
      // everything but the ESP-IDF platform compiles for the ESP32-C3's ISA with Debian's RISC-V gcc
      const sources = ['model.c', 'backend.c', 'main.c', 'hil.c', 'mlperf_dut.c', 'reparo_crc32.c'].map((f) => join(main, f));
      execFileSync('riscv64-unknown-elf-gcc', ['-march=rv32imc', '-mabi=ilp32', '-misa-spec=2.2', '--specs=picolibc.specs', '-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-DESP_PLATFORM', '-c', ...sources], { cwd: mkdtempSync(join(tmpdir(), 'reparo-c3-cc-')) });
    } finally {
      Object.assign(process.env, env);
    }
  });

  it('spends on int16 weight rows only the flash the board leaves, and counts them in the fit', () => {
    const pd = readTflite(readFileSync(PERSON));
    const weights = pd.tensors.reduce((a, t) => a + (t.data?.length ?? 0), 0);
    const roomy = findBoard('nucleo-f446re');
    expect(wideWeightBudget(pd, roomy)).toBe(DEFAULT_WIDE_WEIGHT_BYTES);
    // the smallest plan's band functions take flash of their own: it spends less on int16 rows
    expect(wideWeightBudget(pd, roomy, 'smallest')).toBe(SMALLEST_WIDE_WEIGHT_BYTES);
    expect(SMALLEST_WIDE_WEIGHT_BYTES).toBeLessThan(DEFAULT_WIDE_WEIGHT_BYTES);
    // a board with 10 KiB of flash beyond the int8 model and the firmware
    const tight = { ...roomy, flash: { total: 512 * 1024, freeForModel: weights + FIRMWARE_FLASH_BYTES + 10 * 1024 } };
    expect(wideWeightBudget(pd, tight)).toBe(10 * 1024);
    const fit = checkFit(pd, tight);
    expect(fit.fits).toBe(true);
    const wide = fit.consumers.find((c) => c.what.startsWith('int16 weight rows'));
    expect(wide!.bytes).toBeLessThanOrEqual(10 * 1024);
    expect(fit.flash.needed).toBe(weights + FIRMWARE_FLASH_BYTES + wide!.bytes);
  });
});
