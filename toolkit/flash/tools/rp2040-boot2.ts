/**
 * The RP2040 boot ROM runs the first 256 bytes of flash only when the CRC-32 in bytes 252..255 matches
 * bytes 0..251 (RP2040 datasheet 2.8.1.3: polynomial 0x04C11DB7, initial 0xFFFFFFFF, input and output
 * not reflected, no final XOR; stored little-endian). The linker leaves zero there
 * (firmware-templates/cortex-m-boards/rp2040/link.ld.in); this fills it in on the flat image.
 */
import { ReparoError } from '../../errors.ts';

export function crc32Mpeg2(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

/** A copy of the flat image (starting at the flash base) with the boot2 checksum written. */
export function withBoot2Checksum(bin: Uint8Array): Uint8Array {
  if (bin.length < 256) throw new ReparoError('E_FLASH', `RP2040 image is ${bin.length} bytes, shorter than the 256-byte boot2 stage`, { hint: 'link with firmware-templates/cortex-m-boards/rp2040/link.ld.in' });
  const out = new Uint8Array(bin); // a copy (a Buffer's slice() would be a view of the caller's bytes)
  new DataView(out.buffer).setUint32(252, crc32Mpeg2(out.subarray(0, 252)), true);
  return out;
}
