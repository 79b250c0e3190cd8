/**
 * The ESP ROM loader's packets (facts from esptool's serial-protocol documentation). All fields are
 * little-endian. Request: 0x00, op, u16 data length, u32 checksum, data. Response: 0x01, op, u16 data
 * length, u32 value (READ_REG's result), data ending in status bytes: status (0 ok), error code, and on
 * the ROM loaders of the ESP32 family two reserved bytes more (the stub loader sends only two).
 */

export const Op = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  SYNC: 0x08,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
} as const;

export function opName(op: number): string {
  return Object.entries(Op).find(([, v]) => v === op)?.[0] ?? `op 0x${op.toString(16).padStart(2, '0')}`;
}

/** The error byte of a failed ROM command (esptool docs, "ROM Loader Errors"). */
export const ROM_ERRORS: Readonly<Record<number, string>> = {
  0x00: 'undefined error',
  0x01: 'invalid input parameter',
  0x02: 'out of memory',
  0x03: 'failed to send message',
  0x04: 'failed to receive message',
  0x05: 'invalid message format (command unsupported?)',
  0x06: 'message ok but the result is wrong',
  0x07: 'checksum error',
  0x08: 'flash write error (read-back CRC differs)',
  0x09: 'flash read error',
  0x0a: 'flash read length error',
  0x0b: 'deflate failed',
  0x0c: 'deflate Adler-32 error',
  0x0d: 'deflate parameter error',
  0x0e: 'invalid RAM binary size',
  0x0f: 'invalid RAM binary address',
  0x64: 'invalid parameter',
  0x65: 'invalid format',
  0x66: 'description too long',
  0x67: 'bad encoding description',
  0x69: 'insufficient storage',
};

export const ROM_INVALID_MESSAGE = 0x05;

/** SYNC's data: 0x07 0x07 0x12 0x20 then 32 × 0x55 (the 0x55 run lets the ROM detect the baud rate). */
export const SYNC_DATA: Uint8Array = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);

/** XOR of the bytes seeded with 0xEF; only FLASH_DATA / MEM_DATA / FLASH_DEFL_DATA carry it. */
export function checksum(data: Uint8Array): number {
  let c = 0xef;
  for (const b of data) c ^= b;
  return c;
}

export function words(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(4 * i, x >>> 0, true));
  return out;
}

export function encodeRequest(op: number, data: Uint8Array = new Uint8Array(0), chk = 0): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  const v = new DataView(out.buffer);
  out[0] = 0x00;
  out[1] = op;
  v.setUint16(2, data.length, true);
  v.setUint32(4, chk >>> 0, true);
  out.set(data, 8);
  return out;
}

/** A _DATA command's body: data length, sequence number, two zero words, then the data. */
export function dataBody(block: Uint8Array, seq: number): Uint8Array {
  const out = new Uint8Array(16 + block.length);
  out.set(words(block.length, seq, 0, 0));
  out.set(block, 16);
  return out;
}

export interface RomResponse {
  op: number;
  value: number;
  data: Uint8Array;
}

/** A response packet, or null when the bytes are not one (wrong direction, length field disagrees). */
export function decodeResponse(packet: Uint8Array): RomResponse | null {
  if (packet.length < 8 || packet[0] !== 0x01) return null;
  const v = new DataView(packet.buffer, packet.byteOffset, packet.length);
  const len = v.getUint16(2, true);
  if (len !== packet.length - 8) return null;
  return { op: packet[1]!, value: v.getUint32(4, true), data: packet.subarray(8) };
}
