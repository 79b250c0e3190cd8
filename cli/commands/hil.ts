/** reparo flash, bench, validate and ports: the board over its serial line. */
import type { Command } from 'commander';
import { positive } from '../options.ts';

export function registerHilCommands(program: Command): void {
  program
    .command('flash')
    .description('put a built project (or an ELF/bin image) on a board; virtual boards start in QEMU and keep running')
    .argument('<dir|image>', 'an emitted and built project folder, or an image file')
    .requiredOption('--board <id>', 'board id (reparo boards)')
    .option('--port <path>', 'serial port (real boards; default: found by USB id)')
    .option('--method <m>', 'override the board file\'s flash method (qemu, esp-rom, stm32-uart, openocd, pyocd, probe-rs, picotool, uf2)')
    .action(async (target: string, o) => (await import('./hil-run.ts')).flash(target, o));

  program
    .command('bench')
    .description('latency on the board: min / median / p90 over N runs (instructions on QEMU, cycles on real boards), per-layer profile')
    .requiredOption('--board <id>', 'board id')
    .option('--port <path>', 'serial port (real boards; default: the one flashed through, else found by USB id)')
    .option('--runs <n>', 'timed runs (1-1000)', positive, 10)
    .option('--warmup <n>', 'untimed runs first (0-100)', (v) => Number(v), 2)
    .option('--model <model.tflite>', 'the model the board must run (default: the project last flashed)')
    .option('--json', 'print one JSON object on stdout')
    .option('--junit <file>', 'write a JUnit XML report')
    .action(async (o) => (await import('./hil-run.ts')).bench(o));

  program
    .command('validate')
    .description('send M inputs to the board and compare its outputs with the host int8 reference byte for byte')
    .requiredOption('--board <id>', 'board id')
    .option('--data <data>', 'IDX (gz or plain), .npy, or a folder of images with one sub-folder per class (default: seeded random int8 inputs)')
    .option('--samples <n>', 'how many inputs (default 100 of --data, 20 random)', positive)
    .option('--labels <file>', 'labels when not found beside the images')
    .option('--model <model.tflite>', 'the model the board runs (default: the project last flashed)')
    .option('--port <path>', 'serial port (real boards; default: the one flashed through, else found by USB id)')
    .option('--json', 'print one JSON object on stdout')
    .option('--junit <file>', 'write a JUnit XML report')
    .action(async (o) => (await import('./hil-run.ts')).validate(o));

  program
    .command('ports')
    .description('serial ports, with the boards their USB id suggests, and the running virtual boards')
    .option('--json', 'print one JSON object on stdout')
    .action(async (o) => (await import('./hil-run.ts')).ports(o));
}
