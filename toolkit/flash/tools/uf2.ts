/**
 * UF2 (https://github.com/microsoft/uf2, facts): 512-byte blocks, little-endian words
 *   0 magicStart0 0x0A324655 ("UF2\n"), 4 magicStart1 0x9E5D5157, 8 flags, 12 targetAddr,
 *   16 payloadSize, 20 blockNo, 24 numBlocks, 28 fileSize or familyID, 32 data[476], 508 magicEnd 0x0AB16F30.
 * Flag 0x00002000 says word 28 is a family id. Payloads are 256 bytes (the RP2040 boot ROM takes only
 * 256-byte, 256-aligned blocks). A UF2 bootloader shows a USB drive with INFO_UF2.TXT ("Board-ID: …");
 * copying the file there flashes it and the drive goes away when the board restarts.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReparoError } from '../../errors.ts';

export const UF2_MAGIC_START0 = 0x0a324655;
export const UF2_MAGIC_START1 = 0x9e5d5157;
export const UF2_MAGIC_END = 0x0ab16f30;
export const UF2_FLAG_FAMILY_ID = 0x00002000;
const BLOCK = 512;
const PAYLOAD = 256;

/** Family ids from microsoft/uf2 utils/uf2families.json. */
export const UF2_FAMILIES: Record<string, number> = {
  rp2040: 0xe48bff56,
  nrf52840: 0xada52840,
  stm32f4: 0x57755a57,
  stm32f7: 0x53b80f00,
};

export function uf2FamilyId(name: string): number {
  const id = UF2_FAMILIES[name.toLowerCase()];
  if (id === undefined) throw new ReparoError('E_BOARD', `unknown UF2 family '${name}'`, { hint: `known: ${Object.keys(UF2_FAMILIES).join(', ')}` });
  return id;
}

/** A flat binary that starts at `base` → UF2 blocks of 256 bytes (the last one zero-padded). */
export function encodeUf2(bin: Uint8Array, base: number, familyId: number): Uint8Array {
  if (base % PAYLOAD !== 0) throw new ReparoError('E_USAGE', `UF2 base address 0x${base.toString(16)} is not 256-byte aligned`);
  const n = Math.max(1, Math.ceil(bin.length / PAYLOAD));
  const out = new Uint8Array(n * BLOCK);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const o = i * BLOCK;
    view.setUint32(o + 0, UF2_MAGIC_START0, true);
    view.setUint32(o + 4, UF2_MAGIC_START1, true);
    view.setUint32(o + 8, UF2_FLAG_FAMILY_ID, true);
    view.setUint32(o + 12, base + i * PAYLOAD, true);
    view.setUint32(o + 16, PAYLOAD, true);
    view.setUint32(o + 20, i, true);
    view.setUint32(o + 24, n, true);
    view.setUint32(o + 28, familyId, true);
    out.set(bin.subarray(i * PAYLOAD, (i + 1) * PAYLOAD), o + 32);
    view.setUint32(o + 508, UF2_MAGIC_END, true);
  }
  return out;
}

export interface Uf2Block {
  flags: number;
  targetAddr: number;
  payloadSize: number;
  blockNo: number;
  numBlocks: number;
  /** family id when flags has 0x2000, else the file size (or 0) */
  familyOrSize: number;
  data: Uint8Array;
}

/** Reads UF2 blocks back, checking every magic and the numbering; throws E_FLASH on the first bad block. */
export function decodeUf2(buf: Uint8Array): Uf2Block[] {
  if (buf.length === 0 || buf.length % BLOCK !== 0) throw new ReparoError('E_FLASH', `UF2 data is ${buf.length} bytes, not a multiple of 512`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const blocks: Uf2Block[] = [];
  for (let o = 0; o < buf.length; o += BLOCK) {
    const at = `UF2 block at byte ${o}`;
    if (view.getUint32(o, true) !== UF2_MAGIC_START0 || view.getUint32(o + 4, true) !== UF2_MAGIC_START1 || view.getUint32(o + 508, true) !== UF2_MAGIC_END)
      throw new ReparoError('E_FLASH', `${at}: bad magic`);
    const payloadSize = view.getUint32(o + 16, true);
    if (payloadSize > 476) throw new ReparoError('E_FLASH', `${at}: payload size ${payloadSize} > 476`);
    const b: Uf2Block = {
      flags: view.getUint32(o + 8, true),
      targetAddr: view.getUint32(o + 12, true),
      payloadSize,
      blockNo: view.getUint32(o + 20, true),
      numBlocks: view.getUint32(o + 24, true),
      familyOrSize: view.getUint32(o + 28, true),
      data: buf.slice(o + 32, o + 32 + payloadSize),
    };
    if (b.blockNo !== blocks.length || b.blockNo >= b.numBlocks) throw new ReparoError('E_FLASH', `${at}: block number ${b.blockNo} of ${b.numBlocks} out of sequence`);
    blocks.push(b);
  }
  return blocks;
}

/** The Board-ID line of an INFO_UF2.TXT, or undefined. */
export function uf2BoardId(infoText: string): string | undefined {
  return /^Board-ID:\s*(.+?)\s*$/m.exec(infoText)?.[1];
}

/** Default places where desktops mount removable drives. */
export function defaultMountRoots(): string[] {
  const user = process.env.USER ?? process.env.LOGNAME ?? '';
  return [join('/media', user), join('/run/media', user), '/media', '/Volumes'];
}

/** Mounted UF2 drives (folders holding INFO_UF2.TXT) directly under the roots, with their Board-ID. */
export function findUf2Drives(roots: string[]): { path: string; boardId: string | undefined }[] {
  const found: { path: string; boardId: string | undefined }[] = [];
  for (const root of roots) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue; // a root that does not exist here
    }
    for (const name of names) {
      const info = join(root, name, 'INFO_UF2.TXT');
      try {
        if (statSync(info).isFile()) found.push({ path: join(root, name), boardId: uf2BoardId(readFileSync(info, 'utf8')) });
      } catch {
        /* not a UF2 drive */
      }
    }
  }
  return found;
}

export interface Uf2CopyOptions {
  /** how long the drive may take to go away after the copy (the bootloader flashing and restarting) */
  timeoutMs: number;
  pollMs?: number;
}

/**
 * Writes `uf2` to the drive under a temporary name, renames it to `name`, then waits until the drive
 * is gone (the bootloader restarts into the new firmware). The bootloader may restart as soon as the
 * last block is written, so a rename that fails because the drive vanished counts as done.
 */
export async function copyUf2ToDrive(drive: string, uf2: Uint8Array, name: string, opts: Uf2CopyOptions): Promise<void> {
  const info = join(drive, 'INFO_UF2.TXT');
  const tmp = join(drive, `${name}.tmp`);
  try {
    writeFileSync(tmp, uf2);
    renameSync(tmp, join(drive, name));
  } catch (e) {
    if (existsSync(info)) {
      rmSync(tmp, { force: true });
      throw new ReparoError('E_FLASH', `cannot write ${name} to the UF2 drive ${drive}: ${(e as Error).message}`, { hint: 'check that the drive is mounted read-write and has room' });
    }
  }
  const deadline = Date.now() + opts.timeoutMs;
  while (existsSync(info)) {
    if (Date.now() > deadline)
      throw new ReparoError('E_FLASH', `the UF2 drive ${drive} is still there ${opts.timeoutMs} ms after the copy: the bootloader did not take the image`, {
        hint: 'check the family id and the base address (a UF2 bootloader ignores blocks of another family), then press reset',
      });
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
}
