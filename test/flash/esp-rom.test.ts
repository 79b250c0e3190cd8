/** The esp-rom flasher's pieces: SLIP, packets, reset sequences, chip data, image layout. */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import {
  CLASSIC_RESET,
  SlipDecoder,
  USB_JTAG_SERIAL_RESET,
  calibratedRomBaud,
  checkRegions,
  checksum,
  decodeResponse,
  encodeRequest,
  imageRegions,
  inflatedBlockSizes,
  parseResetSequence,
  resetPlanFor,
  runResetSequence,
  slipEncode,
  chipById,
} from '../../toolkit/flash/esp-rom/index.ts';
import { Op, SYNC_DATA, words } from '../../toolkit/flash/esp-rom/protocol.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** SLIP decoding written straight from RFC 1055, for the property test. */
function rfcDecode(frame: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 1; i < frame.length - 1; i++) out.push(frame[i] === 0xdb ? (frame[++i] === 0xdc ? 0xc0 : 0xdb) : frame[i]!);
  return out;
}

describe('SLIP', () => {
  test('property: encode → decode is the identity, in any chunking, after boot-log noise (seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        fc.uint8Array({ maxLength: 20 }).map((u) => u.filter((b) => b !== 0xc0)),
        (packets, cuts, noise) => {
          const frames = packets.map((p) => slipEncode(p));
          for (const [i, f] of frames.entries()) {
            expect(f[0]).toBe(0xc0);
            expect(f.at(-1)).toBe(0xc0);
            expect(f.subarray(1, -1).includes(0xc0)).toBe(false);
            expect(rfcDecode(f)).toEqual([...packets[i]!]);
          }
          const stream = Buffer.concat([Buffer.from(noise), ...frames.map((f) => Buffer.from(f))]);
          const dec = new SlipDecoder();
          const got: Uint8Array[] = [];
          let at = 0, k = 0;
          while (at < stream.length) {
            const n = cuts[k++ % cuts.length]!;
            got.push(...dec.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(got.map((g) => [...g])).toEqual(packets.map((p) => [...p]));
        },
      ),
      { seed: 20240611, numRuns: 300 },
    );
  });

  test('escapes by hand; a bad escape or an oversized frame is dropped, the next frame still decodes', () => {
    expect([...slipEncode(Uint8Array.from([1, 0xc0, 2, 0xdb, 3]))]).toEqual([0xc0, 1, 0xdb, 0xdc, 2, 0xdb, 0xdd, 3, 0xc0]);
    const dec = new SlipDecoder(8);
    expect(dec.push(Uint8Array.from([0xc0, 1, 0xdb, 0x00, 2, 0xc0, 0xc0, 7, 0xc0]))).toEqual([Uint8Array.from([7])]);
    expect(dec.push(Uint8Array.from([0xc0, ...new Array(9).fill(5), 0xc0, 0xc0, 6, 0xc0]))).toEqual([Uint8Array.from([6])]);
    expect(dec.dropped).toBe(2);
    dec.push(new TextEncoder().encode('rst:0x1 (POWERON_RESET),boot:0x13'));
    expect(dec.recentText).toMatch(/boot:0x13$/);
  });
});

describe('packets (vectors from esptool\'s serial-protocol documentation traces)', () => {
  test('SYNC and READ_REG requests are the documented wire bytes', () => {
    expect(Buffer.from(slipEncode(encodeRequest(Op.SYNC, SYNC_DATA))).toString('hex')).toBe('c000082400000000' + '0007071220' + '55'.repeat(32) + 'c0');
    expect(Buffer.from(slipEncode(encodeRequest(Op.READ_REG, words(0x40001000)))).toString('hex')).toBe('c0000a04000000000000100040c0');
  });

  test('documented responses decode; a length field that disagrees, or a request, does not', () => {
    expect(decodeResponse(hex('010a0200090000000000'))).toEqual({ op: 0x0a, value: 9, data: hex('0000') });
    expect(decodeResponse(hex('010804000707122000000000'))).toEqual({ op: 0x08, value: 0x20120707, data: hex('00000000') });
    expect(decodeResponse(hex('010a0300090000000000'))).toBeNull();
    expect(decodeResponse(hex('000a0200090000000000'))).toBeNull();
    expect(decodeResponse(hex('010a02'))).toBeNull();
  });

  test('checksum: XOR seeded with 0xEF', () => {
    expect(checksum(new Uint8Array(0))).toBe(0xef);
    expect(checksum(Uint8Array.from([0xef]))).toBe(0);
    expect(checksum(Uint8Array.from([0x01, 0x02, 0x04]))).toBe(0xef ^ 7);
    expect(checksum(new Uint8Array(1024).fill(0xff))).toBe(0xef); // an even count of equal bytes cancels
  });
});

/** A transport that records signal changes and waits in order (no serial port involved). */
function recorder(failSignals = false) {
  const events: string[] = [];
  const t: Transport = {
    path: '/dev/rec',
    closed: false,
    write: async () => {},
    read: async () => new Uint8Array(0),
    setSignals: async ({ dtr, rts }) => {
      if (failSignals) throw new ReparoError('E_SERIAL', 'cannot set DTR/RTS on /dev/rec: ioctl failed');
      events.push(`DTR=${+dtr} RTS=${+rts}`);
    },
    setBaud: async () => {},
    close: async () => {},
  };
  const wait = async (ms: number) => void events.push(`wait ${ms}`);
  return { t, events, wait };
}

describe('reset sequences', () => {
  test('classic: each run of D/R steps is one setSignals with both lines, waits in between', async () => {
    const r = recorder();
    await runResetSequence(r.t, CLASSIC_RESET, r.wait);
    // IO0 high + EN low (reset), 100 ms, IO0 low + EN high (boot into the loader), 50 ms, IO0 released
    expect(r.events).toEqual(['DTR=0 RTS=1', 'wait 100', 'DTR=1 RTS=0', 'wait 50', 'DTR=0 RTS=0']);
  });

  test('USB-Serial/JTAG: idle, IO0, reset with IO0, release', async () => {
    const r = recorder();
    await runResetSequence(r.t, USB_JTAG_SERIAL_RESET, r.wait);
    expect(r.events).toEqual(['DTR=0 RTS=0', 'wait 100', 'DTR=1 RTS=0', 'wait 100', 'DTR=0 RTS=1', 'wait 100', 'DTR=0 RTS=0']);
  });

  test('the plan follows the port: 303A:1001 gets the USB-Serial/JTAG sequence, a CP210x the board\'s own', () => {
    const s3 = findBoard('esp32-s3-devkitc-1');
    expect(resetPlanFor(s3, { vid: '303A', pid: '1001' }).enter).toBe(USB_JTAG_SERIAL_RESET);
    expect(resetPlanFor(s3, { vid: '10c4', pid: 'ea60' }).enter).toBe(s3.serial.reset);
    expect(resetPlanFor({ ...s3, serial: { ...s3.serial, reset: '' } }).enter).toBe(CLASSIC_RESET);
  });

  test('bad steps are refused with the step named; E_SERIAL from setSignals reaches the caller', async () => {
    expect(() => parseResetSequence('D0|R2|W10')).toThrow(/bad step 'R2'/);
    expect(() => parseResetSequence('D0|X1')).toThrow(ReparoError);
    expect(parseResetSequence('')).toEqual([]);
    const r = recorder(true);
    await expect(runResetSequence(r.t, CLASSIC_RESET, r.wait)).rejects.toMatchObject({ code: 'E_SERIAL' });
  });
});

describe('chips and image layout', () => {
  test('ESP32 CHANGE_BAUDRATE calibration (esptool\'s formula, by hand)', () => {
    // cali 1024, ck8m 100 → 1024 × 15625 × 100 / 40 = 40,000,000 Hz: nothing to correct
    expect(calibratedRomBaud(460800, 1024 << 7, 100)).toBe(460800);
    // cali 1000 → 39,062,500 Hz: ask for 460800 × 0.9765625 = 450000
    expect(calibratedRomBaud(460800, 1000 << 7, 100)).toBe(450000);
    // cali 666, 26 MHz crystal: 666 × 15625 × 100 / 40 = 26,015,625 Hz → 460800 × 1.000601 = 461076.9, floored
    expect(calibratedRomBaud(460800, 666 << 7, 100)).toBe(461076);
    // unreadable registers (0): no correction rather than a nonsense rate
    expect(calibratedRomBaud(460800, 0, 0)).toBe(460800);
  });

  test('ESP-IDF parts go to the chip\'s offsets, overridable from the board file', () => {
    const esp32 = findBoard('esp32-devkitc'), s3 = findBoard('esp32-s3-devkitc-1');
    const parts = { bootloader: new Uint8Array(10), partitionTable: new Uint8Array(10), app: new Uint8Array(10) };
    expect(imageRegions(esp32, chipById('esp32')!, parts).map((r) => r.offset)).toEqual([0x1000, 0x8000, 0x10000]);
    expect(imageRegions(s3, chipById('esp32s3')!, parts).map((r) => r.offset)).toEqual([0x0, 0x8000, 0x10000]);
    const moved = { ...s3, flashMethod: { ...s3.flashMethod, options: { ...s3.flashMethod.options, appOffset: '0x20000' } } };
    expect(imageRegions(moved, chipById('esp32s3')!, new Uint8Array(4))[0]!.offset).toBe(0x20000);
    const bad = { ...s3, flashMethod: { ...s3.flashMethod, options: { appOffset: 'soon' } } };
    expect(() => imageRegions(bad, chipById('esp32s3')!, new Uint8Array(4))).toThrow(/appOffset is 'soon'/);
  });

  test('regions the ROM cannot write are refused up front; odd lengths are padded with 0xFF to 4', () => {
    const b = findBoard('esp32-devkitc');
    const r = (offset: number, n: number, name = 'x') => ({ name, offset, data: new Uint8Array(n) });
    expect(() => checkRegions(b, [r(0x10800, 16)])).toThrow(/not on a 4 KiB sector/);
    expect(() => checkRegions(b, [r(0x3ff000, 8192)])).toThrow(/runs past the 4 MiB flash/);
    expect(() => checkRegions(b, [r(0x1000, 0x7001, 'bootloader'), r(0x8000, 16, 'pt')])).toThrow(/'bootloader' .* and 'pt' .* share a flash sector/);
    expect(() => checkRegions(b, [])).toThrow(/nothing to flash/);
    expect(() => checkRegions(b, [r(0x1000, 0)])).toThrow(/is empty/);
    const [one] = checkRegions(b, [{ name: 'a', offset: 0x10000, data: Uint8Array.from([1, 2, 3, 4, 5]) }]);
    expect([...one!.data]).toEqual([1, 2, 3, 4, 5, 0xff, 0xff, 0xff]);
    expect(one!.md5).toBe(createHash('md5').update(Uint8Array.from([1, 2, 3, 4, 5, 0xff, 0xff, 0xff])).digest('hex'));
  });

  test('inflatedBlockSizes: per 0x400 block of the stream, the bytes it inflates to, summing to the image', async () => {
    const img = Buffer.concat([Buffer.alloc(50_000), Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 7919) & 0xff))]);
    const stream = deflateSync(img, { level: 9 });
    const sizes = await inflatedBlockSizes(stream);
    expect(sizes.length).toBe(Math.ceil(stream.length / 0x400));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(img.length);
  });
});
