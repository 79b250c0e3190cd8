/**
 * The simulator is only worth what its oracle says: Debian's stm32flash (a separate implementation of
 * AN3155) must find, program, verify and read it like a chip. Then cross-checks: our client writes and
 * stm32flash reads back, stm32flash writes and our client reads back.
 */
import { test, expect, describe, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../../toolkit/boards/index.ts';
import { flashStm32Uart, openStm32BootPort, Stm32Bootloader } from '../../toolkit/flash/stm32-uart/index.ts';
import { SIM_CHIPS, Stm32BootSim } from '../helpers/stm32-boot-sim.ts';

const dir = mkdtempSync(join(tmpdir(), 'reparo-stm32-'));
const FLASH = 0x08000000;

function randomImage(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24));
}

/** stm32flash over the pty at 8N1 (ptys carry no parity bit), after a reset of the sim; async so the sim keeps running */
function stm32flash(sim: Stm32BootSim, ...args: string[]): Promise<{ code: number; out: string }> {
  sim.reset();
  return new Promise((res) =>
    execFile('stm32flash', ['-m', '8n1', '-b', '115200', ...args, sim.port], { timeout: 30_000, encoding: 'utf8' }, (e, stdout, stderr) =>
      res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

describe('simulator vs stm32flash (the oracle)', () => {
  let sim: Stm32BootSim;
  beforeAll(async () => {
    sim = await Stm32BootSim.start(SIM_CHIPS.f446);
  });
  afterAll(async () => sim?.stop());

  test('stm32flash identifies the simulated STM32F446', async () => {
    const r = await stm32flash(sim);
    expect(r.out).toContain('Device ID    : 0x0421 (STM32F446xx)');
    expect(r.out).toMatch(/Version\s+: 0x31/);
    expect(r.code).toBe(0);
    // stm32flash asks for the version, the command list and the id, in that order
    expect(sim.commands.slice(-3)).toEqual([0x01, 0x00, 0x02]);
  });

  test('stm32flash writes 100 KB with verify, and reads the same bytes back', async () => {
    const image = randomImage(100_000, 1);
    writeFileSync(join(dir, 'in.bin'), image);
    sim.flash.fill(0x5a); // old content everywhere: the erase must clear what the image needs
    sim.erasedUnits.length = 0;
    const w = await stm32flash(sim, '-w', join(dir, 'in.bin'), '-v', '-S', '0x08000000');
    expect(w.out).toContain('Wrote and verified address 0x080186a0');
    expect(w.code).toBe(0);
    expect(sim.erasedUnits).toEqual([0, 1, 2, 3, 4]); // 100 KB spans 4×16 KiB + the 64 KiB sector
    expect(Buffer.from(sim.flash.subarray(0, image.length)).equals(Buffer.from(image))).toBe(true);
    expect(sim.flash.subarray(128 * 1024).every((b) => b === 0x5a)).toBe(true);

    const r = await stm32flash(sim, '-r', join(dir, 'out.bin'), '-S', `0x08000000:${image.length}`);
    expect(r.code).toBe(0);
    expect(Buffer.from(readFileSync(join(dir, 'out.bin'))).equals(Buffer.from(image))).toBe(true);
  });

  test('flash only clears bits: stm32flash without erase sees its verify fail, as on a chip', async () => {
    const a = randomImage(4096, 2), b = randomImage(4096, 3);
    writeFileSync(join(dir, 'b.bin'), b);
    sim.flash.fill(0xff);
    sim.flash.set(a);
    const w = await stm32flash(sim, '-e', '0', '-w', join(dir, 'b.bin'), '-v', '-S', '0x08000000');
    expect(w.out).toMatch(/Failed to verify at address 0x0800/);
    expect(w.code).not.toBe(0);
    expect(sim.flash[0]).toBe(a[0]! & b[0]!);
  });

  test('STM32F746 and a legacy-Erase (0x43) STM32F103 are identified and programmed', async () => {
    for (const [chip, id, bytes, units] of [
      [SIM_CHIPS.f746, '0x0449 (STM32F74xxx/75xxx)', 40_000, [0, 1]],
      [SIM_CHIPS.f103, '0x0410 (STM32F10xxx Medium-density)', 5000, [0, 1, 2, 3, 4]],
    ] as const) {
      const s = await Stm32BootSim.start(chip);
      try {
        const image = randomImage(bytes, id.length);
        writeFileSync(join(dir, 'c.bin'), image);
        const w = await stm32flash(s, '-w', join(dir, 'c.bin'), '-v', '-S', '0x08000000');
        expect(w.out).toContain(`Device ID    : ${id}`);
        expect(w.code).toBe(0);
        expect(s.commands).toContain(chip.erase);
        expect(s.erasedUnits).toEqual(units);
        expect(Buffer.from(s.flash.subarray(0, bytes)).equals(Buffer.from(image))).toBe(true);
      } finally {
        await s.stop();
      }
    }
  });

  test('cross-check: reparo writes, stm32flash reads back', async () => {
    const image = randomImage(70_001, 4);
    sim.reset();
    const t = await openStm32BootPort(sim.port);
    try {
      await flashStm32Uart(t, findBoard('nucleo-f446re'), image);
    } finally {
      await t.close();
    }
    expect(sim.goAddress).toBe(FLASH); // stm32flash() resets the sim into its bootloader again
    const r = await stm32flash(sim, '-r', join(dir, 'x.bin'), '-S', `0x08000000:${image.length}`);
    expect(r.code).toBe(0);
    expect(Buffer.from(readFileSync(join(dir, 'x.bin'))).equals(Buffer.from(image))).toBe(true);
  });

  test('cross-check: stm32flash writes, reparo reads back', async () => {
    const image = randomImage(30_000, 5);
    writeFileSync(join(dir, 'y.bin'), image);
    const w = await stm32flash(sim, '-w', join(dir, 'y.bin'), '-S', '0x08000000', '-g', '0x08000000');
    expect(w.out).toContain('Starting execution at address 0x08000000... done.');
    expect(w.code).toBe(0);
    expect(sim.goAddress).toBe(FLASH);
    sim.reset(); // reset with BOOT0=1: back in the bootloader
    const t = await openStm32BootPort(sim.port);
    try {
      const bl = new Stm32Bootloader(t);
      expect(await bl.syncOnce(500)).toBe(true);
      expect(await bl.getId()).toBe(0x421);
      expect(await bl.getVersion()).toEqual({ version: 0x31, option1: 0, option2: 0 });
      expect((await bl.get()).commands).toContain(0x44);
      const back = new Uint8Array(image.length);
      for (let off = 0; off < image.length; off += 256) back.set(await bl.readMemory(FLASH + off, Math.min(256, image.length - off)), off);
      expect(Buffer.from(back).equals(Buffer.from(image))).toBe(true);
    } finally {
      await t.close();
    }
  });
});
