/**
 * Transport over node-serialport: real USB serial ports and the ptys of QEMU and of the simulators.
 * Received bytes are queued here (node-serialport emits them as they come); `read` drains the queue.
 * On a pty, the DTR/RTS ioctls fail (ptys have no modem lines): `setSignals` reports that as E_SERIAL
 * with the reason, and callers that only need a reset on real hardware skip it on virtual boards.
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { ReparoError } from '../errors.ts';
import type { Transport } from './transport.ts';
import { ReceiveQueue } from './receive-queue.ts';

/** `parity: 'even'` is for loaders that speak 8E1 (the STM32 system-memory bootloader); ptys ignore parity. */
export async function openSerialPort(path: string, baud: number, opts: { parity?: 'none' | 'even' } = {}): Promise<Transport> {
  const port = new SerialPort({ path, baudRate: baud, parity: opts.parity ?? 'none', autoOpen: false });
  await new Promise<void>((res, rej) =>
    port.open((e) =>
      e
        ? rej(new ReparoError('E_SERIAL', `cannot open serial port ${path}: ${e.message}`, { hint: 'check the path (reparo ports), that the board is plugged in, and that no other program holds the port' }))
        : res(),
    ),
  );
  return new SerialPortTransport(path, port);
}

/**
 * Opens `path` again after the board re-enumerated (a USB-JTAG-serial ESP32 after reset, a board
 * re-plugged): waits until the device node is back and opens, within `timeoutMs`.
 */
export async function reopenSerialPort(path: string, baud: number, opts: { timeoutMs?: number; parity?: 'none' | 'even' } = {}): Promise<Transport> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  let last: Error | undefined;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      try {
        return await openSerialPort(path, baud, opts);
      } catch (e) {
        last = e as Error; // the node exists before udev has set it up: try again
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ReparoError('E_SERIAL', `serial port ${path} did not come back within ${opts.timeoutMs ?? 5000} ms${last ? ` (${last.message})` : ''}`, {
    hint: 'the board re-enumerated under another name or not at all: check reparo ports and pass --port',
  });
}

/** time a write may take beyond what the bytes need at the line's rate */
const WRITE_SLACK_MS = 1000;

class SerialPortTransport implements Transport {
  private readonly rx: ReceiveQueue;

  constructor(
    readonly path: string,
    private readonly port: SerialPort,
  ) {
    this.rx = new ReceiveQueue(path);
    port.on('data', (d: Buffer) => this.rx.push(new Uint8Array(d)));
    port.on('close', () => this.rx.fail('the port closed'));
    port.on('error', (e: Error) => this.rx.fail(e.message));
  }

  get closed(): boolean {
    return this.rx.gone !== null;
  }

  private check(): void {
    this.rx.check();
  }

  async write(data: Uint8Array): Promise<void> {
    this.check();
    // a port whose far end vanished can leave drain (tcdrain) waiting forever: bound it by the line rate
    const limitMs = WRITE_SLACK_MS + Math.ceil((2 * 10 * 1000 * data.length) / this.port.baudRate);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((res, rej) => {
      timer = setTimeout(() => rej(new Error(`a ${data.length}-byte write did not drain within ${limitMs} ms`)), limitMs);
      this.port.write(Buffer.from(data), (e) => (e ? rej(e) : this.port.drain((e2) => (e2 ? rej(e2) : res()))));
    })
      .catch((e: Error) => {
        this.rx.fail(e.message);
        this.check();
      })
      .finally(() => clearTimeout(timer));
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    return this.rx.take(timeoutMs);
  }

  async setSignals(signals: { dtr: boolean; rts: boolean }): Promise<void> {
    this.check();
    await new Promise<void>((res, rej) =>
      this.port.set({ dtr: signals.dtr, rts: signals.rts }, (e) =>
        e ? rej(new ReparoError('E_SERIAL', `cannot set DTR/RTS on ${this.path}: ${e.message}`, { hint: 'ptys (QEMU, simulators) have no modem lines; real boards need a USB bridge that wires DTR/RTS' })) : res(),
      ),
    );
  }

  async setBaud(baud: number): Promise<void> {
    this.check();
    await new Promise<void>((res, rej) => this.port.update({ baudRate: baud }, (e) => (e ? rej(new ReparoError('E_SERIAL', `cannot set ${baud} baud on ${this.path}: ${e.message}`)) : res())));
  }

  async close(): Promise<void> {
    this.rx.fail('closed by reparo');
    // bounded too: closing behind a stuck drain must not hang the caller
    if (this.port.isOpen) await new Promise<void>((res) => (this.port.close(() => res()), setTimeout(res, WRITE_SLACK_MS).unref()));
  }
}
