/** The image handed to a flashing tool: its format, its load address, and a flat binary when a tool needs one. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Board } from '../../boards/index.ts';
import { ReparoError } from '../../errors.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { withBoot2Checksum } from './rp2040-boot2.ts';
import type { FlashImage } from './tool.ts';

const OBJCOPY = 'arm-none-eabi-objcopy';
const FORMATS: Record<string, FlashImage['format']> = { '.elf': 'elf', '.axf': 'elf', '.hex': 'hex', '.ihex': 'hex', '.bin': 'bin', '.uf2': 'uf2' };

/** Where the board's flash starts, as the core sees it. */
export function flashBase(board: Board): number {
  const base = board.memory?.flashBase ?? board.qemu?.flashBase;
  if (!base) throw new ReparoError('E_BOARD', `board '${board.id}' does not say where its flash starts`, { hint: 'add memory.flashBase to its board file' });
  return Number.parseInt(base, 16);
}

export function describeImage(board: Board, path: string): FlashImage {
  const format = FORMATS[extname(path).toLowerCase()];
  if (!format) throw new ReparoError('E_USAGE', `cannot tell the format of ${path}`, { hint: `name it ${Object.keys(FORMATS).join(', ')}` });
  return { path, format, base: flashBase(board) };
}

/** An .elf or .hex as a flat binary from its lowest load address (objcopy), which must be the flash base. */
export function toBinary(image: FlashImage, workDir: string): FlashImage {
  if (image.format === 'bin') return image;
  if (image.format === 'uf2') throw new ReparoError('E_USAGE', `${image.path} is a UF2 file; this step needs the .elf or .bin`);
  const out = join(workDir, `${basename(image.path, extname(image.path))}.bin`);
  const r = spawnSync(OBJCOPY, [...(image.format === 'hex' ? ['-I', 'ihex'] : []), '-O', 'binary', image.path, out], { encoding: 'utf8' });
  if (r.error)
    throw new ReparoError('E_FLASH', `'${OBJCOPY}' is not installed`, { hint: 'install it: apt-get install binutils-arm-none-eabi' });
  if (r.status !== 0) throw new ReparoError('E_FLASH', `${OBJCOPY} could not turn ${image.path} into a binary: ${r.stderr.trim()}`, { file: image.path });
  return { ...image, path: out, format: 'bin' };
}

/** RP2040 images get their boot2 checksum filled in (a copy in workDir; the input is left alone). */
export function withBoardFixups(board: Board, image: FlashImage, workDir: string): FlashImage {
  if (board.flashMethod.options['rp2040Boot2'] !== true || image.format !== 'bin') return image;
  const out = join(workDir, `${basename(image.path, '.bin')}.boot2.bin`);
  writeFileAtomic(out, withBoot2Checksum(readFileSync(image.path)));
  return { ...image, path: out };
}
