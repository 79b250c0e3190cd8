/**
 * The STM32 system-memory bootloader's UART protocol (ST AN3155), host side: one method per command,
 * each sending whole frames and waiting for every answer with a timeout. Facts (AN3155):
 * - 0x7F after reset lets the bootloader measure the baud rate; it answers ACK 0x79 (NACK 0x1F = refused);
 * - a command is its code and the code's complement; multi-byte fields end with the XOR of their bytes;
 * - addresses are 4 bytes, MSB first; Read/Write move at most 256 bytes, sent as N-1;
 * - Erase (0x43) takes 1-byte page numbers, Extended Erase (0x44) 2-byte ones; a chip has one or the other.
 * Failures throw ReparoError: E_FLASH for a refusal or a garbled answer, E_TIMEOUT for silence.
 */
import { ReparoError } from '../../errors.ts';
import type { Transport } from '../../serial/transport.ts';
import { hex8 } from './devices.ts';

export const ACK = 0x79;
export const NACK = 0x1f;
/** newer bootloaders send BUSY while a long operation runs; it means "keep waiting" */
export const BUSY = 0x76;
export const SYNC = 0x7f;

export const CMD = {
  get: 0x00,
  getVersion: 0x01,
  getId: 0x02,
  readMemory: 0x11,
  go: 0x21,
  writeMemory: 0x31,
  erase: 0x43,
  extendedErase: 0x44,
} as const;

/** Extended Erase special codes (in place of the page count) */
export const MASS_ERASE = 0xffff;
export const MAX_BLOCK = 256;

export interface Timeouts {
  /** an ACK or a short reply */
  ackMs: number;
  /** the ACK of one erase unit (F4/F7 128–256 KiB sectors take 1–4 s on real chips) */
  eraseUnitMs: number;
  /** mass erase (F4: up to ~16 s at x8 parallelism) */
  massEraseMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { ackMs: 1000, eraseUnitMs: 4000, massEraseMs: 40_000 };

export function xor(bytes: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < bytes.length; i++) c ^= bytes[i]!;
  return c;
}

/** address frame: 4 bytes MSB first + XOR checksum */
export function addressFrame(address: number): Uint8Array {
  const b = [(address >>> 24) & 0xff, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff];
  return Uint8Array.from([...b, xor(b)]);
}

/** Received bytes kept in order, handed out n at a time, each wait bounded. */
export class ByteQueue {
  private readonly buf: number[] = [];
  constructor(private readonly transport: Transport) {}

  /** exactly n bytes, or null when `timeoutMs` passes first (what did arrive stays queued) */
  async take(n: number, timeoutMs: number): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      const got = await this.transport.read(left);
      this.buf.push(...got);
    }
    return Uint8Array.from(this.buf.splice(0, n));
  }

  /** discards what is queued and whatever arrives until the line has been quiet for `quietMs` (at most `maxMs`) */
  async drain(quietMs: number, maxMs = 1000): Promise<number> {
    const deadline = Date.now() + maxMs;
    let dropped = this.buf.length;
    this.buf.length = 0;
    while (Date.now() < deadline) {
      const got = await this.transport.read(Math.min(quietMs, Math.max(1, deadline - Date.now())));
      if (!got.length) break;
      dropped += got.length;
    }
    return dropped;
  }
}

export interface BootloaderInfo {
  version: number;
  commands: number[];
}

/** One connection to the bootloader; every method is one AN3155 command. */
export class Stm32Bootloader {
  private readonly rx: ByteQueue;
  constructor(
    private readonly transport: Transport,
    readonly timeouts: Timeouts = DEFAULT_TIMEOUTS,
  ) {
    this.rx = new ByteQueue(transport);
  }

  private where(what: string): string {
    return `STM32 bootloader on ${this.transport.path}: ${what}`;
  }

  /** waits for ACK; NACK and any other byte are E_FLASH, silence is E_TIMEOUT */
  private async ack(what: string, timeoutMs = this.timeouts.ackMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const b = await this.rx.take(1, Math.max(0, deadline - Date.now()));
      if (!b) throw new ReparoError('E_TIMEOUT', this.where(`no answer to ${what} within ${timeoutMs} ms`), { hint: 'is the board still in its bootloader (BOOT0=1)? reset it and retry' });
      if (b[0] === ACK) return;
      if (b[0] === BUSY) continue;
      if (b[0] === NACK) throw new ReparoError('E_FLASH', this.where(`${what} refused (NACK)`), { hint: 'the chip may be read/write protected, or the address is not writable' });
      throw new ReparoError('E_FLASH', this.where(`${what}: got 0x${b[0]!.toString(16).padStart(2, '0')} instead of ACK`), { hint: 'noise on the line or a wrong baud rate/parity (the bootloader speaks 8E1)' });
    }
  }

  private async reply(n: number, what: string): Promise<Uint8Array> {
    const b = await this.rx.take(n, this.timeouts.ackMs);
    if (!b) throw new ReparoError('E_TIMEOUT', this.where(`${what}: reply cut short (expected ${n} bytes)`), { hint: 'reset the board into its bootloader and retry' });
    return b;
  }

  private async command(code: number, what: string): Promise<void> {
    await this.transport.write(Uint8Array.of(code, code ^ 0xff));
    await this.ack(what);
  }

  /**
   * One autobaud attempt: true once the bootloader answers. A bootloader that is already synced
   * takes 0x7F as a command byte and waits for its complement; the second 0x7F then makes an
   * invalid command, which it NACKs: that too means it is listening. An ACK that only comes after
   * the second 0x7F may be the late answer to the first, with the second left pending as half a
   * command, so then the byte alignment is re-established.
   */
  async syncOnce(timeoutMs: number): Promise<boolean> {
    await this.rx.drain(10, 100);
    for (let i = 0; i < 2; i++) {
      await this.transport.write(Uint8Array.of(SYNC));
      const b = await this.rx.take(1, timeoutMs);
      if (b && b[0] === ACK && i === 1) return this.resync();
      if (b && (b[0] === ACK || b[0] === NACK)) return true;
    }
    return false;
  }

  /**
   * Back to command level after a garbled, late or missing answer, whether or not the bootloader
   * holds half a command: single 0xFF bytes, each followed by a wait. The first answer of any kind
   * means a byte pair was just completed (0xFF 0xFF, or a pending byte and 0xFF), so nothing is
   * pending any more. Bounded by `tries` waits.
   */
  async resync(tries = 4): Promise<boolean> {
    await this.rx.drain(20, 300);
    for (let i = 0; i < tries; i++) {
      await this.transport.write(Uint8Array.of(0xff));
      if (await this.rx.take(1, this.timeouts.ackMs)) {
        await this.rx.drain(20, 300);
        return true;
      }
    }
    return false;
  }

  async get(): Promise<BootloaderInfo> {
    await this.command(CMD.get, 'Get (0x00)');
    const [n] = await this.reply(1, 'Get');
    const body = await this.reply(n! + 1, 'Get');
    await this.ack('Get (end)');
    return { version: body[0]!, commands: [...body.subarray(1)] };
  }

  async getVersion(): Promise<{ version: number; option1: number; option2: number }> {
    await this.command(CMD.getVersion, 'Get Version (0x01)');
    const [version, option1, option2] = await this.reply(3, 'Get Version');
    await this.ack('Get Version (end)');
    return { version: version!, option1: option1!, option2: option2! };
  }

  async getId(): Promise<number> {
    await this.command(CMD.getId, 'Get ID (0x02)');
    const [n] = await this.reply(1, 'Get ID');
    const pid = await this.reply(n! + 1, 'Get ID');
    await this.ack('Get ID (end)');
    if (pid.length < 2) throw new ReparoError('E_FLASH', this.where(`Get ID answered ${pid.length} byte(s), expected 2`));
    return (pid[0]! << 8) | pid[1]!;
  }

  async readMemory(address: number, length: number): Promise<Uint8Array> {
    if (length < 1 || length > MAX_BLOCK) throw new ReparoError('E_USAGE', `Read Memory moves 1..${MAX_BLOCK} bytes, asked for ${length}`);
    const what = `Read Memory at ${hex8(address)}`;
    await this.command(CMD.readMemory, what);
    await this.transport.write(addressFrame(address));
    await this.ack(`${what} (address)`);
    await this.transport.write(Uint8Array.of(length - 1, (length - 1) ^ 0xff));
    await this.ack(`${what} (length)`);
    return this.reply(length, what);
  }

  /** `data` must be 1..256 bytes, a multiple of 4, at a 4-byte aligned address (AN3155: word-aligned writes) */
  async writeMemory(address: number, data: Uint8Array): Promise<void> {
    if (data.length < 1 || data.length > MAX_BLOCK || data.length % 4 || address % 4)
      throw new ReparoError('E_USAGE', `Write Memory takes 4..${MAX_BLOCK} bytes in words at a word address, got ${data.length} at ${hex8(address)}`);
    const what = `Write Memory at ${hex8(address)}`;
    await this.command(CMD.writeMemory, what);
    await this.transport.write(addressFrame(address));
    await this.ack(`${what} (address)`);
    const frame = new Uint8Array(data.length + 2);
    frame[0] = data.length - 1;
    frame.set(data, 1);
    frame[data.length + 1] = xor(frame.subarray(0, data.length + 1));
    await this.transport.write(frame);
    await this.ack(`${what} (data)`);
  }

  /** Erase (0x43): 1-byte page numbers, at most 255 per command */
  async erase(pages: number[]): Promise<void> {
    if (!pages.length || pages.length > 255 || pages.some((p) => p < 0 || p > 0xff))
      throw new ReparoError('E_USAGE', `Erase (0x43) takes 1..255 page numbers below 256, got ${pages.length}`);
    await this.command(CMD.erase, 'Erase (0x43)');
    const frame = [pages.length - 1, ...pages];
    await this.transport.write(Uint8Array.from([...frame, xor(frame)]));
    await this.ack(`Erase of pages ${pages[0]}..${pages.at(-1)}`, this.timeouts.eraseUnitMs * pages.length);
  }

  /** Extended Erase (0x44): 2-byte page/sector numbers, or 'mass' for the whole flash */
  async extendedErase(pages: number[] | 'mass'): Promise<void> {
    await this.command(CMD.extendedErase, 'Extended Erase (0x44)');
    if (pages === 'mass') {
      await this.transport.write(Uint8Array.of(0xff, 0xff, 0x00));
      await this.ack('mass erase', this.timeouts.massEraseMs);
      return;
    }
    if (!pages.length || pages.length > 0xfff0) throw new ReparoError('E_USAGE', `Extended Erase takes 1..65520 page numbers, got ${pages.length}`);
    const frame = [((pages.length - 1) >> 8) & 0xff, (pages.length - 1) & 0xff, ...pages.flatMap((p) => [(p >> 8) & 0xff, p & 0xff])];
    await this.transport.write(Uint8Array.from([...frame, xor(frame)]));
    await this.ack(`Extended Erase of ${pages.length} unit(s) ${pages.join(',')}`, this.timeouts.eraseUnitMs * pages.length);
  }

  /** Go (0x21): the bootloader jumps to the vector table at `address` and stops answering */
  async go(address: number): Promise<void> {
    const what = `Go to ${hex8(address)}`;
    await this.command(CMD.go, what);
    await this.transport.write(addressFrame(address));
    await this.ack(`${what} (address)`);
  }
}
