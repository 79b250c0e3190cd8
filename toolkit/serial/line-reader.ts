/**
 * Splits what a Transport receives into lines and classifies each as a frame, a garbled frame or an
 * unframed line (frame.ts). Bytes are taken as latin1, so any byte sequence is a string; a line longer
 * than `maxLineBytes` is reported garbled and skipped up to its end, so noise cannot exhaust memory.
 */
import type { Transport } from './transport.ts';
import { decodeDeviceLine, type DeviceLine } from './frame.ts';

export interface LineStats {
  frames: number;
  garbled: number;
  unframed: number;
}

export class FrameReader {
  private buf = '';
  private skipping = false;
  readonly stats: LineStats = { frames: 0, garbled: 0, unframed: 0 };

  constructor(
    private readonly transport: Transport,
    private readonly maxLineBytes = 1 << 20,
  ) {}

  /** The next line, or null when none is complete within `timeoutMs`. Rejects (E_SERIAL) when the port is gone. */
  async next(timeoutMs: number): Promise<DeviceLine | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.take();
      if (line) return line;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      const bytes = await this.transport.read(left);
      this.buf += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    }
  }

  /** Drops everything received so far (stale replies of an earlier attempt). */
  async discard(): Promise<void> {
    this.buf = '';
    this.skipping = false;
    while ((await this.transport.read(0)).length) {}
  }

  private take(): DeviceLine | null {
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) {
        if (this.buf.length > this.maxLineBytes) {
          this.buf = '';
          if (!this.skipping) {
            this.skipping = true;
            return this.count({ kind: 'garbled', text: '', why: `line longer than ${this.maxLineBytes} bytes` });
          }
        }
        return null;
      }
      const raw = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      return this.count(decodeDeviceLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw));
    }
  }

  private count(line: DeviceLine): DeviceLine {
    this.stats[line.kind === 'frame' ? 'frames' : line.kind]++;
    return line;
  }
}
