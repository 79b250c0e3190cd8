/**
 * A client for the ESP32 family's ROM serial loader, over our Transport.
 *
 * Why not esptool-js: it wants a Web-Serial-shaped port object, uploads its own stub images and pulls
 * in their dependencies. The ROM loader alone can write, deflate and MD5-verify flash, so no stub is
 * needed; this client shares one Transport with the HIL runner (same port, same error contract), and
 * it is tested byte for byte against a ROM simulator over real ptys.
 *
 * Every wait has a deadline. Only idempotent commands are retried when their answer is missing, garbled
 * or a refusal: SYNC, register reads, SPI setup, a download's BEGIN (erases and starts over) and a data
 * block (the ROM writes it at begin + seq × block size, so writing it twice writes the same bytes).
 * CHANGE_BAUDRATE is not: the ROM may have switched. The MD5 check is what proves the flash content.
 */
import { createInflate, constants as zc, deflateSync } from 'node:zlib';
import { ReparoError } from '../../errors.ts';
import type { Transport } from '../../serial/transport.ts';
import { CHIP_DETECT_MAGIC_REG, FLASH_WRITE_SIZE, calibratedRomBaud, chipByMagic, chipBySecurityId, type EspChip } from './chips.ts';
import { ROM_ERRORS, ROM_INVALID_MESSAGE, Op, SYNC_DATA, checksum, dataBody, decodeResponse, encodeRequest, opName, words, type RomResponse } from './protocol.ts';
import { sleep } from './reset.ts';
import { SlipDecoder, slipEncode } from './slip.ts';

/** esptool's defaults: 3 s per command, erase at 40 s per MB, MD5 at 8 s per MB, 3 tries per block. */
const ERASE_MS_PER_MB = 40_000;
const MD5_MS_PER_MB = 8_000;
export const BLOCK_ATTEMPTS = 3;

export interface LoaderOptions {
  /** the least time any command is given (default 3000 ms) */
  commandTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The ROM answered, with a failure status. */
export class RomRefusal extends ReparoError {
  constructor(
    readonly op: number,
    readonly romError: number,
    port: string,
  ) {
    super('E_FLASH', `the ESP ROM loader on ${port} refused ${opName(op)}: ${ROM_ERRORS[romError] ?? 'unknown error'} (0x${romError.toString(16).padStart(2, '0')})`, {
      hint: 'retry; if it persists, erase size, flash size or a damaged flash chip may be the cause',
    });
  }
}

/** An answer that came whole but makes no sense (no status, too short, not hex): worth asking again. */
export class GarbledAnswer extends ReparoError {
  constructor(port: string, what: string) {
    super('E_FLASH', `the ESP ROM loader on ${port} answered ${what}`, { hint: 'a garbled answer: check the cable, try a lower baud rate, then flash again' });
  }
}

export class EspRomLoader {
  private readonly decoder = new SlipDecoder();
  private packets: Uint8Array[] = [];
  private readonly commandTimeoutMs: number;
  private readonly log: (line: string) => void;
  /** how many commands had to be sent again (for the report) */
  retries = 0;

  constructor(
    readonly transport: Transport,
    opts: LoaderOptions = {},
  ) {
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 3000;
    this.log = opts.log ?? (() => {});
  }

  /** What the board printed lately (its boot log when it is not in the loader). */
  get recentText(): string {
    return this.decoder.recentText;
  }

  private timeoutFor(bytes: number, msPerMb: number): number {
    return Math.max(this.commandTimeoutMs, Math.ceil((msPerMb * bytes) / 1_048_576));
  }

  /** Send one request and wait for the response to it; stale answers to other commands are skipped. */
  async request(op: number, data?: Uint8Array, chk = 0, timeoutMs = this.commandTimeoutMs): Promise<RomResponse> {
    await this.transport.write(slipEncode(encodeRequest(op, data, chk)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let p = this.packets.shift(); p; p = this.packets.shift()) {
        const r = decodeResponse(p);
        if (!r) continue;
        if (r.op === op) return r;
        // esptool's observation: the ROM may answer a command it does not know under another op
        if (r.data.length >= 2 && r.data[0] !== 0 && r.data[1] === ROM_INVALID_MESSAGE && r.op !== Op.SYNC) return { ...r, op };
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new ReparoError('E_TIMEOUT', `no answer to ${opName(op)} from the ESP ROM loader on ${this.transport.path} within ${timeoutMs} ms`, {
          hint: 'is the board still in its bootloader and connected? a lower baud rate (or a shorter USB cable) helps on noisy lines',
        });
      this.packets.push(...this.decoder.push(await this.transport.read(left)));
    }
  }

  /** A request whose answer must carry a success status after `respLen` bytes of payload. */
  async command(op: number, data?: Uint8Array, o: { chk?: number; timeoutMs?: number; respLen?: number } = {}): Promise<{ value: number; payload: Uint8Array }> {
    const respLen = o.respLen ?? 0;
    const r = await this.request(op, data, o.chk ?? 0, o.timeoutMs ?? this.commandTimeoutMs);
    // status: the two bytes after the payload; the ROM's two reserved bytes after them are ignored
    const status = r.data.length >= respLen + 2 ? r.data.subarray(respLen, respLen + 2) : r.data.subarray(0, 2);
    if (status.length < 2) throw new GarbledAnswer(this.transport.path, `${opName(op)} with ${r.data.length} bytes, no status`);
    if (status[0] !== 0) throw new RomRefusal(op, status[1]!, this.transport.path);
    if (r.data.length < respLen + 2) throw new GarbledAnswer(this.transport.path, `${opName(op)} with ${r.data.length} bytes, ${respLen + 2} expected`);
    return { value: r.value, payload: r.data.subarray(0, respLen) };
  }

  /** Throw away whatever arrives until the line has been quiet for `quietMs` (at most `maxMs`). */
  async drain(quietMs = 50, maxMs = 500): Promise<void> {
    const end = Date.now() + maxMs;
    this.packets = [];
    while (Date.now() < end) {
      const got = await this.transport.read(Math.min(quietMs, end - Date.now()));
      if (got.length === 0) break;
      this.decoder.push(got);
    }
  }

  /** One SYNC; true once the ROM answers. The ROM answers a SYNC several times: the extra answers are drained. */
  async sync(timeoutMs = 100): Promise<boolean> {
    try {
      await this.request(Op.SYNC, SYNC_DATA, 0, timeoutMs);
    } catch (e) {
      if (e instanceof ReparoError && e.code === 'E_TIMEOUT') return false;
      throw e;
    }
    await this.drain(50);
    return true;
  }

  async readReg(addr: number): Promise<number> {
    return (await this.retrying(`READ_REG 0x${addr.toString(16)}`, () => this.command(Op.READ_REG, words(addr)))).value;
  }

  /** chip_id from GET_SECURITY_INFO, or undefined where the ROM lacks the command (ESP32) or the field (ESP32-S2). */
  async securityChipId(): Promise<number | undefined> {
    let r: RomResponse;
    try {
      r = await this.request(Op.GET_SECURITY_INFO);
    } catch (e) {
      if (e instanceof ReparoError && e.code === 'E_TIMEOUT') return undefined;
      throw e;
    }
    // flags u32, flash_crypt_cnt u8, 7 key purposes, chip_id u32, eco_version u32, then the status
    if (r.data.length < 22 || r.data[20] !== 0) return undefined;
    return new DataView(r.data.buffer, r.data.byteOffset, r.data.length).getUint32(12, true);
  }

  /**
   * Which chip answers: GET_SECURITY_INFO's chip id, else the magic word. The value fields have no
   * checksum, so an unknown answer is asked again (up to BLOCK_ATTEMPTS times) before it is an error.
   */
  async detectChip(): Promise<EspChip> {
    let what = '';
    for (let attempt = 1; attempt <= BLOCK_ATTEMPTS; attempt++) {
      const id = await this.securityChipId();
      if (id !== undefined) {
        const chip = chipBySecurityId(id);
        if (chip) return chip;
        what = `chip id ${id} in GET_SECURITY_INFO`;
      } else {
        const magic = await this.readReg(CHIP_DETECT_MAGIC_REG);
        const chip = chipByMagic(magic);
        if (chip) return chip;
        what = `magic word 0x${magic.toString(16).padStart(8, '0')} at 0x40001000`;
      }
      this.retries++;
    }
    throw new ReparoError('E_FLASH', `unknown chip on ${this.transport.path}: ${what}`, {
      hint: 'not an ESP32-family chip reparo knows (ESP32, -S2, -S3, -C2, -C3, -C6, -H2), or it is in secure download mode',
    });
  }

  /** Required by the ROM before any flash command: default SPI pins (0), and the ROM-only "legacy" word (0). */
  async spiAttach(): Promise<void> {
    await this.retrying('SPI_ATTACH', () => this.command(Op.SPI_ATTACH, words(0, 0)));
  }

  /** esptool's fixed flash geometry with the real total size: id 0, size, 64 KiB block, 4 KiB sector, 256 B page, status mask. */
  async spiSetParams(totalSize: number): Promise<void> {
    const params = words(0, totalSize, 0x10000, 0x1000, 0x100, 0xffff);
    await this.retrying('SPI_SET_PARAMS', () => this.command(Op.SPI_SET_PARAMS, params));
  }

  /** Switch the ROM (then the host) to `baud`; returns the rate asked of the ROM (calibrated on the ESP32). */
  async changeBaud(chip: EspChip, baud: number): Promise<number> {
    const cal = chip.romBaudCalibration;
    const asked = cal ? calibratedRomBaud(baud, await this.readReg(cal.rtcCaliReg), await this.readReg(cal.efuseCk8mReg)) : baud;
    // second word: the current rate for the stub loader, 0 for the ROM
    await this.command(Op.CHANGE_BAUDRATE, words(asked, 0));
    await this.transport.setBaud(baud);
    await sleep(50);
    await this.drain(20);
    return asked;
  }

  /**
   * Erase and write `data` at `offset` (sector-aligned), plain or deflated. `onProgress(bytes)` gets the
   * image bytes written so far. Returns the bytes that went over the wire.
   */
  async writeRegion(chip: EspChip, offset: number, data: Uint8Array, o: { compress: boolean; onProgress?: (written: number) => void }): Promise<number> {
    const payload = o.compress ? new Uint8Array(deflateSync(data, { level: 9 })) : data;
    const blocks = Math.ceil(payload.length / FLASH_WRITE_SIZE);
    // per block: how many image bytes it writes (deflate: measured by inflating as the ROM will)
    const produced = o.compress ? await inflatedBlockSizes(payload) : Array.from({ length: blocks }, (_, i) => Math.min(FLASH_WRITE_SIZE, data.length - i * FLASH_WRITE_SIZE));
    // The ROM erases at BEGIN. For FLASH_DEFL_BEGIN the ROM wants the size rounded up to whole
    // 0x400 blocks (the stub takes the exact count); FLASH_BEGIN takes the exact size on the ESP32-family ROMs.
    const eraseSize = o.compress ? Math.ceil(data.length / FLASH_WRITE_SIZE) * FLASH_WRITE_SIZE : data.length;
    const begin = words(eraseSize, blocks, FLASH_WRITE_SIZE, offset, ...(chip.beginHasEncryptWord ? [0] : []));
    const [beginOp, dataOp] = o.compress ? [Op.FLASH_DEFL_BEGIN, Op.FLASH_DEFL_DATA] : [Op.FLASH_BEGIN, Op.FLASH_DATA];
    await this.retrying(`${opName(beginOp)} at 0x${offset.toString(16)}`, () => this.command(beginOp, begin, { timeoutMs: this.timeoutFor(eraseSize, ERASE_MS_PER_MB) }));

    let written = 0;
    for (let seq = 0; seq < blocks; seq++) {
      let block = payload.subarray(seq * FLASH_WRITE_SIZE, (seq + 1) * FLASH_WRITE_SIZE);
      if (!o.compress && block.length < FLASH_WRITE_SIZE) {
        // the ROM takes whole blocks: pad the last with erased-flash bytes
        const padded = new Uint8Array(FLASH_WRITE_SIZE).fill(0xff);
        padded.set(block);
        block = padded;
      }
      const body = dataBody(block, seq);
      const chk = checksum(block);
      const timeoutMs = this.timeoutFor(produced[seq]!, ERASE_MS_PER_MB);
      const where = `${opName(dataOp)} block ${seq + 1} of ${blocks} (image bytes from 0x${(offset + written).toString(16)})`;
      await this.retrying(where, () => this.command(dataOp, body, { chk, timeoutMs }));
      written += produced[seq]!;
      o.onProgress?.(written);
    }
    return payload.length;
  }

  /** Run an idempotent command up to BLOCK_ATTEMPTS times while its answer is lost, garbled or a refusal. */
  private async retrying<T>(where: string, f: () => Promise<T>): Promise<T> {
    let last: ReparoError | undefined;
    for (let attempt = 1; attempt <= BLOCK_ATTEMPTS; attempt++) {
      try {
        const r = await f();
        // a late answer to an earlier try would otherwise be taken as the next block's answer
        if (attempt > 1) await this.drain(20, 200);
        return r;
      } catch (e) {
        if (!(e instanceof ReparoError) || !(e.code === 'E_TIMEOUT' || e instanceof RomRefusal || e instanceof GarbledAnswer) || this.transport.closed) throw e;
        last = e;
        this.retries++;
        this.log(`${where}: ${e.message.split('\n')[0]} — try ${attempt + 1} of ${BLOCK_ATTEMPTS}`);
        await this.drain(20, 200);
      }
    }
    throw new ReparoError(last!.code, `${where} failed ${BLOCK_ATTEMPTS} times on ${this.transport.path}: ${last!.message.split('\n')[0]}`, {
      hint: 'the line is losing bytes or the board stopped answering: check the cable, try a lower baud rate, then flash again',
    });
  }

  /** MD5 of a flash region, as lowercase hex (the ROM answers 32 ASCII hex digits). */
  async flashMd5(offset: number, size: number): Promise<string> {
    return this.retrying(`SPI_FLASH_MD5 of 0x${offset.toString(16)}+${size}`, async () => {
      const { payload } = await this.command(Op.SPI_FLASH_MD5, words(offset, size, 0, 0), { respLen: 32, timeoutMs: this.timeoutFor(size, MD5_MS_PER_MB) });
      const hex = String.fromCharCode(...payload).toLowerCase();
      if (!/^[0-9a-f]{32}$/.test(hex)) throw new GarbledAnswer(this.transport.path, `SPI_FLASH_MD5 with '${hex}', not 32 hex digits`);
      return hex;
    });
  }

  /**
   * Leave the loader and run the app (FLASH_BEGIN of nothing, then FLASH_END "run"), as esptool does
   * without DTR/RTS. The ROM may jump before its answer is out: a lost answer to FLASH_END is logged,
   * not an error (the flash was verified already), and it is not sent again (the loader may be gone).
   */
  async runApp(chip: EspChip): Promise<void> {
    const begin = words(0, 0, FLASH_WRITE_SIZE, 0, ...(chip.beginHasEncryptWord ? [0] : []));
    await this.retrying('FLASH_BEGIN (empty)', () => this.command(Op.FLASH_BEGIN, begin));
    try {
      await this.command(Op.FLASH_END, words(1));
    } catch (e) {
      if (!(e instanceof ReparoError) || !(e.code === 'E_TIMEOUT' || e instanceof RomRefusal)) throw e;
      this.log(`no clean answer to FLASH_END on ${this.transport.path} (${e.message.split('\n')[0]}); the app may already be running`);
    }
  }
}

/** How many bytes each FLASH_WRITE_SIZE block of a zlib stream inflates to, fed block by block. */
export async function inflatedBlockSizes(stream: Uint8Array): Promise<number[]> {
  const inflater = createInflate();
  let total = 0;
  inflater.on('data', (c: Buffer) => (total += c.length));
  const sizes: number[] = [];
  try {
    for (let i = 0; i < stream.length; i += FLASH_WRITE_SIZE) {
      const before = total;
      await new Promise<void>((res, rej) => {
        inflater.once('error', rej);
        inflater.write(stream.subarray(i, i + FLASH_WRITE_SIZE));
        inflater.flush(zc.Z_SYNC_FLUSH, () => {
          inflater.off('error', rej);
          res();
        });
      });
      sizes.push(total - before);
    }
  } finally {
    inflater.destroy();
  }
  return sizes;
}
