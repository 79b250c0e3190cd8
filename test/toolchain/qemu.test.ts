/**
 * Firmware base + QEMU: builds the hello app for the three virtual boards and runs it twice.
 * No skipping: without arm-none-eabi-gcc / qemu-system-arm these tests fail with E_BUILD, whose
 * message names the Debian packages to install.
 * Counts are instructions (-icount shift=0), not cycles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { HELLO_APP_DIR, buildFirmware, parseSizeA, parseSizeB, runInQemu } from '../../toolkit/toolchain/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';

const work = mkdtempSync(join(tmpdir(), 'reparo-build-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PROBE_DIR = new URL('./fixtures/probe/', import.meta.url).pathname;

const CASES = [
  { id: 'qemu-mps2-an386', core: 'cortex-m4f', instrPerTick: 40 },
  { id: 'qemu-mps2-an500', core: 'cortex-m7', instrPerTick: 40 },
  { id: 'qemu-mps2-an505', core: 'cortex-m33', instrPerTick: 50 },
] as const;

const LOOP = 100_000; // iterations of the 2-instruction loop in hello/main.c

describe('hello firmware on the virtual boards', () => {
  for (const c of CASES) {
    it(`${c.id}: builds, greets, exits 0, counts deterministically`, async () => {
      const board = findBoard(c.id);
      const build = buildFirmware(HELLO_APP_DIR, board, { outDir: join(work, c.id) });
      expect(build.size.text).toBeGreaterThan(200);
      expect(build.size.text).toBeLessThan(16 * 1024);
      expect(build.size.flashUsed).toBeLessThanOrEqual(board.flash.total);
      expect(build.size.ramUsed).toBeLessThanOrEqual(board.ram.total);
      expect(build.size.stack).toBe(16 * 1024);

      const runs = await Promise.all([runInQemu(build.elf, board, { timeoutMs: 15_000 }), runInQemu(build.elf, board, { timeoutMs: 15_000 })]);
      const counts = runs.map((r) => {
        expect(r.exitCode, r.stderr).toBe(0);
        const lines = r.stdout.split(/\r?\n/);
        expect(lines[0]).toBe(`reparo hello ${c.core}`);
        expect(lines).toContain('fpu 1.5*3=9/2'); // hardware float ran: CPACR was set
        const m = /^loop iterations (\d+) systick ticks (\d+) instructions (\d+)$/m.exec(r.stdout);
        expect(m, r.stdout).not.toBeNull();
        const [iters, ticks, instr] = [Number(m![1]), Number(m![2]), Number(m![3])];
        expect(iters).toBe(LOOP);
        expect(instr).toBe(ticks * c.instrPerTick);
        // 2 instructions per iteration plus a few dozen for the reads, at one-tick granularity
        expect(instr).toBeGreaterThanOrEqual(2 * LOOP - c.instrPerTick);
        expect(instr).toBeLessThanOrEqual(2 * LOOP + 200);
        return m![0];
      });
      expect(counts[1]).toBe(counts[0]); // -icount shift=0 is deterministic
    });
  }
});

describe('SysTick wrap counting', () => {
  it('counts a run longer than 2^24 ticks exactly (qemu-mps2-an386)', async () => {
    const board = findBoard('qemu-mps2-an386');
    const n = 400_000_000; // 800 M instructions = 20 M ticks at 40 instructions/tick: one wrap
    const b = buildFirmware(HELLO_APP_DIR, board, { outDir: join(work, 'wrap'), defines: { LOOP_ITERATIONS: `${n}u` } });
    const r = await runInQemu(b.elf, board, { timeoutMs: 20_000 });
    expect(r.exitCode).toBe(0);
    const m = /systick ticks (\d+) instructions (\d+)/.exec(r.stdout);
    expect(Number(m![1])).toBeGreaterThan(2 ** 24);
    expect(Number(m![2])).toBeGreaterThanOrEqual(2 * n - 40);
    expect(Number(m![2])).toBeLessThanOrEqual(2 * n + 200);
  });
});

describe('build and run errors', () => {
  const board = findBoard('qemu-mps2-an505');

  it('passes the semihosting exit code through', async () => {
    const b = buildFirmware(PROBE_DIR, board, { outDir: join(work, 'exit'), defines: { PROBE_EXIT: 7 } });
    const r = await runInQemu(b.elf, board, { timeoutMs: 15_000 });
    expect(r.stdout).toContain('probe');
    expect(r.exitCode).toBe(7);
  });

  it('kills a firmware that never exits and says so', async () => {
    const b = buildFirmware(PROBE_DIR, board, { outDir: join(work, 'hang'), defines: { PROBE_HANG: 1 } });
    const err = await runInQemu(b.elf, board, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReparoError);
    expect((err as ReparoError).code).toBe('E_BUILD');
    expect((err as ReparoError).message).toMatch(/did not exit within 1000 ms[\s\S]*probe/);
  });

  it('refuses an image that does not fit the board', () => {
    const tooBig = board.flash.total + 1024;
    let err: unknown;
    try {
      buildFirmware(PROBE_DIR, board, { outDir: join(work, 'big'), defines: { PROBE_FLASH_BYTES: tooBig } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReparoError);
    expect((err as ReparoError).code).toBe('E_BUILD');
    expect((err as ReparoError).message).toMatch(/does not fit board 'qemu-mps2-an505'.*FLASH overflowed/);
  });

  it('names the Debian packages when the toolchain is missing', () => {
    const path = process.env.PATH;
    process.env.PATH = join(work, 'no-such-dir');
    try {
      expect(() => buildFirmware(PROBE_DIR, board, { outDir: join(work, 'nopath') })).toThrow(/gcc-arm-none-eabi libnewlib-arm-none-eabi/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('refuses boards without a firmware base', () => {
    expect(() => buildFirmware(PROBE_DIR, findBoard('esp32-devkitc'))).toThrow(/no bare-metal firmware base[\s\S]*ESP-IDF/);
  });

  it('parses arm-none-eabi-size output', () => {
    expect(parseSizeB('   text\t   data\t    bss\t    dec\t    hex\tfilename\n    940\t      8\t  16396\t  17344\t   43c0\tfw.elf\n')).toEqual({ text: 940, data: 8, bss: 16396 });
    const a = parseSizeA('fw.elf  :\nsection            size        addr\n.vectors            192           0\n.stack            16384   541048832\nTotal             24973\n');
    expect(a.get('.vectors')).toBe(192);
    expect(a.get('.stack')).toBe(16384);
  });
});
