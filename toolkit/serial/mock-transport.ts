/**
 * A strict in-memory Transport for tests: it keeps the contract of transport.ts and refuses what a
 * real port would not allow — a second read while one is pending, a negative or non-finite timeout,
 * any call after the port is gone (E_SERIAL naming the port). The test plays the board: `push`
 * queues bytes the board sends, `onWrite` sees every write (a simulated device answers from there),
 * `hangUp` makes the port vanish as an unplugged board or an exited QEMU would.
 */
import { ReparoError } from '../errors.ts';
import type { Transport } from './transport.ts';
import { ReceiveQueue } from './receive-queue.ts';

export class MockTransport implements Transport {
  readonly writes: Uint8Array[] = [];
  readonly signals: { dtr: boolean; rts: boolean }[] = [];
  baud: number | null = null;
  private readonly rx: ReceiveQueue;

  constructor(
    readonly path = 'mock',
    private readonly onWriteHook: (data: Uint8Array, port: MockTransport) => void = () => {},
  ) {
    this.rx = new ReceiveQueue(path);
  }

  get closed(): boolean {
    return this.rx.gone !== null;
  }

  /** Bytes the board sends (a string is taken as latin1). */
  push(data: Uint8Array | string): void {
    if (this.rx.gone !== null) return;
    this.rx.push(typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'latin1')) : data.slice());
  }

  /** The port disappears: pending and later calls reject with E_SERIAL. */
  hangUp(why = 'the device went away'): void {
    this.rx.clear();
    this.rx.fail(why);
  }

  async write(data: Uint8Array): Promise<void> {
    this.check();
    const copy = data.slice();
    this.writes.push(copy);
    this.onWriteHook(copy, this);
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) throw new ReparoError('E_USAGE', `MockTransport.read: timeout ${timeoutMs} is not a finite number ≥ 0`);
    if (this.rx.pending) throw new ReparoError('E_USAGE', 'MockTransport.read: another read is still pending (the contract allows one reader)');
    return this.rx.take(timeoutMs);
  }

  async setSignals(signals: { dtr: boolean; rts: boolean }): Promise<void> {
    this.check();
    this.signals.push({ ...signals });
  }

  async setBaud(baud: number): Promise<void> {
    this.check();
    this.baud = baud;
  }

  async close(): Promise<void> {
    this.rx.fail('closed by reparo');
  }

  /** Everything written so far, as latin1 text. */
  writtenText(): string {
    return Buffer.concat(this.writes).toString('latin1');
  }

  private check(): void {
    this.rx.check();
  }
}
