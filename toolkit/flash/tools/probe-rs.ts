/**
 * probe-rs (cargo install probe-rs-tools): `probe-rs download --chip C --verify FILE` reads the
 * flash back after writing ("Flash content verification failed." when it differs), then
 * `probe-rs reset --chip C` starts the firmware. Errors come as "Error: …" on stderr.
 */
import { ReparoError } from '../../errors.ts';
import type { Board } from '../../boards/index.ts';
import { firstMatch, hex, option, tail, type FlashImage, type FlashTool, type ToolFailure, type ToolStep } from './tool.ts';

export const probeRs: FlashTool = {
  command: 'probe-rs',
  install: 'cargo install probe-rs-tools --locked (or the installer script from https://probe.rs)',

  steps(board: Board, image: FlashImage, { verify }): ToolStep[] {
    const chip = option(board, 'probeRsChip');
    if (!chip) throw new ReparoError('E_BOARD', `board '${board.id}' has no flashMethod.options.probeRsChip`, { hint: 'name it as `probe-rs chip list` does, e.g. "nRF52840_xxAA"' });
    if (image.format === 'uf2') throw new ReparoError('E_USAGE', 'probe-rs cannot write a .uf2 image', { hint: 'give it the .elf or .bin' });
    const format = image.format === 'bin' ? ['--binary-format', 'bin', '--base-address', hex(image.base)] : image.format === 'hex' ? ['--binary-format', 'hex'] : [];
    return [
      { what: 'program', args: ['download', '--chip', chip, ...format, ...(verify ? ['--verify'] : []), image.path] },
      { what: 'reset', args: ['reset', '--chip', chip] },
    ];
  },

  parse(_step, output, code): ToolFailure | undefined {
    const hit = (kind: ToolFailure['kind'], patterns: RegExp[]) => {
      const line = firstMatch(output, patterns);
      return line ? { kind, detail: line } : undefined;
    };
    const failure =
      hit('no-probe', [/No connected probes were found/, /No probe was found/, /Failed to open the debug probe/, /Probe could not be opened/i]) ??
      hit('config', [/was not found in the list of known targets/, /Failed to open the ELF file/, /Failed to open the chip description/]) ??
      hit('no-target', [/Target device did not respond/, /responded with a (FAULT|WAIT) response/, /Connecting to the chip was unsuccessful/, /Failed to reset, and then halt/]) ??
      hit('verify', [/Flash content verification failed/]);
    if (failure) return failure;
    if (code !== 0) return { kind: 'failed', detail: tail(output) };
    return undefined;
  },

  progress(line) {
    const m = /(\d{1,3})%/.exec(line);
    return m ? Number(m[1]) : undefined;
  },
};
