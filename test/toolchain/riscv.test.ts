/**
 * The RV32 firmware base (firmware-templates/riscv/) on the QEMU virt board qemu-riscv32: the hello
 * app greets over the NS16550A UART, multiplies and divides (the M extension), writes picolibc's
 * thread-local errno (the TLS block and tp set up by the startup), counts its fixed loop
 * to the instruction with mcycle under -icount shift=0, and exits through semihosting; a fault
 * reports mcause and leaves with exit code 3 instead of hanging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { RISCV_HELLO_APP_DIR, buildFirmware, runInQemu } from '../../toolkit/toolchain/index.ts';

const work = mkdtempSync(join(tmpdir(), 'reparo-riscv-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PROBE_DIR = new URL('./fixtures/probe/', import.meta.url).pathname;
const board = findBoard('qemu-riscv32');

describe('RV32 firmware base on qemu-riscv32', () => {
  it('hello: greets, computes with M, counts a loop exactly and repeatably, exits 0', async () => {
    const counts: number[] = [];
    for (const n of [100_000, 300_000]) {
      const b = buildFirmware(RISCV_HELLO_APP_DIR, board, { outDir: join(work, `hello-${n}`), defines: { LOOP_ITERATIONS: `${n}u` } });
      expect(b.command[0]).toBe('riscv64-unknown-elf-gcc');
      expect(b.size.text).toBeLessThan(4096);
      const runs = await Promise.all([runInQemu(b.elf, board), runInQemu(b.elf, board)]);
      for (const r of runs) {
        expect(r.exitCode, r.stdout + r.stderr).toBe(0);
        expect(r.argv[0]).toBe('qemu-system-riscv32');
        const lines = r.stdout.split(/\r?\n/);
        expect(lines[0]).toBe('reparo hello riscv32');
        expect(lines[1]).toBe(`mul/div ${Math.floor((1234567 * 89) / 7)}`);
        expect(lines[2]).toBe('errno 42'); // picolibc's thread-local errno: tp points at the TLS block
      }
      const m = runs.map((r) => /loop iterations (\d+) mcycle ticks (\d+) instructions (\d+)/.exec(r.stdout));
      expect(Number(m[0]![3])).toBe(Number(m[1]![3])); // deterministic
      counts.push(Number(m[0]![3]));
    }
    // 2 instructions per iteration: 200,000 more iterations cost exactly 400,000 more instructions
    expect(counts[1]! - counts[0]!).toBe(400_000);
    expect(counts[0]! - 200_000).toBeGreaterThanOrEqual(0);
    expect(counts[0]! - 200_000).toBeLessThan(50);
  });

  it('passes the semihosting exit code through', async () => {
    const b = buildFirmware(PROBE_DIR, board, { outDir: join(work, 'exit'), defines: { PROBE_EXIT: 7 } });
    const r = await runInQemu(b.elf, board);
    expect(r.stdout).toContain('probe');
    expect(r.exitCode).toBe(7);
  });

  it('a fault reports mcause and mepc and exits 3', async () => {
    const b = buildFirmware(PROBE_DIR, board, { outDir: join(work, 'fault'), defines: { PROBE_FAULT: 1 } });
    const r = await runInQemu(b.elf, board);
    expect(r.exitCode).toBe(3);
    // mcause 3: breakpoint (EBREAK)
    expect(r.stdout).toMatch(/reparo: unexpected exception mcause=0x00000003 mepc=0x8000[0-9a-f]{4}/);
  });
});
