/**
 * `reparo flash`: one entry for every method. The board file names the method; `method` overrides it
 * (e.g. stm32-uart on a Nucleo wired to its system bootloader). Each method verifies what it wrote
 * (QEMU: the image's SHA-256 and the firmware's answer; ESP ROM: MD5; STM32: read-back; probes: their
 * verify step; UF2 cannot read back and says so).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReparoError } from '../errors.ts';
import type { Board } from '../boards/index.ts';
import { findBoardPort } from '../serial/ports.ts';
import { openSerialPort } from '../serial/serialport.ts';
import { flashVirtualBoard } from './qemu.ts';
import { flashEspRom, type EspImage } from './esp-rom/index.ts';
import { elfToBin, flashStm32Uart, openStm32BootPort } from './stm32-uart/index.ts';
import { flashWithTool, type ToolMethod } from './tools/index.ts';

export type FlashMethod = Board['flashMethod']['method'];

export interface FlashBoardOptions {
  method?: FlashMethod;
  /** serial port for the ROM/bootloader methods (default: found by the board's USB id) */
  port?: string;
  /** every known board, for finding the port by USB id */
  boards: readonly Board[];
  onProgress?: (done: number, total: number, phase: string) => void;
}

export interface FlashOutcome {
  method: FlashMethod;
  verified: boolean;
  port?: string;
  bytes?: number;
  detail: string;
}

const isElf = (b: Uint8Array) => b.length > 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** An ESP-IDF build folder's three parts, or a single app .bin. */
function espImage(image: string): EspImage {
  const build = join(image, '..');
  const parts = { bootloader: join(build, 'bootloader', 'bootloader.bin'), partitionTable: join(build, 'partition_table', 'partition-table.bin') };
  const app = new Uint8Array(readFileSync(image));
  if (isElf(app)) throw new ReparoError('E_USAGE', 'the ESP ROM loader writes .bin images, not ELF files', { file: image, hint: 'pass the .bin that idf.py build wrote (build/<project>.bin)' });
  if (existsSync(parts.bootloader) && existsSync(parts.partitionTable))
    return { bootloader: new Uint8Array(readFileSync(parts.bootloader)), partitionTable: new Uint8Array(readFileSync(parts.partitionTable)), app };
  return app;
}

export async function flashBoard(board: Board, image: string, opts: FlashBoardOptions): Promise<FlashOutcome> {
  const method = opts.method ?? board.flashMethod.method;
  if (!existsSync(image)) throw new ReparoError('E_IO', 'no such image file', { file: image });
  const port = async () => opts.port ?? (await findBoardPort(board, opts.boards));
  switch (method) {
    case 'qemu': {
      if (!board.virtual) throw new ReparoError('E_USAGE', `${board.id} is a real board; the qemu method is for the virtual boards`);
      const s = await flashVirtualBoard(image, board);
      return { method, verified: true, port: s.pty, detail: `QEMU ${board.qemu!.machine}, pid ${s.pid}` };
    }
    case 'esp-rom': {
      const path = await port();
      const t = await openSerialPort(path, board.serial.baud);
      try {
        const r = await flashEspRom(t, board, espImage(image), { onProgress: (d, n) => opts.onProgress?.(d, n, 'write') });
        return { method, verified: true, port: path, bytes: r.bytes, detail: `${r.chip}, ${r.regions.length} region(s), MD5 checked${r.resetSkipped ? `; reset skipped: ${r.resetSkipped}` : ''}` };
      } finally {
        await t.close();
      }
    }
    case 'stm32-uart': {
      const path = await port();
      const raw = new Uint8Array(readFileSync(image));
      const { address, bytes } = isElf(raw) ? elfToBin(raw, image) : { address: undefined, bytes: raw };
      const t = await openStm32BootPort(path, board.serial.baud);
      try {
        const r = await flashStm32Uart(t, board, bytes, { address, onProgress: (phase, d, n) => opts.onProgress?.(d, n, phase) });
        return { method, verified: true, port: path, bytes: r.bytes, detail: `${r.deviceName}, ${r.erased.length} sector(s) erased, read back and compared` };
      } finally {
        await t.close();
      }
    }
    default: {
      const r = await flashWithTool(board, image, { tool: method as ToolMethod, onProgress: (p) => p.percent !== undefined && opts.onProgress?.(p.percent, 100, method) });
      return { method, verified: r.verified, detail: r.verified ? `${r.tool}, verified by the tool` : `${r.tool} (a UF2 copy cannot be read back)` };
    }
  }
}
