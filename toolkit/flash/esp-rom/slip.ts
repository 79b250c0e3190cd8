/**
 * SLIP framing (RFC 1055) as the ESP ROM loader uses it: every packet starts and ends with 0xC0;
 * inside, 0xC0 → 0xDB 0xDC and 0xDB → 0xDB 0xDD.
 */
export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

export function slipEncode(packet: Uint8Array): Uint8Array {
  let n = 2;
  for (const b of packet) n += b === SLIP_END || b === SLIP_ESC ? 2 : 1;
  const out = new Uint8Array(n);
  let i = 0;
  out[i++] = SLIP_END;
  for (const b of packet) {
    if (b === SLIP_END) (out[i++] = SLIP_ESC), (out[i++] = SLIP_ESC_END);
    else if (b === SLIP_ESC) (out[i++] = SLIP_ESC), (out[i++] = SLIP_ESC_ESC);
    else out[i++] = b;
  }
  out[i] = SLIP_END;
  return out;
}

/**
 * Incremental decoder: feed it bytes as they arrive, in chunks of any size, and take whole packets.
 * Bytes outside frames are skipped. The last `keepRecent` raw bytes are kept so a caller can show
 * what the board printed instead of answering (its boot log). A frame with a bad escape or longer
 * than `maxPacket` is dropped and counted: garbage never becomes a packet.
 */
export class SlipDecoder {
  private buf: number[] = [];
  private inFrame = false;
  private escaped = false;
  private bad = false;
  private recent: number[] = [];
  dropped = 0;

  constructor(
    private readonly maxPacket = 0x10000 + 64,
    private readonly keepRecent = 1024,
  ) {}

  /** The last raw bytes received, as latin1 text (boot messages are ASCII). */
  get recentText(): string {
    return String.fromCharCode(...this.recent);
  }

  push(bytes: Uint8Array): Uint8Array[] {
    const packets: Uint8Array[] = [];
    this.recent.push(...bytes.subarray(Math.max(0, bytes.length - this.keepRecent)));
    if (this.recent.length > this.keepRecent) this.recent.splice(0, this.recent.length - this.keepRecent);
    for (const b of bytes) {
      if (b === SLIP_END) {
        if (this.inFrame && this.buf.length > 0) {
          if (this.bad || this.escaped) this.dropped++;
          else packets.push(Uint8Array.from(this.buf));
        }
        // one 0xC0 may both end a packet and start the next: stay in a frame, empty
        this.inFrame = true;
        this.buf = [];
        this.escaped = this.bad = false;
      } else if (!this.inFrame) {
        continue;
      } else if (this.escaped) {
        this.escaped = false;
        if (b === SLIP_ESC_END) this.buf.push(SLIP_END);
        else if (b === SLIP_ESC_ESC) this.buf.push(SLIP_ESC);
        else this.bad = true;
      } else if (b === SLIP_ESC) this.escaped = true;
      else if (this.buf.length >= this.maxPacket) this.bad = true;
      else this.buf.push(b);
    }
    return packets;
  }
}
