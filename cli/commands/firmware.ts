/** reparo emit, build and boards: firmware projects for boards. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { findBoard, loadBoards } from '../../toolkit/boards/index.ts';
import { emitProject, readProject } from '../../toolkit/codegen/emit.ts';
import { buildFirmware } from '../../toolkit/build/index.ts';
import { openDataset } from '../../toolkit/data/index.ts';
import { nchwToNhwc, quantizeInput } from '../../toolkit/pipeline/evaluate.ts';
import { count, table } from '../format.ts';
import { positive, readModelFile } from '../options.ts';

export function registerFirmwareCommands(program: Command): void {
  program
    .command('emit')
    .description('a firmware project for a board, after checking that the model fits it')
    .argument('<model.tflite>')
    .requiredOption('--board <id>', 'board id (reparo boards)')
    .option('--runtime <r>', 'native (generated C) or tflm', 'native')
    .requiredOption('-o, --output <dir>', 'project folder to write')
    .option('--data <data>', 'test inputs to compile into the app (else one all-zero-point input)')
    .option('--samples <n>', 'how many of --data', positive, 4)
    .action((model: string, o) => {
      const m = readModelFile(model);
      const board = findBoard(o.board);
      let vectors: Int8Array[] = [];
      if (o.data) {
        const shape = m.tensors[m.inputs[0]!]!.shape as [number, number, number, number];
        const data = openDataset(o.data, [1, shape[3], shape[1], shape[2]]);
        vectors = Array.from({ length: Math.min(o.samples, data.count) }, (_, i) => quantizeInput(m, nchwToNhwc(data.input(i), shape)));
      }
      const { fit, arenaSize } = emitProject(m, board, o.output, { runtime: o.runtime, vectors });
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      console.log([
        `emitted    ${o.output} for ${board.id} (${o.runtime} runtime)`,
        `fit        flash ${kib(fit.flash.needed)} of ${kib(fit.flash.free)} free, RAM ${kib(fit.ram.needed)} of ${kib(fit.ram.free)} free (arena ${count(arenaSize)} B)`,
      ].join('\n'));
    });

  program
    .command('build')
    .description('build an emitted project with the board\'s toolchain and report its size against the board')
    .argument('<dir>')
    .action((dir: string) => {
      const project = readProject(dir);
      const board = findBoard(project.board);
      const r = buildFirmware(join(dir, 'app'), board, { outDir: join(dir, 'build') });
      const s = r.size;
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      console.log([
        `built      ${r.elf}`,
        table([
          ['flash (text + data)', kib(s.flashUsed), kib(s.flashTotal), `${((100 * s.flashUsed) / s.flashTotal).toFixed(1)}%`],
          ['RAM (data + bss + stack)', kib(s.ramUsed), kib(s.ramTotal), `${((100 * s.ramUsed) / s.ramTotal).toFixed(1)}%`],
        ], ['', 'used', board.id, '']),
        `sections   text ${count(s.text)}  data ${count(s.data)}  bss ${count(s.bss)}  stack ${count(s.stack)}`,
      ].join('\n'));
    });

  program
    .command('boards')
    .description('the boards reparo knows (virtual QEMU boards and real ones)')
    .option('--json', 'print one JSON array on stdout')
    .action((o) => {
      const boards = loadBoards();
      if (o.json) return console.log(JSON.stringify(boards));
      const kb = (n: number) => `${count(Math.round(n / 1024))} KiB`;
      console.log(table(boards.map((b) => [b.id, b.core, `${b.clockHz / 1e6} MHz`, kb(b.flash.total), kb(b.ram.total), b.flashMethod.method, b.virtual ? 'virtual (QEMU)' : b.name]), ['id', 'core', 'clock', 'flash', 'RAM', 'flash via', '']));
    });
}
