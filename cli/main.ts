/** The reparo command line: parses arguments, calls the toolkit, prints. No logic the library lacks. */
import { Command } from 'commander';
import { ReparoError } from '../toolkit/errors.ts';
import { registerModelCommands } from './commands/model.ts';
import { registerInt8Commands } from './commands/int8.ts';
import { registerFirmwareCommands } from './commands/firmware.ts';
import { registerHilCommands } from './commands/hil.ts';
import { registerDeployCommand } from './commands/deploy.ts';
import { registerCheckCommand } from './commands/check.ts';

const program = new Command('reparo')
  .description('Fuse re-parameterized conv nets, quantize them to int8 and run them on microcontrollers')
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

registerModelCommands(program);
registerInt8Commands(program);
registerFirmwareCommands(program);
registerHilCommands(program);
registerDeployCommand(program);
registerCheckCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof ReparoError) {
    console.error(`reparo: error [${e.code}] ${e.message}`);
    process.exitCode = e.code === 'E_USAGE' ? 2 : 1;
  } else {
    console.error(`reparo: internal error: ${(e as Error).stack ?? e}`);
    process.exitCode = 3;
  }
}
