/**
 * pyOCD (pip install pyocd): `pyocd load` programs (it has no read-back option), then
 * `pyocd commander -c "compare ADDR FILE"` reads the flash back through the probe and prints
 * "All N bytes match." or "Mismatched byte at 0x…". compare needs a flat binary, so a .bin it is.
 */
import { ReparoError } from '../../errors.ts';
import type { Board } from '../../boards/index.ts';
import { firstMatch, hex, option, tail, type FlashImage, type FlashTool, type ToolFailure, type ToolStep } from './tool.ts';

const quote = (s: string) => `"${s.replaceAll('"', '\\"')}"`;

export const pyocd: FlashTool = {
  command: 'pyocd',
  install: 'pip install pyocd (or pipx install pyocd); Debian\'s python3-pyocd 0.13 is too old for these commands',

  steps(board: Board, image: FlashImage, { verify }): ToolStep[] {
    const target = option(board, 'pyocdTarget');
    if (!target) throw new ReparoError('E_BOARD', `board '${board.id}' has no flashMethod.options.pyocdTarget`, { hint: 'name it as `pyocd list --targets` does, e.g. "nrf52840"' });
    if (image.format === 'uf2') throw new ReparoError('E_USAGE', 'pyocd cannot write a .uf2 image', { hint: 'give it the .elf or .bin' });
    if (verify && image.format !== 'bin') throw new ReparoError('E_USAGE', 'pyocd verifies a flat binary only', { hint: 'pass the .bin (flashWithTool converts an .elf itself)' });
    const where = image.format === 'bin' ? ['--format', 'bin', '--base-address', hex(image.base)] : [];
    const steps: ToolStep[] = [{ what: 'program', args: ['load', '-t', target, ...where, ...(verify ? ['--no-reset'] : []), image.path] }];
    if (verify) steps.push({ what: 'verify', args: ['commander', '-t', target, '-c', `compare ${hex(image.base)} ${quote(image.path)}`, '-c', 'reset'] });
    return steps;
  },

  parse(step, output, code): ToolFailure | undefined {
    const hit = (kind: ToolFailure['kind'], patterns: RegExp[]) => {
      const line = firstMatch(output, patterns);
      return line ? { kind, detail: line } : undefined;
    };
    const failure =
      hit('no-probe', [/No connected debug probes?/, /No available debug probes/, /There is no debug probe connected/]) ??
      hit('config', [/Target type .* not recognized/, /No such file or directory/]) ??
      hit('no-target', [/No ACK received/i, /Transfer (fault|timeout)/i, /Failed to connect/i, /Memory transfer fault/i]) ??
      hit('verify', [/Mismatched byte at/]);
    if (failure) return failure;
    if (code !== 0) return { kind: 'failed', detail: tail(output) };
    if (step.what === 'verify' && !/All \d+ bytes match/.test(output)) return { kind: 'verify', detail: 'pyocd compare did not print "All N bytes match."' };
    return undefined;
  },

  progress(line) {
    const m = /\[[=\s>]*\]\s*(\d{1,3})%/.exec(line);
    return m ? Number(m[1]) : undefined;
  },
};
