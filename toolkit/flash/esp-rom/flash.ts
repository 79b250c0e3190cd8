/** flashEspRom: connect to the ROM loader, check the chip, write and verify every image part, leave. */
import { ReparoError } from '../../errors.ts';
import { loadBoards, type Board } from '../../boards/index.ts';
import type { Transport } from '../../serial/transport.ts';
import { chipById } from './chips.ts';
import { checkRegions, imageRegions, type EspImage } from './image.ts';
import { BLOCK_ATTEMPTS, EspRomLoader } from './loader.ts';
import { resetPlanFor, runResetSequence } from './reset.ts';

export interface FlashEspRomOptions {
  /** drive DTR/RTS to enter the loader (default true). Ptys have no modem lines: pass false there. */
  reset?: boolean;
  /** the port's USB id; 303a:1001 (USB-Serial/JTAG) selects its own reset sequence */
  usb?: { vid: string; pid: string };
  /** afterwards: pulse EN (default with reset), ask the ROM to run the app (default without), or stay in the loader */
  after?: 'hard-reset' | 'run' | 'stay';
  /** send deflated data (default true; the ROM inflates it) */
  compress?: boolean;
  /** switch to this baud rate for writing (the ROM starts at 115200) */
  baud?: number;
  /** resets tried before giving up (default 4), each followed by `syncsPerAttempt` SYNCs (default 5) */
  connectAttempts?: number;
  syncsPerAttempt?: number;
  /** the least time any command is given (default 3000 ms) */
  commandTimeoutMs?: number;
  /** image bytes written so far, of all parts together */
  onProgress?: (written: number, total: number) => void;
  log?: (line: string) => void;
}

export interface EspFlashReport {
  board: string;
  port: string;
  chip: string;
  regions: { name: string; offset: number; size: number; sent: number; md5: string }[];
  bytes: number;
  seconds: number;
  /** commands sent again after a lost, garbled or refused answer */
  retries: number;
  /** why the reset step was skipped, when it was */
  resetSkipped?: string;
  /** the rate asked of the ROM by CHANGE_BAUDRATE (calibrated on the ESP32), when `baud` was given */
  romBaud?: number;
}

export async function flashEspRom(transport: Transport, board: Board, image: EspImage, opts: FlashEspRomOptions = {}): Promise<EspFlashReport> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  if (board.flashMethod.method !== 'esp-rom') throw new ReparoError('E_BOARD', `board ${board.id} is not flashed through the ESP ROM loader (its method is ${board.flashMethod.method})`, { hint: 'use reparo flash, which picks the method from the board file' });
  const chipOpt = String(board.flashMethod.options.chip ?? '');
  const expected = chipById(chipOpt);
  if (!expected) throw new ReparoError('E_BOARD', `board ${board.id}: flashMethod.options.chip is '${chipOpt}', not an ESP chip reparo knows`, { hint: 'use esp32, esp32s2, esp32s3, esp32c2, esp32c3, esp32c6 or esp32h2' });
  const regions = checkRegions(board, imageRegions(board, expected, image));
  const total = regions.reduce((s, r) => s + r.data.length, 0);

  const loader = new EspRomLoader(transport, { commandTimeoutMs: opts.commandTimeoutMs, log });
  const plan = resetPlanFor(board, opts.usb);
  let resetSkipped = opts.reset === false ? 'reset: false was given' : undefined;

  // connect: reset into the loader (where we can), then SYNC until the ROM answers
  const attempts = opts.connectAttempts ?? 4, syncs = opts.syncsPerAttempt ?? 5;
  let synced = false;
  for (let a = 0; a < attempts && !synced; a++) {
    if (!resetSkipped) {
      try {
        await runResetSequence(transport, plan.enter);
      } catch (e) {
        if (!(e instanceof ReparoError && e.code === 'E_SERIAL') || transport.closed) throw e;
        resetSkipped = `cannot drive DTR/RTS on ${transport.path} (a pty?)`;
        log(`${resetSkipped}: reset skipped, the board must already be in its bootloader`);
      }
    }
    await loader.drain(50, 300); // the boot log
    for (let s = 0; s < syncs && !synced; s++) synced = await loader.sync();
  }
  if (!synced) throw notInBootloader(transport.path, attempts * syncs, resetSkipped, loader.recentText);

  // an answer garbled on the line must not refuse the right chip: ask twice before refusing
  let found = await loader.detectChip();
  if (found.id !== expected.id) found = await loader.detectChip();
  if (found.id !== expected.id) {
    const fits = loadBoards().filter((b) => b.flashMethod.method === 'esp-rom' && b.flashMethod.options.chip === found.id).map((b) => b.id);
    throw new ReparoError('E_BOARD', `board ${board.id} expected ${expected.name}, ${found.name} found on ${transport.path}`, {
      hint: fits.length ? `is this a ${fits.join(' or ')}? pass that board, or connect the ${board.id}` : `connect the ${board.id}, or add a board file for the ${found.name}`,
    });
  }
  log(`connected to the ${found.name} ROM loader on ${transport.path}`);

  await loader.spiAttach();
  await loader.spiSetParams(board.flash.total);
  const romBaud = opts.baud ? await loader.changeBaud(found, opts.baud) : undefined;

  const compress = opts.compress ?? true;
  const report: EspFlashReport['regions'] = [];
  let done = 0;
  opts.onProgress?.(0, total);
  for (const r of regions) {
    log(`writing ${r.name}: ${r.data.length} B at 0x${r.offset.toString(16)}${compress ? ' (deflated)' : ''}`);
    const sent = await loader.writeRegion(found, r.offset, r.data, { compress, onProgress: (w) => opts.onProgress?.(done + w, total) });
    done += r.data.length;
    // the digest travels without a checksum: a mismatch is asked again before it is believed
    const digests: string[] = [];
    while (digests.length < BLOCK_ATTEMPTS && digests.at(-1) !== r.md5) digests.push(await loader.flashMd5(r.offset, r.data.length));
    if (digests.at(-1) !== r.md5)
      throw new ReparoError('E_FLASH', `verify failed for ${r.name} at 0x${r.offset.toString(16)} (${r.data.length} B) on ${transport.path}: flash MD5 ${[...new Set(digests)].join(' / ')}, image MD5 ${r.md5}`, {
        hint: 'flash again; if it repeats, check the flash size and mode in the board file, or the flash chip is worn',
      });
    loader.retries += digests.length - 1;
    const md5 = r.md5;
    report.push({ name: r.name, offset: r.offset, size: r.data.length, sent, md5 });
  }

  const after = opts.after ?? (resetSkipped ? 'run' : 'hard-reset');
  if (after === 'hard-reset') {
    try {
      await runResetSequence(transport, plan.run);
    } catch (e) {
      if (!(e instanceof ReparoError && e.code === 'E_SERIAL') || transport.closed) throw e;
      log(`cannot pulse EN on ${transport.path}: asking the ROM to run the app instead`);
      await loader.runApp(found);
    }
  } else if (after === 'run') await loader.runApp(found);
  if (romBaud !== undefined && after !== 'stay') await transport.setBaud(board.serial.baud);

  return { board: board.id, port: transport.path, chip: found.name, regions: report, bytes: total, seconds: (Date.now() - t0) / 1000, retries: loader.retries, resetSkipped, romBaud };
}

function notInBootloader(port: string, tries: number, resetSkipped: string | undefined, said: string): ReparoError {
  const boot = /boot:(0x[0-9a-f]+) \(([^)]*)/i.exec(said);
  const what = !boot ? '' : /DOWNLOAD/i.test(boot[2]!) ? `; it printed boot mode ${boot[1]} (${boot[2]}): in download mode but not answering` : `; it printed boot mode ${boot[1]} (${boot[2]}): it booted from flash, not into its bootloader`;
  return new ReparoError('E_FLASH', `no answer to SYNC from the ESP ROM loader on ${port} after ${tries} tries${resetSkipped ? ` (${resetSkipped})` : ''}${what}`, {
    hint: 'put the board in its bootloader: hold BOOT, tap EN, release BOOT — or check the reset wiring (DTR/RTS to EN/IO0), the port, and that no other program holds it',
  });
}
