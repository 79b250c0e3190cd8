/**
 * ELF → raw image for loaders that take bytes at an address (as `arm-none-eabi-objcopy -O binary`
 * would): the file bytes of every PT_LOAD segment, placed at its physical (load) address, gaps
 * filled with 0xFF (erased flash). ELF32 little-endian only (Cortex-M).
 */
import { ReparoError } from '../../errors.ts';

const PT_LOAD = 1;

export function elfToBin(elf: Uint8Array, file = '(elf)'): { address: number; bytes: Uint8Array } {
  const bad = (why: string) => new ReparoError('E_IO', `not a loadable ELF32 little-endian image: ${why}`, { file, hint: 'pass the .elf the build wrote, or a raw .bin' });
  if (elf.length < 52 || elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46) throw bad('no ELF magic');
  if (elf[4] !== 1 || elf[5] !== 1) throw bad('not 32-bit little-endian');
  const v = new DataView(elf.buffer, elf.byteOffset, elf.length);
  const phoff = v.getUint32(28, true), phentsize = v.getUint16(42, true), phnum = v.getUint16(44, true);
  if (phentsize < 32 || phoff + phnum * phentsize > elf.length) throw bad('program headers outside the file');
  const segs: Array<{ paddr: number; data: Uint8Array }> = [];
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * phentsize;
    if (v.getUint32(h, true) !== PT_LOAD) continue;
    const offset = v.getUint32(h + 4, true), paddr = v.getUint32(h + 12, true), filesz = v.getUint32(h + 16, true);
    if (!filesz) continue;
    if (offset + filesz > elf.length) throw bad(`segment ${i} runs past the end of the file`);
    segs.push({ paddr, data: elf.subarray(offset, offset + filesz) });
  }
  if (!segs.length) throw bad('no loadable segment with bytes');
  const address = Math.min(...segs.map((s) => s.paddr));
  const end = Math.max(...segs.map((s) => s.paddr + s.data.length));
  if (end - address > 64 * 1024 * 1024) throw bad(`segments span ${end - address} bytes (RAM and flash mixed?)`);
  const bytes = new Uint8Array(end - address).fill(0xff);
  for (const s of segs) bytes.set(s.data, s.paddr - address);
  return { address, bytes };
}
