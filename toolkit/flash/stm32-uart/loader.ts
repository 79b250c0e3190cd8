/**
 * Flashing a raw image through the STM32 system-memory bootloader: reset into it where DTR/RTS are
 * wired, sync, check the bootloader's commands and the chip's id against the board, erase only the
 * sectors/pages the image touches, write 256-byte blocks (retried after a NACK, a garbled answer or a
 * lost one), read everything back and compare, then Go to the image.
 */
import type { Board } from '../../boards/index.ts';
import { ReparoError } from '../../errors.ts';
import { openSerialPort } from '../../serial/serialport.ts';
import type { Transport } from '../../serial/transport.ts';
import { deviceLabel, findStm32Device, hex3, hex8, unitsCovering, } from './devices.ts';
import { CMD, DEFAULT_TIMEOUTS, MAX_BLOCK, Stm32Bootloader, type Timeouts } from './protocol.ts';
import { playResetSequence, type ResetOutcome } from './reset.ts';

export type FlashPhase = 'erase' | 'write' | 'verify';

export interface Stm32FlashOptions {
  /** where the image goes (default: the chip's flash base) */
  address?: number;
  /** expected product id; default: the board's flashMethod.options.stm32UartDeviceId */
  deviceId?: number;
  /** boot/reset sequence; default: the board's serial.reset */
  resetSequence?: string;
  /** 0x7F attempts before giving up, each waiting `syncTimeoutMs` (default 5 × 300 ms) */
  syncAttempts?: number;
  syncTimeoutMs?: number;
  /** retries of one block / erase after a NACK, a garbled or a missing answer (default 3) */
  retries?: number;
  timeouts?: Partial<Timeouts>;
  /** jump to the image when done (default true) */
  go?: boolean;
  onProgress?: (phase: FlashPhase, done: number, total: number) => void;
  onLog?: (line: string) => void;
}

export interface Stm32FlashResult {
  port: string;
  deviceId: number;
  deviceName: string;
  bootloaderVersion: number;
  eraseCommand: 'erase' | 'extended-erase';
  /** erase-unit (sector/page) numbers erased */
  erased: number[];
  address: number;
  bytes: number;
  /** blocks/commands that had to be retried */
  retries: number;
  verified: true;
  /** address Go jumped to, or null when `go: false` */
  started: number | null;
  reset: ResetOutcome;
  ms: number;
}

const REQUIRED: Array<[number, string]> = [
  [CMD.getId, 'Get ID (0x02)'],
  [CMD.readMemory, 'Read Memory (0x11)'],
  [CMD.writeMemory, 'Write Memory (0x31)'],
];

/** The bootloader speaks 8E1 (AN3155); ptys ignore the parity, so the same call serves the simulator. */
export function openStm32BootPort(path: string, baud = 115200): Promise<Transport> {
  return openSerialPort(path, baud, { parity: 'even' });
}

export function boardDeviceId(board: Board): number {
  const v = board.flashMethod.options['stm32UartDeviceId'];
  const id = typeof v === 'number' ? v : typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(id))
    throw new ReparoError('E_BOARD', `board ${board.id} has no flashMethod.options.stm32UartDeviceId (hex string like "0x421")`, {
      hint: 'add the chip\'s product id (AN2606) to the board file, or pass deviceId',
    });
  return id;
}

export async function flashStm32Uart(transport: Transport, board: Board, image: Uint8Array, opts: Stm32FlashOptions = {}): Promise<Stm32FlashResult> {
  const t0 = Date.now();
  const log = opts.onLog ?? (() => {});
  const progress = opts.onProgress ?? (() => {});
  const expected = opts.deviceId ?? boardDeviceId(board);
  const device = findStm32Device(expected);
  if (!device) throw new ReparoError('E_BOARD', `board ${board.id}: STM32 device id ${hex3(expected)} is not in reparo's device table`, { hint: 'add it to toolkit/flash/stm32-uart/devices.ts (AN2606 lists ids and layouts)' });
  const address = opts.address ?? device.flash.base;
  if (!image.length) throw new ReparoError('E_USAGE', 'the image is empty');
  if (address % 4) throw new ReparoError('E_USAGE', `image address ${hex8(address)} is not word aligned`);
  const padded = padToWords(image);
  const units = unitsCovering(device, address, address + padded.length);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const bl = new Stm32Bootloader(transport, timeouts);
  const retries = opts.retries ?? 3;
  let retried = 0;

  const reset = await playResetSequence(transport, opts.resetSequence ?? board.serial.reset);
  log(reset.applied ? `reset into the bootloader (${reset.steps} steps)` : `no reset: ${reset.reason}`);

  await sync(bl, transport.path, opts.syncAttempts ?? 5, opts.syncTimeoutMs ?? 300);

  /** runs `fn`, and after a refusal/garble/silence resyncs and runs it again, `retries` times at most */
  const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof ReparoError) || (e.code !== 'E_FLASH' && e.code !== 'E_TIMEOUT')) throw e;
        if (attempt >= retries) throw new ReparoError(e.code, `${what} failed ${attempt + 1} times; last: ${e.message.split('\n')[0]}`, e.where);
        retried++;
        log(`retrying ${what}: ${e.message.split('\n')[0]}`);
        if (!(await bl.resync()))
          throw new ReparoError('E_TIMEOUT', `STM32 bootloader on ${transport.path} stopped answering during ${what} (no NACK to a resync)`, {
            hint: 'reset the board into its bootloader (BOOT0=1) and flash again; check the cable',
          });
      }
    }
  };

  const info = await retry('Get (0x00)', () => bl.get());
  const missing = REQUIRED.filter(([c]) => !info.commands.includes(c)).map(([, n]) => n);
  const eraseCommand = info.commands.includes(CMD.extendedErase) ? 'extended-erase' : info.commands.includes(CMD.erase) ? 'erase' : null;
  if (!eraseCommand) missing.push('Erase (0x43) or Extended Erase (0x44)');
  if (opts.go !== false && !info.commands.includes(CMD.go)) missing.push('Go (0x21)');
  if (missing.length)
    throw new ReparoError('E_FLASH', `STM32 bootloader on ${transport.path} (v${info.version >> 4}.${info.version & 15}) lacks ${missing.join(', ')}`, {
      hint: 'this is not an AN3155 USART bootloader, or it is a variant reparo does not know',
    });

  const found = await retry('Get ID (0x02)', () => bl.getId());
  if (found !== expected)
    throw new ReparoError('E_FLASH', `board ${board.id} expects ${deviceLabel(expected)}, found ${deviceLabel(found)} on ${transport.path}`, {
      hint: 'wrong board plugged in, or wrong --board; nothing was erased',
    });
  log(`found ${deviceLabel(found)}, bootloader v${info.version >> 4}.${info.version & 15}, ${eraseCommand}`);

  progress('erase', 0, units.length);
  await retry(`erase of ${device.name} unit(s) ${units.join(',')}`, () => eraseUnits(bl, eraseCommand!, units));
  progress('erase', units.length, units.length);

  for (let off = 0; off < padded.length; off += MAX_BLOCK) {
    const block = padded.subarray(off, off + MAX_BLOCK);
    await retry(`write of ${hex8(address + off)}`, () => bl.writeMemory(address + off, block));
    progress('write', Math.min(off + MAX_BLOCK, image.length), image.length);
  }

  for (let off = 0; off < image.length; off += MAX_BLOCK) {
    const n = Math.min(MAX_BLOCK, image.length - off);
    const got = await retry(`read-back of ${hex8(address + off)}`, () => bl.readMemory(address + off, n));
    for (let i = 0; i < n; i++)
      if (got[i] !== image[off + i])
        throw new ReparoError('E_FLASH', `verify failed on ${transport.path} at ${hex8(address + off + i)}: wrote 0x${hex2(image[off + i]!)}, read back 0x${hex2(got[i]!)}`, {
          hint: 'the flash did not take the write (worn or write-protected sector?); erase and flash again, or check the option bytes',
        });
    progress('verify', off + n, image.length);
  }

  let started: number | null = null;
  if (opts.go !== false) {
    await retry(`Go to ${hex8(address)}`, () => bl.go(address));
    started = address;
  }
  return {
    port: transport.path,
    deviceId: found,
    deviceName: device.name,
    bootloaderVersion: info.version,
    eraseCommand: eraseCommand!,
    erased: units,
    address,
    bytes: image.length,
    retries: retried,
    verified: true,
    started,
    reset,
    ms: Date.now() - t0,
  };
}

async function sync(bl: Stm32Bootloader, path: string, attempts: number, timeoutMs: number): Promise<void> {
  for (let i = 0; i < attempts; i++) if (await bl.syncOnce(timeoutMs)) return;
  throw new ReparoError('E_TIMEOUT', `no answer to 0x7F on ${path} after ${attempts} tries: the STM32 is not in its UART bootloader`, {
    hint: 'set BOOT0=1 and reset the board (or wire DTR/RTS to NRST/BOOT0 and give the board a serial.reset sequence); on most STM32s the bootloader listens on USART1 (PA9/PA10), 8E1 (AN2606)',
  });
}

async function eraseUnits(bl: Stm32Bootloader, command: 'erase' | 'extended-erase', units: number[]): Promise<void> {
  if (command === 'extended-erase') return bl.extendedErase(units);
  if (units.some((u) => u > 0xff)) throw new ReparoError('E_FLASH', `Erase (0x43) cannot name page ${Math.max(...units)} (one byte per page)`);
  for (let i = 0; i < units.length; i += 255) await bl.erase(units.slice(i, i + 255));
}

/** the bootloader writes whole words: pad with 0xFF, the erased value, which leaves those bytes as they were */
function padToWords(image: Uint8Array): Uint8Array {
  if (image.length % 4 === 0) return image;
  const out = new Uint8Array(image.length + 4 - (image.length % 4)).fill(0xff);
  out.set(image);
  return out;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

