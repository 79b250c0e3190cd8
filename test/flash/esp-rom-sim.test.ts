/**
 * The esp-rom flasher end to end: the real serialport Transport over socat ptys, into the ROM simulator.
 * Oracle: the simulator's flash bytes against the image, and node's MD5 of the image.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { flashEspRom, type FlashEspRomOptions } from '../../toolkit/flash/esp-rom/index.ts';
import { openSerialPort } from '../../toolkit/serial/serialport.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';
import { EspRomSim, once, seededBytes, SIM_EFUSE_CK8M_VALUE, SIM_RTC_CALI_VALUE, type EspRomSimOptions } from '../helpers/esp-rom-sim.ts';
import { ptyPair, type PtyPair } from '../helpers/pty-pair.ts';

const FLASH_DATA = 0x03, FLASH_DEFL_DATA = 0x11, SPI_FLASH_MD5 = 0x13;

/** Firmware-like bytes: random code, zero-filled data, repeated strings (so deflate has work to do). */
function firmwareLike(n: number, seed: number): Uint8Array {
  const out = seededBytes(n, seed);
  const text = new TextEncoder().encode('reparo: conv2d_3x3 requant shift ');
  for (let at = 4096; at < n; at += 16384) {
    out.fill(0, at, Math.min(n, at + 3000));
    for (let i = at + 3000; i < Math.min(n, at + 6000); i++) out[i] = text[i % text.length]!;
  }
  return out;
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

let open: { pair: PtyPair; sim: EspRomSim; host: Transport }[] = [];
afterEach(async () => {
  for (const o of open) {
    await o.host.close();
    await o.sim.stop();
    o.pair.close();
  }
  open = [];
});

async function rig(o: EspRomSimOptions) {
  const pair = await ptyPair();
  const sim = await EspRomSim.start(pair.b, o);
  const host = await openSerialPort(pair.a, 115200);
  open.push({ pair, sim, host });
  return { sim, host };
}

const fast: FlashEspRomOptions = { reset: false, commandTimeoutMs: 300, connectAttempts: 2, syncsPerAttempt: 3 };

describe('esp-rom flasher against the ROM simulator over ptys', () => {
  test('ESP32: a 200 KB app, plain FLASH_DATA, lands byte for byte at 0x10000 and nothing else changes', async () => {
    const { sim, host } = await rig({ chip: 'esp32' });
    const image = seededBytes(200_003, 1); // not a multiple of 4 or of the block: padding paths
    const progress: [number, number][] = [];
    const rep = await flashEspRom(host, findBoard('esp32-devkitc'), image, { ...fast, compress: false, onProgress: (w, t) => progress.push([w, t]) });
    const padded = new Uint8Array(200_004).fill(0xff);
    padded.set(image);
    expect(Buffer.from(sim.flash.subarray(0x10000, 0x10000 + image.length)).equals(Buffer.from(image))).toBe(true);
    expect(rep.regions).toEqual([{ name: 'app', offset: 0x10000, size: 200_004, sent: 200_004, md5: md5(padded) }]);
    expect(rep.chip).toBe('ESP32');
    // outside the erased sectors the flash is as it was
    const end = Math.ceil((0x10000 + image.length) / 4096) * 4096;
    expect(Buffer.from(sim.flash.subarray(0, 0x10000)).equals(Buffer.from(sim.initialFlash.subarray(0, 0x10000)))).toBe(true);
    expect(Buffer.from(sim.flash.subarray(end)).equals(Buffer.from(sim.initialFlash.subarray(end)))).toBe(true);
    expect(sim.flash.subarray(0x10000 + 200_004, end).every((b) => b === 0xff)).toBe(true);
    // progress: starts at 0, never goes back, ends at the total
    expect(progress[0]).toEqual([0, 200_004]);
    expect(progress.at(-1)).toEqual([200_004, 200_004]);
    expect(progress.every(([w], i) => i === 0 || w >= progress[i - 1]![0])).toBe(true);
    expect(sim.spiParams?.[1]).toBe(4 << 20);
    expect(sim.exited).toBe('run'); // no DTR/RTS on a pty: the ROM was asked to run the app
    expect(rep.resetSkipped).toMatch(/reset: false/);
  });

  test('ESP32-S3: bootloader + partition table + app, deflated, at the S3 offsets (0x0, 0x8000, 0x10000)', async () => {
    const { sim, host } = await rig({ chip: 'esp32s3' });
    const parts = { bootloader: firmwareLike(21_000, 2), partitionTable: firmwareLike(3072, 3), app: firmwareLike(280_000, 4) };
    const rep = await flashEspRom(host, findBoard('esp32-s3-devkitc-1'), parts, { ...fast, after: 'stay' });
    for (const [off, data] of [[0x0, parts.bootloader], [0x8000, parts.partitionTable], [0x10000, parts.app]] as const)
      expect(Buffer.from(sim.flash.subarray(off, off + data.length)).equals(Buffer.from(data))).toBe(true);
    expect(rep.regions.map((r) => [r.name, r.offset, r.md5])).toEqual([
      ['bootloader', 0x0, md5(parts.bootloader)],
      ['partition table', 0x8000, md5(parts.partitionTable)],
      ['app', 0x10000, md5(parts.app)],
    ]);
    const app = rep.regions[2]!;
    expect(app.sent).toBeLessThan(app.size * 0.8); // it really went deflated
    expect(sim.exited).toBeNull();
  });

  test('ESP32: the bootloader goes to 0x1000; ESP32-C3 with 2-byte status answers works too', async () => {
    const a = await rig({ chip: 'esp32' });
    const boot = firmwareLike(24_000, 5);
    await flashEspRom(a.host, findBoard('esp32-devkitc'), { bootloader: boot }, fast);
    expect(Buffer.from(a.sim.flash.subarray(0x1000, 0x1000 + boot.length)).equals(Buffer.from(boot))).toBe(true);
    expect(Buffer.from(a.sim.flash.subarray(0, 0x1000)).equals(Buffer.from(a.sim.initialFlash.subarray(0, 0x1000)))).toBe(true);

    const b = await rig({ chip: 'esp32c3', statusBytes: 2 });
    const app = firmwareLike(120_000, 6);
    const rep = await flashEspRom(b.host, findBoard('esp32-c3-devkitm-1'), app, fast);
    expect(Buffer.from(b.sim.flash.subarray(0x10000, 0x10000 + app.length)).equals(Buffer.from(app))).toBe(true);
    expect(rep.chip).toBe('ESP32-C3');
  });

  test('without reset: false, the DTR/RTS failure on a pty is detected and said, and flashing goes on', async () => {
    const { sim, host } = await rig({ chip: 'esp32' });
    const lines: string[] = [];
    const app = firmwareLike(40_000, 7);
    const rep = await flashEspRom(host, findBoard('esp32-devkitc'), app, { commandTimeoutMs: 300, log: (l) => lines.push(l) });
    expect(rep.resetSkipped).toMatch(/cannot drive DTR\/RTS/);
    expect(lines.join('\n')).toMatch(/reset skipped/);
    expect(Buffer.from(sim.flash.subarray(0x10000, 0x10000 + app.length)).equals(Buffer.from(app))).toBe(true);
    expect(sim.exited).toBe('run');
  });

  test('CHANGE_BAUDRATE on the ESP32 asks for the calibrated rate', async () => {
    const { sim, host } = await rig({ chip: 'esp32' });
    const rep = await flashEspRom(host, findBoard('esp32-devkitc'), firmwareLike(10_000, 8), { ...fast, baud: 921_600 });
    // esptool's formula by hand: cali = 1038, ck8m = 100 → ROM crystal 40,546,875 Hz, real one 40 MHz
    expect((SIM_RTC_CALI_VALUE >>> 7) & 0x1ffffff).toBe(1038);
    expect(SIM_EFUSE_CK8M_VALUE & 0xff).toBe(100);
    expect(sim.baudRequests).toEqual([934_200]);
    expect(rep.romBaud).toBe(934_200);
  });
});

describe('faults: detected, retried or a clear error, never a hang', () => {
  test('lost, garbled and refused answers to data blocks are retried (plain and deflate)', async () => {
    for (const compress of [false, true]) {
      const op = compress ? FLASH_DEFL_DATA : FLASH_DATA;
      const { sim, host } = await rig({
        chip: 'esp32s3',
        faults: {
          dropReply: (f) => f.op === op && f.nth % 37 === 5,
          flipReply: (f) => f.op === op && f.nth % 23 === 11,
          corruptRequest: once((f) => f.op === op && f.seq === 9),
        },
      });
      const app = firmwareLike(150_000, 9);
      const rep = await flashEspRom(host, findBoard('esp32-s3-devkitc-1'), app, { ...fast, compress });
      expect(Buffer.from(sim.flash.subarray(0x10000, 0x10000 + app.length)).equals(Buffer.from(app))).toBe(true);
      expect(rep.retries).toBeGreaterThan(2);
      expect(sim.log.some((l) => l === `${op.toString(16)} err 7`)).toBe(true); // the checksum error was seen
    }
  });

  test('a byte flipped in every 2nd, 3rd or 5th answer of every command (SYNC, chip id, SPI setup, MD5 …): retried, flash right', async () => {
    for (const period of [2, 3, 5]) {
      const { sim, host } = await rig({ chip: 'esp32s3', faults: { flipReply: (f) => (f.nth + f.op) % period === 0 } });
      const app = firmwareLike(60_000, 10 + period);
      const rep = await flashEspRom(host, findBoard('esp32-s3-devkitc-1'), app, { ...fast, connectAttempts: 3 });
      expect(Buffer.from(sim.flash.subarray(0x10000, 0x10000 + app.length)).equals(Buffer.from(app))).toBe(true);
      expect(rep.retries).toBeGreaterThan(0);
    }
  });

  test('a block whose answer never comes: E_TIMEOUT naming the block, after 3 tries, in bounded time', async () => {
    const { host } = await rig({ chip: 'esp32', faults: { dropReply: (f) => f.op === FLASH_DATA && f.seq === 4 } });
    const t0 = Date.now();
    const err = await flashEspRom(host, findBoard('esp32-devkitc'), firmwareLike(20_000, 11), { ...fast, compress: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReparoError);
    expect((err as ReparoError).code).toBe('E_TIMEOUT');
    expect((err as ReparoError).message).toMatch(/FLASH_DATA block 5 of 20 .* failed 3 times/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('a board that goes silent mid-write: a clear E_TIMEOUT, no hang', async () => {
    const { host } = await rig({ chip: 'esp32c3', faults: { silentAfter: 30 } });
    const t0 = Date.now();
    const err = await flashEspRom(host, findBoard('esp32-c3-devkitm-1'), firmwareLike(100_000, 12), fast).catch((e: unknown) => e);
    expect((err as ReparoError).code).toBe('E_TIMEOUT');
    expect((err as ReparoError).message).toMatch(/no answer to FLASH_DEFL_DATA/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('a board not in its bootloader: no SYNC answer, the boot mode it printed, and what to do', async () => {
    const { host } = await rig({ chip: 'esp32', inBootloader: false });
    const err = await flashEspRom(host, findBoard('esp32-devkitc'), firmwareLike(1000, 13), fast).catch((e: unknown) => e);
    expect((err as ReparoError).code).toBe('E_FLASH');
    expect((err as ReparoError).message).toMatch(/no answer to SYNC .* after 6 tries/);
    expect((err as ReparoError).message).toMatch(/boot mode 0x13 \(SPI_FAST_FLASH_BOOT\): it booted from flash/);
    expect((err as ReparoError).message).toMatch(/hold BOOT, tap EN/);
  });

  test('the wrong chip is refused before anything is written (magic register and security-info paths)', async () => {
    const a = await rig({ chip: 'esp32' });
    const err = await flashEspRom(a.host, findBoard('esp32-s3-devkitc-1'), firmwareLike(1000, 14), fast).catch((e: unknown) => e);
    expect((err as ReparoError).code).toBe('E_BOARD');
    expect((err as ReparoError).message).toMatch(/board esp32-s3-devkitc-1 expected ESP32-S3, ESP32 found/);
    expect((err as ReparoError).message).toMatch(/esp32-devkitc/);
    expect(Buffer.from(a.sim.flash).equals(Buffer.from(a.sim.initialFlash))).toBe(true);

    const b = await rig({ chip: 'esp32c3' });
    const err2 = await flashEspRom(b.host, findBoard('esp32-devkitc'), firmwareLike(1000, 15), fast).catch((e: unknown) => e);
    expect((err2 as ReparoError).message).toMatch(/board esp32-devkitc expected ESP32, ESP32-C3 found/);

    const c = await rig({ chip: 'esp32s2' }); // answers GET_SECURITY_INFO without a chip id: the magic word decides
    const err3 = await flashEspRom(c.host, findBoard('esp32-devkitc'), firmwareLike(1000, 16), fast).catch((e: unknown) => e);
    expect((err3 as ReparoError).message).toMatch(/expected ESP32, ESP32-S2 found/);
  });

  test('flash that reads back wrong: MD5 mismatch is E_FLASH with both digests', async () => {
    const { host } = await rig({ chip: 'esp32', faults: { corruptFlashAt: 0x10000 + 5000 } });
    const app = firmwareLike(30_000, 17);
    const err = await flashEspRom(host, findBoard('esp32-devkitc'), app, fast).catch((e: unknown) => e);
    expect((err as ReparoError).code).toBe('E_FLASH');
    expect((err as ReparoError).message).toContain(`image MD5 ${md5(app)}`);
    expect((err as ReparoError).message).toMatch(/verify failed for app at 0x10000/);
  });

  test('a lost or garbled MD5 answer is asked again, not taken for a bad flash', async () => {
    const a = await rig({ chip: 'esp32', faults: { dropReply: once((f) => f.op === SPI_FLASH_MD5) } });
    expect((await flashEspRom(a.host, findBoard('esp32-devkitc'), firmwareLike(30_000, 18), fast)).retries).toBe(1);
    // xor 0x01 into each of the 32 digits in turn: a digit stays a (wrong) digit, 'f' becomes 'g'
    for (const at of [8, 20, 39]) {
      const b = await rig({ chip: 'esp32', faults: { flipReply: once((f) => f.op === SPI_FLASH_MD5 && at) } });
      const rep = await flashEspRom(b.host, findBoard('esp32-devkitc'), firmwareLike(30_000, 18), fast);
      expect(rep.retries).toBe(1);
    }
  });
});
