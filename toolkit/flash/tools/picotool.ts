/**
 * picotool (Raspberry Pi): `picotool load -v -x FILE` writes through the RP2040's BOOTSEL USB
 * interface, reads it back ("Verifying Flash: [===…]  100%" then "  OK" or "  FAILED") and starts it.
 * The board must be in BOOTSEL mode (hold BOOTSEL while plugging it in): our firmware has no USB stack
 * that picotool could ask to reboot.
 */
import { ReparoError } from '../../errors.ts';
import type { Board } from '../../boards/index.ts';
import { firstMatch, hex, tail, type FlashImage, type FlashTool, type ToolFailure, type ToolStep } from './tool.ts';

export const picotool: FlashTool = {
  command: 'picotool',
  install: 'build it from https://github.com/raspberrypi/picotool (needs libusb-1.0-0-dev and the pico-sdk), or use the UF2 drive instead (method uf2)',

  steps(board: Board, image: FlashImage, { verify }): ToolStep[] {
    if (image.format === 'hex') throw new ReparoError('E_USAGE', `picotool cannot load a .hex image for '${board.id}'`, { hint: 'give it the .elf, .bin or .uf2' });
    const where = image.format === 'bin' ? ['-t', 'bin', '-o', hex(image.base)] : [];
    return [{ what: 'program', args: ['load', ...(verify ? ['-v'] : []), '-x', image.path, ...where] }];
  },

  parse(_step, output, code, { verify }): ToolFailure | undefined {
    const hit = (kind: ToolFailure['kind'], patterns: RegExp[]) => {
      const line = firstMatch(output, patterns);
      return line ? { kind, detail: line } : undefined;
    };
    const failure =
      hit('no-probe', [/No accessible .* devices? in BOOTSEL mode (were|was) found/, /Despite the reboot attempt, no/]) ??
      hit('config', [/Could not open '/, /unexpected end of input file/]) ??
      hit('no-target', [/Unable to connect to device/, /Communication with .* device failed/, /unable to connect/i, /returned an error/]) ??
      hit('verify', [/did not match the (saved )?file/, /^\s*FAILED\s*$/]);
    if (failure) return failure;
    if (code !== 0) return { kind: 'failed', detail: tail(output) };
    if (verify && !firstMatch(output, [/^\s*OK\s*$/])) return { kind: 'verify', detail: 'picotool exited 0 but did not print the verify "OK"' };
    return undefined;
  },

  progress(line) {
    const m = /^(Loading into|Verifying) [^:]+:\s*\[[= ]*\]\s+(\d{1,3})%/.exec(line.trim());
    return m ? (m[1] === 'Loading into' ? Number(m[2]) / 2 : 50 + Number(m[2]) / 2) : undefined;
  },
};
