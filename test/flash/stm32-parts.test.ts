/** The STM32 flasher's pure parts: device layouts, reset strings, ELF → bin (oracle: arm-none-eabi-objcopy). */
import { test, expect, describe } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../../toolkit/boards/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { boardDeviceId, elfToBin, findStm32Device, flashSize, parseResetSequence, playResetSequence, unitRange, unitsCovering } from '../../toolkit/flash/stm32-uart/index.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';

const K = 1024;

describe('device table', () => {
  test('F446 and F746 sizes match their board files and the sector maps of RM0390 / RM0385', () => {
    for (const board of ['nucleo-f446re', 'stm32f746g-disco']) {
      const b = findBoard(board);
      const d = findStm32Device(boardDeviceId(b))!;
      expect(flashSize(d)).toBe(b.flash.total);
    }
    const f446 = findStm32Device(0x421)!;
    expect(unitRange(f446, 4)).toEqual({ start: 0x08010000, end: 0x08020000 });
    expect(unitRange(f446, 5)).toEqual({ start: 0x08020000, end: 0x08040000 });
    expect(unitsCovering(f446, 0x08000000, 0x08000001)).toEqual([0]);
    expect(unitsCovering(f446, 0x08003ffc, 0x08004004)).toEqual([0, 1]);
    expect(unitsCovering(f446, 0x0800fff0, 0x08020001)).toEqual([3, 4, 5]);
    const f746 = findStm32Device(0x449)!;
    expect(unitRange(f746, 5)).toEqual({ start: 0x08040000, end: 0x08080000 });
    expect(unitsCovering(f746, 0x08000000, 0x08000000 + 1024 * K)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => unitsCovering(f746, 0x08000000, 0x08000000 + 1024 * K + 1)).toThrow(/not inside the flash/);
  });

  test('a board without stm32UartDeviceId is an E_BOARD naming the option', () => {
    const b = findBoard('nucleo-f446re');
    expect(() => boardDeviceId({ ...b, flashMethod: { ...b.flashMethod, options: {} } })).toThrow(/stm32UartDeviceId/);
  });
});

describe('reset sequences', () => {
  test('parsed as the board schema writes them', () => {
    expect(parseResetSequence('')).toEqual([]);
    expect(parseResetSequence('R1|D1|W100|D0')).toEqual([{ line: 'rts', level: true }, { line: 'dtr', level: true }, { waitMs: 100 }, { line: 'dtr', level: false }]);
    expect(() => parseResetSequence('R2')).toThrow(ReparoError);
    expect(() => parseResetSequence('X1')).toThrow(/bad reset step 'X1'/);
  });

  test('played with both lines per change; a port without modem lines is reported, not thrown', async () => {
    const calls: Array<{ dtr: boolean; rts: boolean; at: number }> = [];
    const t0 = Date.now();
    const fake = (fail: boolean) =>
      ({
        path: '/dev/fake',
        setSignals: async (s: { dtr: boolean; rts: boolean }) => {
          if (fail) throw new ReparoError('E_SERIAL', 'cannot set DTR/RTS on /dev/fake: ioctl failed');
          calls.push({ ...s, at: Date.now() - t0 });
        },
      }) as unknown as Transport;
    expect(await playResetSequence(fake(false), 'R1|D1|W50|D0')).toEqual({ applied: true, steps: 4 });
    expect(calls.map(({ dtr, rts }) => ({ dtr, rts }))).toEqual([{ dtr: true, rts: true }, { dtr: false, rts: true }]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(45);
    const r = await playResetSequence(fake(true), 'D1|W10|D0');
    expect(r).toMatchObject({ applied: false });
    expect(r.applied === false && r.reason).toMatch(/\/dev\/fake has no DTR\/RTS lines/);
  });
});

describe('elfToBin', () => {
  test('same bytes as objcopy -O binary (with 0xFF gaps) for an image with .text and .data in flash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reparo-elf-'));
    writeFileSync(join(dir, 'a.c'), 'const unsigned t[64] = {1,2,3};\nunsigned d[16] = {7,8,9};\nunsigned *entry(void) { return d + t[1]; }\n');
    writeFileSync(
      join(dir, 'a.ld'),
      'MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 512K\n RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 128K }\n' +
        'SECTIONS { .text : { *(.text*) *(.rodata*) . = ALIGN(256); } > FLASH\n .data : { *(.data*) } > RAM AT > FLASH\n .bss : { *(.bss*) } > RAM }\n',
    );
    const elf = join(dir, 'a.elf');
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m4', '-mthumb', '-O1', '-nostdlib', '-T', join(dir, 'a.ld'), '-Wl,-e,entry', join(dir, 'a.c'), '-o', elf]);
    execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', '--gap-fill', '0xff', elf, join(dir, 'a.bin')]);
    const r = elfToBin(readFileSync(elf), elf);
    expect(r.address).toBe(0x08000000);
    expect(Buffer.from(r.bytes).equals(readFileSync(join(dir, 'a.bin')))).toBe(true);
    expect(r.bytes.length).toBeGreaterThan(256 + 64); // .data's initial values follow the aligned .text
  });

  test('refuses what is not an ELF32 LE image', () => {
    expect(() => elfToBin(new Uint8Array(100))).toThrow(/no ELF magic/);
    const truncated = new Uint8Array(60);
    truncated.set([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
    new DataView(truncated.buffer).setUint32(28, 1000, true);
    new DataView(truncated.buffer).setUint16(42, 32, true);
    new DataView(truncated.buffer).setUint16(44, 1, true);
    expect(() => elfToBin(truncated)).toThrow(/program headers outside the file/);
  });
});
