import { describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { findBoard } from '../../toolkit/boards/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { crc32Mpeg2, decodeUf2, encodeUf2, findUf2Drives, flashWithTool, UF2_FAMILIES, withBoot2Checksum } from '../../toolkit/flash/tools/index.ts';

const FIX = new URL('../fixtures/tool-output/', import.meta.url).pathname;
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const pico = findBoard('rpi-pico');

describe('UF2 encoder', () => {
  test("byte for byte the same as Microsoft's uf2conv.py (-b 0x10000000 -f 0xe48bff56)", () => {
    const ref = readFileSync(join(FIX, 'pattern-700-rp2040.uf2conv.uf2'));
    expect(Buffer.from(encodeUf2(pattern(700), 0x10000000, UF2_FAMILIES.rp2040!)).equals(ref)).toBe(true);
  });

  test('decodes back to the input, with the fields the format spec asks for', () => {
    const input = pattern(1000);
    const blocks = decodeUf2(encodeUf2(input, 0x10000000, 0xe48bff56));
    expect(blocks.length).toBe(4);
    blocks.forEach((b, i) => {
      expect(b).toMatchObject({ flags: 0x2000, targetAddr: 0x10000000 + 256 * i, payloadSize: 256, blockNo: i, numBlocks: 4, familyOrSize: 0xe48bff56 });
    });
    const joined = Buffer.concat(blocks.map((b) => b.data));
    expect(joined.subarray(0, 1000).equals(Buffer.from(input))).toBe(true);
    expect(joined.subarray(1000).every((x) => x === 0)).toBe(true);
    // the bytes past the payload in each block are zero (the spec: "padding, must be zero")
    const raw = encodeUf2(input, 0, 0xada52840);
    for (let o = 0; o < raw.length; o += 512) expect(raw.subarray(o + 32 + 256, o + 508).every((x) => x === 0)).toBe(true);
  });

  test('the decoder rejects a bad magic and blocks out of order', () => {
    const raw = encodeUf2(pattern(600), 0x10000000, 0xe48bff56);
    const bad = raw.slice();
    bad[508] ^= 1;
    expect(() => decodeUf2(bad)).toThrow(/byte 0: bad magic/);
    const swapped = new Uint8Array(raw.length);
    swapped.set(raw.subarray(512, 1024), 0);
    swapped.set(raw.subarray(0, 512), 512);
    swapped.set(raw.subarray(1024), 1024);
    expect(() => decodeUf2(swapped)).toThrow(/out of sequence/);
    expect(() => decodeUf2(raw.subarray(0, 500))).toThrow(/not a multiple of 512/);
  });
});

describe('RP2040 boot2 checksum', () => {
  test('CRC-32/MPEG-2: the catalogue check value, and the bit-reversal identity with zlib crc32', () => {
    expect(crc32Mpeg2(new TextEncoder().encode('123456789'))).toBe(0x0376e6e7);
    // MPEG-2 = reflect32(~crc32(reflect8 of every byte)): how pico-sdk's pad_checksum gets it from binascii
    const rev8 = (b: number) => Number.parseInt(b.toString(2).padStart(8, '0').split('').reverse().join(''), 2);
    const rev32 = (w: number) => Number.parseInt(w.toString(2).padStart(32, '0').split('').reverse().join(''), 2);
    const data = pattern(252);
    expect(crc32Mpeg2(data)).toBe(rev32((~crc32(Buffer.from(data.map(rev8)))) >>> 0));
  });

  test('written little-endian at byte 252 of a copy', () => {
    const bin = pattern(512);
    const out = withBoot2Checksum(bin);
    expect(Buffer.from(out).readUInt32LE(252)).toBe(crc32Mpeg2(bin.subarray(0, 252)));
    expect(out.subarray(256).every((x, i) => x === bin[256 + i])).toBe(true);
    expect(bin[252]).toBe(pattern(512)[252]);
    expect(() => withBoot2Checksum(new Uint8Array(100))).toThrow(/shorter than the 256-byte boot2/);
  });
});

describe('UF2 copy to a mounted drive (a temp folder with INFO_UF2.TXT)', () => {
  function mountRoot(boardId: string): { root: string; drive: string } {
    const root = mkdtempSync(join(tmpdir(), 'reparo-media-'));
    const drive = join(root, 'RPI-RP2');
    mkdirSync(drive);
    writeFileSync(join(drive, 'INFO_UF2.TXT'), `UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: ${boardId}\n`);
    writeFileSync(join(drive, 'INDEX.HTM'), '<html></html>');
    return { root, drive };
  }

  test('finds the drive by Board-ID, writes the image, and waits until the "bootloader" takes it', async () => {
    const { root, drive } = mountRoot('RPI-RP2');
    const img = join(mkdtempSync(join(tmpdir(), 'reparo-img-')), 'fw.bin');
    writeFileSync(img, pattern(700));
    expect(findUf2Drives([root, '/no/such/root'])).toEqual([{ path: drive, boardId: 'RPI-RP2' }]);
    // the fake bootloader: once a complete .uf2 is there, keep it and unmount (the drive disappears)
    let taken: Uint8Array | undefined;
    const watcher = setInterval(() => {
      const f = readdirSync(drive).find((n) => n.endsWith('.uf2'));
      if (!f) return;
      taken = readFileSync(join(drive, f));
      rmSync(drive, { recursive: true });
      clearInterval(watcher);
    }, 20);
    const r = await flashWithTool(pico, img, { mountRoots: [root], tool: 'uf2', timeoutMs: 5000 });
    clearInterval(watcher);
    expect(r.verified).toBe(false);
    const blocks = decodeUf2(taken!);
    expect(blocks[0]!.familyOrSize).toBe(0xe48bff56);
    expect(blocks[0]!.targetAddr).toBe(0x10000000);
    const payload = Buffer.concat(blocks.map((b) => b.data));
    expect(payload.readUInt32LE(252)).toBe(crc32Mpeg2(pattern(700).subarray(0, 252))); // boot2 CRC filled in
    expect(payload.subarray(256, 700).equals(Buffer.from(pattern(700).subarray(256)))).toBe(true);
  });

  test('a drive that stays → E_FLASH after the timeout; no matching drive → E_FLASH naming BOOTSEL', async () => {
    const { root, drive } = mountRoot('RPI-RP2');
    const img = join(mkdtempSync(join(tmpdir(), 'reparo-img-')), 'fw.bin');
    writeFileSync(img, pattern(300));
    const e1 = await flashWithTool(pico, img, { mountRoots: [root], tool: 'uf2', timeoutMs: 300 }).catch((x: unknown) => x);
    expect(e1).toBeInstanceOf(ReparoError);
    expect((e1 as ReparoError).message).toMatch(/still there 300 ms after the copy/);
    expect(readdirSync(drive).filter((n) => n.endsWith('.uf2'))).toHaveLength(1);
    expect(readdirSync(drive).some((n) => n.endsWith('.tmp'))).toBe(false);
    const other = mountRoot('NRF52-BOOT');
    const e2 = await flashWithTool(pico, img, { mountRoots: [other.root], tool: 'uf2', timeoutMs: 300 }).catch((x: unknown) => x);
    expect((e2 as ReparoError).code).toBe('E_FLASH');
    expect((e2 as ReparoError).message).toMatch(/no UF2 drive with Board-ID RPI-RP2/);
    expect((e2 as ReparoError).where.hint).toMatch(/BOOTSEL/);
  });
});
