/**
 * HIL protocol v1 frames (firmware-templates/common/PROTOCOL.md):
 *   host → device   <body>*<len>/<crc>%
 *   device → host   <body>*<len>/<crc>\r\n
 * A device line whose length or CRC does not match is garbled: its body is never handed out, so no
 * number is ever read from it. A line without a trailer is unframed (boot banner, noise).
 */
import { ReparoError } from '../errors.ts';
import { crc32Hex } from './crc32.ts';

export const HOST_BODY_MAX = 200;

/** printable ASCII without '*' and '%' */
const BODY = /^[\x20-\x24\x26-\x29\x2b-\x7e]*$/;

export function encodeHostFrame(body: string): Uint8Array {
  if (body.length > HOST_BODY_MAX || !BODY.test(body))
    throw new ReparoError('E_USAGE', `cannot send '${body.slice(0, 40)}' as a HIL frame: bodies are at most ${HOST_BODY_MAX} printable characters without '*' or '%'`);
  return Buffer.from(`${body}*${body.length}/${crc32Hex(body)}%`, 'latin1');
}

/** The device's framing of `body` (what the firmware sends), without the line end. */
export function encodeDeviceFrame(body: string): string {
  return `${body}*${body.length}/${crc32Hex(body)}`;
}

export type DeviceLine =
  | { kind: 'frame'; body: string }
  | { kind: 'garbled'; text: string; why: string }
  | { kind: 'unframed'; text: string };

const TRAILER = /^(.*)\*(\d{1,10})\/([0-9a-f]{8})$/s;

/** Classifies one received line (CR/LF already stripped). */
export function decodeDeviceLine(text: string): DeviceLine {
  if (!text.includes('*')) return { kind: 'unframed', text };
  const m = TRAILER.exec(text);
  if (!m) return { kind: 'garbled', text, why: 'malformed trailer' };
  const [, body, len, crc] = m as unknown as [string, string, string, string];
  if (!BODY.test(body)) return { kind: 'garbled', text, why: 'non-printable or reserved byte in the body' };
  if (Number(len) !== body.length) return { kind: 'garbled', text, why: `length ${len} for ${body.length} bytes` };
  if (crc32Hex(body) !== crc) return { kind: 'garbled', text, why: 'CRC mismatch' };
  return { kind: 'frame', body };
}
