/**
 * OpenOCD: `openocd -f interface/X.cfg -f target/Y.cfg -c "program FILE [ADDR] verify reset exit"`.
 * Everything it says goes to stderr. The `program` procedure (built into openocd's startup.tcl)
 * prints "** Programming Started/Finished **", "** Verify Started **", "** Verified OK **" or
 * "** Verify Failed **", and "** OpenOCD init failed **" when no adapter or target answers.
 */
import { ReparoError } from '../../errors.ts';
import type { Board } from '../../boards/index.ts';
import { firstMatch, hex, option, tail, type FlashImage, type FlashTool, type ToolFailure, type ToolStep } from './tool.ts';

const tcl = (s: string) => `{${s}}`; // Tcl braces: the path may hold spaces, and nothing in it is substituted

export const openocd: FlashTool = {
  command: 'openocd',
  install: 'apt-get install openocd (Debian/Ubuntu), brew install open-ocd (macOS), or https://openocd.org',

  steps(board: Board, image: FlashImage, { verify }): ToolStep[] {
    const iface = option(board, 'openocdInterface');
    const target = option(board, 'openocdTarget');
    if (!iface || !target)
      throw new ReparoError('E_BOARD', `board '${board.id}' has no flashMethod.options.openocdInterface/openocdTarget`, {
        hint: 'name the scripts openocd should load, e.g. "stlink" and "stm32f4x" (see /usr/share/openocd/scripts)',
      });
    if (image.format === 'uf2') throw new ReparoError('E_USAGE', 'openocd cannot write a .uf2 image', { hint: 'give it the .elf or .bin' });
    const transport = option(board, 'openocdTransport');
    const program = ['program', tcl(image.path), ...(image.format === 'bin' ? [hex(image.base)] : []), ...(verify ? ['verify'] : []), 'reset', 'exit'];
    return [
      {
        what: 'program',
        args: ['-f', `interface/${iface}.cfg`, ...(transport ? ['-c', `transport select ${transport}`] : []), '-f', `target/${target}.cfg`, '-c', program.join(' ')],
      },
    ];
  },

  parse(_step, output, code, { verify }): ToolFailure | undefined {
    const hit = (kind: ToolFailure['kind'], patterns: RegExp[]) => {
      const line = firstMatch(output, patterns);
      return line ? { kind, detail: line } : undefined;
    };
    const failure =
      hit('config', [/Can't find .*\.cfg/, /invalid command name/, /couldn't open .*: no such file/i]) ??
      hit('no-probe', [/Error: open failed/, /unable to find a matching CMSIS-DAP device/, /No J-Link device found/, /LIBUSB_ERROR_ACCESS/, /libusb_open\(\) failed/]) ??
      hit('wrong-target', [/UNEXPECTED idcode/, /expected \d+ of \d+: 0x/, /Cannot identify target as a/i, /device id = 0x[0-9a-f]+ .*unknown/i]) ??
      hit('no-target', [/unable to connect to the target/, /Error connecting DP/, /Target not examined yet/, /timed out while waiting for target halted/, /\*\* Unable to reset target \*\*/]) ??
      hit('verify', [/\*\* Verify Failed \*\*/]) ??
      hit('failed', [/\*\* Programming Failed \*\*/, /\*\* OpenOCD init failed \*\*/]);
    if (failure) return failure;
    if (code !== 0) return { kind: 'failed', detail: tail(output) };
    if (verify && !/\*\* Verified OK/.test(output)) return { kind: 'verify', detail: 'openocd exited 0 but did not print "** Verified OK **"' };
    if (!verify && !/\*\* Programming Finished \*\*/.test(output)) return { kind: 'failed', detail: 'openocd exited 0 but did not print "** Programming Finished **"' };
    return undefined;
  },

  progress(line) {
    if (/\*\* Programming Started \*\*/.test(line)) return 0;
    if (/\*\* Programming Finished \*\*|\*\* Verify Started \*\*/.test(line)) return 50;
    if (/\*\* Verified OK/.test(line)) return 100;
    return undefined;
  },
};
