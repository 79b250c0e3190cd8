/**
 * The receive side every Transport shares: bytes queued in arrival order, `take` hands out all of
 * them or waits (up to a timeout) for the first, and a port that is gone is E_SERIAL naming it.
 */
import { ReparoError } from '../errors.ts';

export class ReceiveQueue {
  private chunks: Uint8Array[] = [];
  private waiter: (() => void) | null = null;
  /** why the port is gone; null while it is open */
  gone: string | null = null;

  constructor(private readonly path: string) {}

  get pending(): boolean {
    return this.waiter !== null;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length) this.chunks.push(bytes);
    this.wake();
  }

  /** The port is gone (once: the first reason stays); waiting reads end. */
  fail(why: string): void {
    this.gone ??= why;
    this.wake();
  }

  clear(): void {
    this.chunks = [];
  }

  check(): void {
    if (this.gone !== null) throw new ReparoError('E_SERIAL', `serial port ${this.path} is gone (${this.gone})`, { hint: 'is the board still connected? plug it in again and retry' });
  }

  async take(timeoutMs: number): Promise<Uint8Array> {
    if (!this.chunks.length) {
      this.check();
      await new Promise<void>((res) => {
        const t = setTimeout(() => {
          this.waiter = null;
          res();
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
    }
    if (!this.chunks.length) {
      this.check();
      return new Uint8Array(0);
    }
    const out = Buffer.concat(this.chunks);
    this.chunks = [];
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
