/**
 * A fake ESP32-family ROM serial loader on one end of a pty pair, for testing the esp-rom flasher
 * through a real serial port. It keeps a flash array with NOR semantics (erase → 0xFF, a write can only
 * clear bits, so a missing erase shows up), checks what the ROM checks (sync first, SPI attach before
 * flash commands, lengths, checksums, sequence numbers, sector-aligned erases), inflates deflated data,
 * answers MD5 over a region as 32 ASCII hex digits, and injects faults on request.
 *
 * Written apart from toolkit/flash/esp-rom on purpose (own SLIP, own packet code, own chip table, from
 * esptool's documentation): a mistake shared by the flasher and its oracle would go unseen.
 */
import { createHash } from 'node:crypto';
import { constants as zc, inflateSync } from 'node:zlib';
import { openSerialPort } from '../../toolkit/serial/serialport.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';

export type SimChip = 'esp32' | 'esp32s2' | 'esp32s3' | 'esp32c3';

/** Facts from esptool's targets: magic word at 0x40001000, GET_SECURITY_INFO chip id (none: not in the answer / no command). */
const CHIPS: Record<SimChip, { magic: number; securityId?: number; securityInfo: boolean; fifthBeginWord: boolean }> = {
  esp32: { magic: 0x00f01d83, securityInfo: false, fifthBeginWord: false },
  esp32s2: { magic: 0x000007c6, securityInfo: true, fifthBeginWord: true },
  esp32s3: { magic: 0x00000009, securityId: 9, securityInfo: true, fifthBeginWord: true },
  esp32c3: { magic: 0x1b31506f, securityId: 5, securityInfo: true, fifthBeginWord: true },
};

/**
 * ESP32 registers read for the CHANGE_BAUDRATE calibration (esptool: RTCCALICFG1 bits 7..31, efuse
 * word 4 bits 0..7): cali 1038 and ck8m 100 make the ROM estimate its 40 MHz crystal at
 * 1038 × 15625 × 100 / 40 = 40,546,875 Hz. The other bits are set to catch missing masks.
 */
export const SIM_RTC_CALI_REG = 0x3ff5f06c;
export const SIM_EFUSE_CK8M_REG = 0x3ff5a010;
export const SIM_RTC_CALI_VALUE = (1038 << 7) | 0x55;
export const SIM_EFUSE_CK8M_VALUE = 0x1234_5600 | 100;

/** What a fault rule sees: the command, its data block's sequence number (data commands), and how many of this op came before. */
export interface FaultInfo {
  op: number;
  seq?: number;
  nth: number;
}
export type FaultRule = (f: FaultInfo) => boolean;
/** true: change a byte inside the SLIP frame (a rotating position); a number: xor 0x01 into that byte of the packet */
export type FlipRule = (f: FaultInfo) => boolean | number;

export interface EspRomSimOptions {
  chip: SimChip;
  flashSize?: number;
  /** status bytes at the end of each answer: 4 on the ROMs, 2 on the stub (default 4) */
  statusBytes?: 2 | 4;
  /** false: the chip booted its app; it prints a boot log and ignores everything */
  inBootloader?: boolean;
  faults?: {
    /** process the command but send no answer */
    dropReply?: FaultRule;
    /** send the answer with one byte changed */
    flipReply?: FlipRule;
    /** change one data byte of the request before checking it (→ checksum error) */
    corruptRequest?: FaultRule;
    /** answer nothing at all after this many commands */
    silentAfter?: number;
    /** after the first write that covers it, flip this flash address (MD5 will then differ) */
    corruptFlashAt?: number;
  };
}

const OP = { FLASH_BEGIN: 0x02, FLASH_DATA: 0x03, FLASH_END: 0x04, SYNC: 0x08, READ_REG: 0x0a, SPI_SET_PARAMS: 0x0b, SPI_ATTACH: 0x0d, CHANGE_BAUDRATE: 0x0f, FLASH_DEFL_BEGIN: 0x10, FLASH_DEFL_DATA: 0x11, FLASH_DEFL_END: 0x12, SPI_FLASH_MD5: 0x13, GET_SECURITY_INFO: 0x14 };
const ERR = { badParam: 0x01, invalidMsg: 0x05, wrongResult: 0x06, checksum: 0x07, deflate: 0x0b };
const BLOCK = 0x400, SECTOR = 0x1000;

interface Download {
  deflate: boolean;
  offset: number;
  size: number;
  blocks: number;
  blockSize: number;
  next: number;
  compressed: Buffer[];
  inflated: number;
}

/** Deterministic bytes (xorshift32) so that a failing run can be replayed. */
export function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export class EspRomSim {
  readonly flash: Uint8Array;
  /** the flash as it was before anything was written (to check what was left alone) */
  readonly initialFlash: Uint8Array;
  readonly log: string[] = [];
  /** CHANGE_BAUDRATE requests, as received */
  readonly baudRequests: number[] = [];
  exited: 'run' | 'reboot' | null = null;
  spiParams: number[] | null = null;
  private synced = false;
  private attached = false;
  private download: Download | null = null;
  private commands = 0;
  private readonly counts = new Map<number, number>();
  private flipCounter = 0;
  private rx: number[] = [];
  private inFrame = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private flashCorrupted = false;
  private bootLogShown = false;

  private constructor(
    private readonly port: Transport,
    private readonly o: EspRomSimOptions,
  ) {
    this.flash = seededBytes(o.flashSize ?? 4 << 20, 0x5eed);
    this.initialFlash = this.flash.slice();
  }

  static async start(ptyPath: string, o: EspRomSimOptions): Promise<EspRomSim> {
    const sim = new EspRomSim(await openSerialPort(ptyPath, 115200), o);
    sim.loop = sim.run();
    return sim;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.port.close();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let bytes: Uint8Array;
      try {
        bytes = await this.port.read(20);
      } catch {
        return; // the port went away
      }
      if (bytes.length && this.o.inBootloader === false && !this.bootLogShown) {
        // a pty keeps nothing written before the host opens it: print the boot log when first spoken to
        this.bootLogShown = true;
        await this.port.write(new TextEncoder().encode('ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nhello from the app\r\n'));
      }
      for (const b of bytes) await this.rxByte(b);
    }
  }

  // SLIP, written from the RFC: END 0xC0, ESC 0xDB, ESC_END 0xDC, ESC_ESC 0xDD
  private async rxByte(b: number): Promise<void> {
    if (b === 0xc0) {
      if (this.inFrame && this.rx.length) await this.onFrame(this.rx);
      this.inFrame = true;
      this.rx = [];
      return;
    }
    if (this.inFrame) this.rx.push(b);
  }

  private async onFrame(raw: number[]): Promise<void> {
    const pkt: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] !== 0xdb) pkt.push(raw[i]!);
      else if (raw[i + 1] === 0xdc) pkt.push(0xc0), i++;
      else if (raw[i + 1] === 0xdd) pkt.push(0xdb), i++;
      else return; // bad escape: not a packet
    }
    if (this.o.inBootloader === false || this.exited) return;
    if (pkt.length < 8 || pkt[0] !== 0x00) return;
    const op = pkt[1]!;
    const len = pkt[2]! | (pkt[3]! << 8);
    const chk = (pkt[4]! | (pkt[5]! << 8) | (pkt[6]! << 16) | (pkt[7]! << 24)) >>> 0;
    const data = Buffer.from(pkt.slice(8));
    if (op !== OP.SYNC && !this.synced) return; // the ROM has not locked onto the baud rate yet
    this.commands++;
    if (this.o.faults?.silentAfter !== undefined && this.commands > this.o.faults.silentAfter) return;
    const nth = this.counts.get(op) ?? 0;
    this.counts.set(op, nth + 1);
    const isData = op === OP.FLASH_DATA || op === OP.FLASH_DEFL_DATA;
    const info: FaultInfo = { op, nth, seq: isData && data.length >= 8 ? data.readUInt32LE(4) : undefined };
    if (isData && data.length > 16 && this.o.faults?.corruptRequest?.(info)) data[16 + ((nth * 7) % (data.length - 16))]! ^= 0x20;
    if (len !== data.length) return this.reply(op, info, 0, Buffer.alloc(0), ERR.invalidMsg);
    const r = this.handle(op, data, chk);
    this.log.push(`${op.toString(16)} ${r.err ? `err ${r.err}` : 'ok'}`);
    if (op === OP.SYNC) {
      for (let i = 0; i < 8; i++) await this.reply(op, info, r.value ?? 0, r.data ?? Buffer.alloc(0), r.err ?? 0);
      return;
    }
    await this.reply(op, info, r.value ?? 0, r.data ?? Buffer.alloc(0), r.err ?? 0);
    if (op === OP.CHANGE_BAUDRATE && !r.err) await this.port.setBaud(this.baudRequests.at(-1)!).catch(() => {});
  }

  private async reply(op: number, info: FaultInfo, value: number, data: Buffer, err: number): Promise<void> {
    if (this.o.faults?.dropReply?.(info)) return;
    const status = (this.o.statusBytes ?? 4) === 4 ? [err ? 1 : 0, err, 0, 0] : [err ? 1 : 0, err];
    const body = Buffer.concat([data, Buffer.from(status)]);
    const head = Buffer.alloc(8);
    head[0] = 0x01;
    head[1] = op;
    head.writeUInt16LE(body.length, 2);
    head.writeUInt32LE(value >>> 0, 4);
    const pkt = Buffer.concat([head, body]);
    const flip = this.o.faults?.flipReply?.(info) ?? false;
    if (typeof flip === 'number') pkt[flip]! ^= 0x01;
    const framed: number[] = [0xc0];
    for (const b of pkt) framed.push(...(b === 0xc0 ? [0xdb, 0xdc] : b === 0xdb ? [0xdb, 0xdd] : [b]));
    framed.push(0xc0);
    if (flip === true) {
      const i = 1 + (this.flipCounter++ * 5) % (framed.length - 2);
      framed[i] = framed[i]! ^ (1 + (this.flipCounter % 255));
    }
    await this.port.write(Uint8Array.from(framed));
  }

  private handle(op: number, d: Buffer, chk: number): { value?: number; data?: Buffer; err?: number } {
    const chip = CHIPS[this.o.chip];
    const u32 = (i: number) => d.readUInt32LE(4 * i);
    switch (op) {
      case OP.SYNC: {
        const ok = d.length === 36 && d.subarray(0, 4).equals(Buffer.from([7, 7, 0x12, 0x20])) && d.subarray(4).every((b) => b === 0x55);
        if (!ok) return { err: ERR.invalidMsg };
        this.synced = true;
        return { value: 0x20120707 };
      }
      case OP.READ_REG: {
        if (d.length !== 4) return { err: ERR.badParam };
        const addr = u32(0);
        if (addr === 0x40001000) return { value: chip.magic };
        if (this.o.chip === 'esp32' && addr === SIM_RTC_CALI_REG) return { value: SIM_RTC_CALI_VALUE };
        if (this.o.chip === 'esp32' && addr === SIM_EFUSE_CK8M_REG) return { value: SIM_EFUSE_CK8M_VALUE };
        return { value: 0 };
      }
      case OP.GET_SECURITY_INFO: {
        if (!chip.securityInfo) return { err: ERR.invalidMsg };
        const info = Buffer.alloc(chip.securityId === undefined ? 12 : 20);
        if (chip.securityId !== undefined) info.writeUInt32LE(chip.securityId, 12);
        return { data: info };
      }
      case OP.SPI_ATTACH:
        if (d.length !== 8) return { err: ERR.badParam };
        this.attached = true;
        return {};
      case OP.SPI_SET_PARAMS:
        if (d.length !== 24) return { err: ERR.badParam };
        this.spiParams = [0, 1, 2, 3, 4, 5].map(u32);
        return {};
      case OP.CHANGE_BAUDRATE:
        if (d.length !== 8 || u32(1) !== 0) return { err: ERR.badParam };
        this.baudRequests.push(u32(0));
        return {};
      case OP.FLASH_BEGIN:
      case OP.FLASH_DEFL_BEGIN: {
        if (!this.attached) return { err: ERR.wrongResult };
        if (d.length !== (chip.fifthBeginWord ? 20 : 16)) return { err: ERR.badParam };
        const [size, blocks, blockSize, offset] = [u32(0), u32(1), u32(2), u32(3)];
        if (offset % SECTOR || offset + size > this.flash.length || blockSize !== BLOCK) return { err: ERR.badParam };
        const deflate = op === OP.FLASH_DEFL_BEGIN;
        if (deflate && size % BLOCK) return { err: ERR.badParam }; // the ROM wants whole blocks here
        this.flash.fill(0xff, offset, Math.min(this.flash.length, Math.ceil((offset + size) / SECTOR) * SECTOR));
        this.download = { deflate, offset, size, blocks, blockSize, next: 0, compressed: [], inflated: 0 };
        return {};
      }
      case OP.FLASH_DATA:
      case OP.FLASH_DEFL_DATA: {
        const dl = this.download;
        if (!dl || dl.deflate !== (op === OP.FLASH_DEFL_DATA) || d.length < 16) return { err: ERR.wrongResult };
        const [len, seq] = [u32(0), u32(1)];
        const block = d.subarray(16);
        if (len !== block.length || (dl.deflate ? len > dl.blockSize : len !== dl.blockSize)) return { err: ERR.badParam };
        let x = 0xef;
        for (const b of block) x ^= b;
        if (x !== chk) return { err: ERR.checksum };
        if (seq === dl.next - 1) return {}; // a resend of the block just taken (its answer was lost): already written
        if (seq !== dl.next || seq >= dl.blocks) return { err: ERR.wrongResult };
        if (dl.deflate) {
          dl.compressed.push(Buffer.from(block));
          let out: Buffer;
          try {
            out = inflateSync(Buffer.concat(dl.compressed), { finishFlush: zc.Z_SYNC_FLUSH });
          } catch {
            return { err: ERR.deflate };
          }
          if (out.length > dl.size) return { err: ERR.deflate };
          this.program(dl.offset + dl.inflated, out.subarray(dl.inflated));
          dl.inflated = out.length;
        } else this.program(dl.offset + seq * dl.blockSize, block);
        dl.next++;
        return {};
      }
      case OP.FLASH_END:
      case OP.FLASH_DEFL_END:
        if (d.length !== 4) return { err: ERR.badParam };
        this.exited = u32(0) === 1 ? 'run' : 'reboot';
        return {};
      case OP.SPI_FLASH_MD5: {
        if (!this.attached) return { err: ERR.wrongResult };
        if (d.length !== 16) return { err: ERR.badParam };
        const [addr, size] = [u32(0), u32(1)];
        if (addr + size > this.flash.length) return { err: ERR.badParam };
        return { data: Buffer.from(createHash('md5').update(this.flash.subarray(addr, addr + size)).digest('hex'), 'ascii') };
      }
      default:
        return { err: ERR.invalidMsg };
    }
  }

  /** NOR flash: programming can only turn 1 bits into 0 bits. */
  private program(addr: number, bytes: Uint8Array): void {
    const n = Math.min(bytes.length, this.flash.length - addr);
    for (let i = 0; i < n; i++) this.flash[addr + i]! &= bytes[i]!;
    const bad = this.o.faults?.corruptFlashAt;
    if (bad !== undefined && !this.flashCorrupted && bad >= addr && bad < addr + n) {
      this.flash[bad]! ^= 0x01;
      this.flashCorrupted = true;
    }
  }
}

/** A fault rule that fires once, the first time `pred` holds. */
export function once<R extends boolean | number>(pred: (f: FaultInfo) => R | false): (f: FaultInfo) => R | false {
  let fired = false;
  return (f) => {
    if (fired) return false;
    const r = pred(f);
    if (r !== false) fired = true;
    return r;
  };
}
