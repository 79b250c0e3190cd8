/** reparo emit, build and boards: firmware projects for boards. */
import type { Command } from 'commander';
import { count, memoryPlanLine, table } from '../format.ts';
import { readModelFile } from '../options.ts';

export function registerFirmwareCommands(program: Command): void {
  program
    .command('emit')
    .description('a firmware project for a board, after checking that the model fits it')
    .argument('<model.tflite>')
    .requiredOption('--board <id>', 'board id (reparo boards)')
    .option('--runtime <r>', 'native (generated C) or tflm', 'native')
    .requiredOption('-o, --output <dir>', 'project folder to write')
    .option('--mlperf <benchmark>', 'firmware for the MLPerf Tiny runner instead of reparo\'s protocol: ic01, vww01, kws01 or ad01')
    .option('--memory <plan>', 'native memory plan: fastest, or smallest (conv chains in row bands); default fastest where it fits the board\'s RAM')
    .action(async (model: string, o) => {
      const [{ findBoard }, { emitProject }] = await Promise.all([import('../../toolkit/boards/index.ts'), import('../../toolkit/codegen/emit.ts')]);
      const m = readModelFile(model);
      const board = findBoard(o.board);
      const { fit, arenaSize, memory } = emitProject(m, board, o.output, { runtime: o.runtime, mlperf: o.mlperf, memory: o.memory });
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      console.log([
        `emitted    ${o.output} for ${board.id} (${o.runtime} runtime${o.mlperf ? `, MLPerf Tiny DUT protocol for ${o.mlperf}` : ''})`,
        `fit        flash ${kib(fit.flash.needed)} of ${kib(fit.flash.free)} free, RAM ${kib(fit.ram.needed)} of ${kib(fit.ram.free)} free (arena ${count(arenaSize)} B)`,
        ...(memory ? [`memory     ${memoryPlanLine(memory)}`] : []),
      ].join('\n'));
    });

  program
    .command('build')
    .description('build an emitted project with the board\'s toolchain and report its size against the board')
    .argument('<dir>')
    .action(async (dir: string) => {
      const [{ findBoard }, { readProject }, { buildProject }] = await Promise.all([
        import('../../toolkit/boards/index.ts'), import('../../toolkit/codegen/emit.ts'), import('../../toolkit/toolchain/project.ts'),
      ]);
      const board = findBoard(readProject(dir).board);
      const r = buildProject(dir);
      if (r.kind === 'esp-idf') return console.log(`built      ${r.image} with ESP-IDF (idf.py size-components in ${r.buildDir} breaks the size down)`);
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
    .action(async (o) => {
      const { loadBoards } = await import('../../toolkit/boards/index.ts');
      const boards = loadBoards();
      if (o.json) return console.log(JSON.stringify(boards));
      const kb = (n: number) => `${count(Math.round(n / 1024))} KiB`;
      console.log(table(boards.map((b) => [b.id, b.core, `${b.clockHz / 1e6} MHz`, kb(b.flash.total), kb(b.ram.total), b.flashMethod.method, b.virtual ? 'virtual (QEMU)' : b.name]), ['id', 'core', 'clock', 'flash', 'RAM', 'flash via', '']));
    });
}
