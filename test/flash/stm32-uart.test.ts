/**
 * reparo's STM32 UART flasher against the simulator (itself proven by stm32flash in stm32-sim.test.ts).
 * Oracle: the image bytes and the simulator's flash array; every fault ends in a retry that succeeds
 * or in a bounded, named error.
 */
import { test, expect, describe, beforeAll, afterAll } from 'vitest';
import { findBoard, type Board } from '../../toolkit/boards/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { flashStm32Uart, openStm32BootPort, type FlashPhase, type Stm32FlashOptions } from '../../toolkit/flash/stm32-uart/index.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';
import { SIM_CHIPS, Stm32BootSim } from '../helpers/stm32-boot-sim.ts';

const FLASH = 0x08000000;
const K = 1024;
const f446 = findBoard('nucleo-f446re');
/**
 * Short waits, only where a timeout is the outcome under test (a silent board, a late autobaud
 * answer), so that those cases end quickly; every other case flashes with the defaults a user gets,
 * which a busy host must not exceed.
 */
const FAST: Stm32FlashOptions = { syncAttempts: 2, syncTimeoutMs: 150, timeouts: { ackMs: 300, eraseUnitMs: 1000, massEraseMs: 2000 } };

function randomImage(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24));
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

async function flashOnce(sim: Stm32BootSim, board: Board, image: Uint8Array, opts: Stm32FlashOptions = {}) {
  sim.reset();
  const t: Transport = await openStm32BootPort(sim.port);
  try {
    return await flashStm32Uart(t, board, image, opts);
  } finally {
    await t.close();
  }
}

async function flashError(sim: Stm32BootSim, board: Board, image: Uint8Array, opts: Stm32FlashOptions = {}): Promise<{ err: ReparoError; ms: number }> {
  const t0 = Date.now();
  const err = await flashOnce(sim, board, image, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReparoError);
  return { err: err as ReparoError, ms: Date.now() - t0 };
}

describe('flashStm32Uart on a simulated STM32F446 (nucleo-f446re)', () => {
  let sim: Stm32BootSim;
  beforeAll(async () => {
    sim = await Stm32BootSim.start(SIM_CHIPS.f446);
  });
  afterAll(async () => sim?.stop());

  test('flashes ~100 KB: flash equals the image, only the needed sectors are erased, Go to the flash base', async () => {
    const old = randomImage(512 * K, 9);
    sim.flash.set(old);
    sim.erasedUnits.length = 0;
    const image = randomImage(100_003, 10); // not a multiple of 4: the tail word is padded with 0xFF
    const seen: Record<FlashPhase, number[]> = { erase: [], write: [], verify: [] };
    const r = await flashOnce(sim, f446, image, { onProgress: (p, done, total) => seen[p].push(done / total) });

    expect(same(sim.flash.subarray(0, image.length), image)).toBe(true);
    // sectors 0–4 (4×16 + 64 KiB) are erased: beyond the image they read 0xFF; sectors 5–7 keep their old bytes
    expect(sim.erasedUnits).toEqual([0, 1, 2, 3, 4]);
    expect(sim.flash.subarray(image.length, 128 * K).every((b) => b === 0xff)).toBe(true);
    expect(same(sim.flash.subarray(128 * K), old.subarray(128 * K))).toBe(true);
    expect(sim.goAddress).toBe(FLASH);
    expect(r).toMatchObject({ deviceId: 0x421, deviceName: 'STM32F446xx', eraseCommand: 'extended-erase', erased: [0, 1, 2, 3, 4], bytes: image.length, retries: 0, verified: true, started: FLASH });
    // the pty has no DTR/RTS: said, not thrown (the board file has no sequence either)
    expect(r.reset.applied).toBe(false);
    for (const p of ['write', 'verify'] as const) {
      expect(seen[p].at(-1)).toBe(1);
      expect(seen[p].every((v, i) => i === 0 || v >= seen[p][i - 1]!)).toBe(true);
    }
    // everything written was read back: one Read Memory per 256 bytes
    expect(sim.commands.filter((c) => c === 0x11).length).toBe(Math.ceil(image.length / 256));
  });

  test('a reset sequence on a pty is detected as impossible and skipped', async () => {
    const wired: Board = { ...f446, serial: { ...f446.serial, reset: 'W5|R1|D1|W20|D0' } };
    const r = await flashOnce(sim, wired, randomImage(1000, 11));
    expect(r.reset).toMatchObject({ applied: false });
    expect(r.reset.applied === false && r.reset.reason).toMatch(/no DTR\/RTS lines/);
  });

  test('refuses a wrong device before erasing anything', async () => {
    const f746 = await Stm32BootSim.start(SIM_CHIPS.f746);
    try {
      const { err } = await flashError(f746, f446, randomImage(1000, 12));
      expect(err.code).toBe('E_FLASH');
      expect(err.message).toContain('board nucleo-f446re expects 0x421 (STM32F446xx), found 0x449 (STM32F74xxx/75xxx)');
      expect(f746.commands).not.toContain(0x44);
      expect(f746.commands).not.toContain(0x31);
    } finally {
      await f746.stop();
    }
  });

  test('a silent port (board not in its bootloader) fails fast with the BOOT0 hint', async () => {
    sim.faults.silent = true;
    try {
      const { err, ms } = await flashError(sim, f446, randomImage(1000, 13), FAST);
      expect(err.code).toBe('E_TIMEOUT');
      expect(err.message).toMatch(/no answer to 0x7F .* after 2 tries/);
      expect(err.message).toMatch(/BOOT0=1 and reset the board/);
      expect(ms).toBeLessThan(3000);
    } finally {
      sim.faults.silent = false;
    }
  });

  test('an autobaud ACK later than the wait: the second 0x7F left pending is cleared, flashing works', async () => {
    sim.faults.syncDelayMs = 250; // FAST waits 150 ms per 0x7F
    try {
      const image = randomImage(2000, 18);
      const r = await flashOnce(sim, f446, image, FAST);
      expect(r.retries).toBe(0); // realigned during sync, not by a failed Get
      expect(same(sim.flash.subarray(0, image.length), image)).toBe(true);
    } finally {
      sim.faults.syncDelayMs = 0;
    }
  });

  test('NACKed writes are retried and the image still lands', async () => {
    sim.faults.nackWrites = 2;
    const image = randomImage(3000, 14);
    const r = await flashOnce(sim, f446, image);
    expect(r.retries).toBe(2);
    expect(sim.faults.nackWrites).toBe(0);
    expect(same(sim.flash.subarray(0, image.length), image)).toBe(true);
  });

  test('garbled ACKs are resynced and retried (rewriting the same bytes is harmless on flash)', async () => {
    sim.faults.garbleWriteAcks = 2;
    const image = randomImage(3000, 15);
    const r = await flashOnce(sim, f446, image);
    expect(r.retries).toBe(2);
    expect(same(sim.flash.subarray(0, image.length), image)).toBe(true);
  });

  test('a board that goes silent mid-write ends in E_TIMEOUT naming the block, within the timeouts', async () => {
    sim.faults.silentAfterWrites = 5;
    try {
      const { err, ms } = await flashError(sim, f446, randomImage(5000, 16), FAST);
      expect(err.code).toBe('E_TIMEOUT');
      expect(err.message).toContain(`during write of 0x${(FLASH + 5 * 256).toString(16).padStart(8, '0')}`);
      expect(ms).toBeLessThan(5000);
    } finally {
      sim.faults.silent = false;
      sim.faults.silentAfterWrites = null;
    }
  });

  test('a flash cell that does not take the write fails the read-back, naming the first bad address', async () => {
    sim.faults.stuckCells = new Set([FLASH + 0x1234, FLASH + 0x2000]);
    try {
      const image = randomImage(10_000, 17);
      image[0x1234] = 0x00; // the stuck cell stays 0xFF after the erase, so it differs
      const { err } = await flashError(sim, f446, image);
      expect(err.code).toBe('E_FLASH');
      expect(err.message).toContain('verify failed');
      expect(err.message).toContain('at 0x08001234: wrote 0x00, read back 0xff');
      expect(sim.goAddress).toBeNull(); // not started
    } finally {
      sim.faults.stuckCells = new Set();
    }
  });

  test('an image bigger than the chip is refused before touching the port', async () => {
    const { err } = await flashError(sim, f446, new Uint8Array(512 * K + 4));
    expect(err.code).toBe('E_FLASH');
    expect(err.message).toMatch(/not inside the flash of STM32F446xx/);
  });
});

describe('other chips', () => {
  test('STM32F746 (stm32f746g-disco): 32 KiB sectors', async () => {
    const sim = await Stm32BootSim.start(SIM_CHIPS.f746);
    try {
      const image = randomImage(40_000, 20);
      const r = await flashOnce(sim, findBoard('stm32f746g-disco'), image);
      expect(r.erased).toEqual([0, 1]);
      expect(sim.erasedUnits).toEqual([0, 1]);
      expect(same(sim.flash.subarray(0, image.length), image)).toBe(true);
    } finally {
      await sim.stop();
    }
  });

  test('a bootloader with only the legacy Erase (0x43): 1 KiB pages of an STM32F103', async () => {
    const sim = await Stm32BootSim.start(SIM_CHIPS.f103);
    try {
      const image = randomImage(5000, 21);
      const r = await flashOnce(sim, f446, image, { deviceId: 0x410, address: FLASH + 2 * K });
      expect(r.eraseCommand).toBe('erase');
      expect(sim.erasedUnits).toEqual([2, 3, 4, 5, 6]);
      expect(sim.commands).toContain(0x43);
      expect(same(sim.flash.subarray(2 * K, 2 * K + image.length), image)).toBe(true);
      expect(sim.goAddress).toBe(FLASH + 2 * K);
    } finally {
      await sim.stop();
    }
  });
});
