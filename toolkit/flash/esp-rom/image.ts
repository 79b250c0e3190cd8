/** Where each part of an ESP-IDF image goes, checked against what the ROM loader can write. */
import { createHash } from 'node:crypto';
import { ReparoError } from '../../errors.ts';
import type { Board } from '../../boards/index.ts';
import { APP_OFFSET, FLASH_SECTOR_SIZE, PARTITION_TABLE_OFFSET, type EspChip } from './chips.ts';

export interface EspImageParts {
  bootloader?: Uint8Array;
  partitionTable?: Uint8Array;
  app?: Uint8Array;
}
export interface FlashRegion {
  name: string;
  offset: number;
  data: Uint8Array;
}
/** a bare app binary, the three parts of an ESP-IDF build, or explicit regions */
export type EspImage = Uint8Array | EspImageParts | FlashRegion[];

/** A board option such as `appOffset`, as a number or a "0x…" string; the chip's default otherwise. */
function offsetOption(board: Board, key: string, fallback: number): number {
  const v = board.flashMethod.options[key];
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new ReparoError('E_BOARD', `board ${board.id}: flashMethod.options.${key} is '${String(v)}', not a flash offset`, { hint: 'give an offset like 65536 or "0x10000"' });
  return n;
}

export function imageRegions(board: Board, chip: EspChip, image: EspImage): FlashRegion[] {
  if (image instanceof Uint8Array) return [{ name: 'app', offset: offsetOption(board, 'appOffset', APP_OFFSET), data: image }];
  if (Array.isArray(image)) return image;
  const parts: FlashRegion[] = [];
  if (image.bootloader) parts.push({ name: 'bootloader', offset: offsetOption(board, 'bootloaderOffset', chip.bootloaderOffset), data: image.bootloader });
  if (image.partitionTable) parts.push({ name: 'partition table', offset: offsetOption(board, 'partitionTableOffset', PARTITION_TABLE_OFFSET), data: image.partitionTable });
  if (image.app) parts.push({ name: 'app', offset: offsetOption(board, 'appOffset', APP_OFFSET), data: image.app });
  return parts;
}

export interface CheckedRegion extends FlashRegion {
  /** MD5 (hex) of `data`, which is padded with 0xFF to a multiple of 4 as the ROM writes words */
  md5: string;
}

/**
 * Regions the ROM can write as given: non-empty, starting on a 4 KiB sector (the ROM erases whole
 * sectors from the start address), inside the board's flash, and not sharing a sector with each other
 * (erasing one part's last sector would wipe the next part's start).
 */
export function checkRegions(board: Board, regions: FlashRegion[]): CheckedRegion[] {
  if (regions.length === 0) throw new ReparoError('E_USAGE', `nothing to flash to board ${board.id}`, { hint: 'give an app binary, or bootloader / partition table / app parts' });
  const hex = (n: number) => `0x${n.toString(16)}`;
  const out = regions
    .map((r) => {
      if (r.data.length === 0) throw new ReparoError('E_USAGE', `image part '${r.name}' is empty`, { hint: 'check the build output' });
      if (r.offset % FLASH_SECTOR_SIZE !== 0)
        throw new ReparoError('E_USAGE', `image part '${r.name}' starts at ${hex(r.offset)}, not on a 4 KiB sector`, { hint: 'the ROM loader erases whole sectors from the start address: use a multiple of 0x1000' });
      if (r.offset + r.data.length > board.flash.total)
        throw new ReparoError('E_USAGE', `image part '${r.name}' (${r.data.length} B at ${hex(r.offset)}) runs past the ${board.flash.total / 1048576} MiB flash of board ${board.id}`, { hint: 'shrink the image or pick the board with the bigger flash' });
      const data = r.data.length % 4 ? padTo4(r.data) : r.data;
      return { ...r, data, md5: createHash('md5').update(data).digest('hex') };
    })
    .sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]!, cur = out[i]!;
    const prevErasedEnd = Math.ceil((prev.offset + prev.data.length) / FLASH_SECTOR_SIZE) * FLASH_SECTOR_SIZE;
    if (prevErasedEnd > cur.offset)
      throw new ReparoError('E_USAGE', `image parts '${prev.name}' (${hex(prev.offset)}, ${prev.data.length} B) and '${cur.name}' (${hex(cur.offset)}) overlap or share a flash sector`, { hint: 'check the offsets in the board file (flashMethod.options) against the partition table' });
  }
  return out;
}

function padTo4(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 4) * 4).fill(0xff);
  out.set(data);
  return out;
}
