/** reparo deploy: the whole chain from a trained model to a measured board, with one summary. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ReparoError } from '../../toolkit/errors.ts';
import type { DeployOptions } from '../../toolkit/pipeline/deploy.ts';
import type { DeployReport } from '../../toolkit/report/index.ts';
import { describeInputs } from '../../toolkit/report/format.ts';
import { count, memoryPlanLine, sci, table } from '../format.ts';
import { numbers, pct, positive } from '../options.ts';
import { progressBar } from '../progress.ts';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

function summaryLines(r: DeployReport, files?: { json: string; html: string }): string[] {
  const s = r.stages;
  const rows: string[][] = [];
  if (s.fuse) {
    const v = s.fuse.verify;
    rows.push(['fuse', `${s.fuse.blocks.filter((b) => b.singlePath).length}/${s.fuse.blocks.length} blocks → one conv each; ${count(s.fuse.before.params)} → ${count(s.fuse.after.params)} params`]);
    rows.push(['prove', `onnxruntime, ${v.samples.random} random + ${v.samples.data} data inputs: max abs err ${sci(v.maxAbs)}, max rel ${sci(v.maxRel)} → ${v.passed ? 'equivalent' : 'NOT equivalent'}`]);
  }
  if (s.quantize) {
    const a = s.quantize.accuracy;
    rows.push(['quantize', `${a ? `top-1 float ${pct(a.float.top1)} → int8 ${pct(a.int8.top1)} on ${count(a.samples)} samples; ` : ''}${count(s.quantize.bytes)} B .tflite`]);
  }
  if (s.build) {
    const z = s.build.size;
    rows.push(['memory', `flash ${kib(z.flashUsed)} of ${kib(z.flashTotal)}, RAM ${kib(z.ramUsed)} of ${kib(z.ramTotal)}${s.emit ? ` (arena ${count(s.emit.arenaSize)} B${s.emit.memory ? `; ${memoryPlanLine(s.emit.memory)}` : ''})` : ''}`]);
  }
  if (s.flash) rows.push(['flash', `${s.flash.method} ${s.flash.port ?? ''}, firmware answered with the model's hash`]);
  if (s.bench) {
    const b = s.bench;
    const unit = b.unit === 'instructions' ? 'instructions (QEMU -icount: instructions, not cycles)' : 'cycles';
    rows.push(['latency', `median ${count(b.median)} ${unit}, p90 ${count(b.p90)}, ${b.runs} runs${b.us ? ` = ${b.us.median.toFixed(1)} µs` : ''}`]);
  }
  if (s.validate) {
    const v = s.validate;
    const top1 = v.inputs.kind === 'data' && !Number.isNaN(v.deviceTop1) ? `; device top-1 ${pct(v.deviceTop1)}` : '';
    rows.push(['validate', `${v.bitExact}/${v.samples} outputs bit-exact with the host int8 reference${top1}`], ['inputs', describeInputs(v.inputs, v.samples)]);
  }
  const lines = [`reparo deploy  ${r.model} → ${r.board?.id ?? '?'} (${r.runtime} runtime)`, '', table(rows, ['stage', 'result'])];
  if (r.stopped) lines.push('', `STOPPED at ${r.stopped.stage}: ${r.stopped.message.split('\n')[0]}`);
  if (files) lines.push('', `report     ${files.html}`, `           ${files.json}`);
  return lines;
}

export function registerDeployCommand(program: Command): void {
  program
    .command('deploy')
    .description('fuse → prove → quantize → emit → build → flash → bench → validate, with one summary and an HTML report')
    .argument('[model]', 'training-time or fused .onnx, or an int8 .tflite (default: from the config)')
    .option('--board <id>', 'board id (reparo boards)')
    .option('--calib <data>', 'calibration images (for an ONNX model)')
    .option('--data <data>', 'labelled data: accuracy, latency input and bit-exact validation')
    .option('--labels <file>', 'labels when not found beside the images')
    .option('--runtime <r>', 'native (generated C) or tflm')
    .option('--memory <plan>', 'native memory plan: fastest, or smallest (conv chains in row bands); default fastest where it fits the board\'s RAM')
    .option('--out <dir>', 'where every stage writes its output (default out/deploy)')
    .option('--port <path>', 'serial port (real boards)')
    .option('--runs <n>', 'timed runs on the board', positive)
    .option('--warmup <n>', 'untimed runs first', (v) => Number(v))
    .option('--samples <n>', 'inputs validated on the board (default 100)', positive)
    .option('--eval-samples <n>', 'samples of --data for float/int8 accuracy (default all)', positive)
    .option('--mean <list>', 'per-channel mean after pixel/255', numbers)
    .option('--std <list>', 'per-channel std after pixel/255', numbers)
    .option('--config <file>', 'reparo.config.json (default ./reparo.config.json when no model is given)')
    .option('--json', 'print one JSON object on stdout (progress on stderr)')
    .action(async (modelArg: string | undefined, o) => {
      const [{ deploy, deploySummary }, { readDeployConfig }] = await Promise.all([import('../../toolkit/pipeline/deploy.ts'), import('../../toolkit/pipeline/config.ts')]);
      const configFile = o.config ?? (!modelArg && existsSync('reparo.config.json') ? 'reparo.config.json' : undefined);
      const cfg = configFile ? readDeployConfig(configFile) : undefined;
      const model = modelArg ?? cfg?.model;
      const board = o.board ?? cfg?.board;
      if (!model || !board) throw new ReparoError('E_USAGE', 'deploy needs a model and --board (or a reparo.config.json naming them)', { hint: 'reparo deploy model.onnx --board qemu-mps2-an386 --calib <images> --data <images>' });
      const runtime = o.runtime ?? cfg?.runtime ?? 'native';
      if (runtime !== 'native' && runtime !== 'tflm') throw new ReparoError('E_USAGE', `--runtime ${runtime}: use native or tflm`);
      const bar = progressBar('deploy');
      const opts: DeployOptions = {
        model, board, runtime, memory: o.memory,
        calib: o.calib ?? cfg?.calib, data: o.data ?? cfg?.data, labels: o.labels ?? cfg?.labels,
        out: o.out ?? cfg?.out ?? 'out/deploy', port: o.port,
        runs: o.runs ?? cfg?.runs, warmup: o.warmup ?? cfg?.warmup, validateSamples: o.samples ?? cfg?.validateSamples, evalSamples: o.evalSamples ?? cfg?.evalSamples,
        mean: o.mean ?? cfg?.mean, std: o.std ?? cfg?.std,
        onStage: (s) => {
          bar.stop();
          process.stderr.write(`▸ ${s}\n`);
        },
        progress: bar.update,
      };
      try {
        const { report, files } = await deploy(opts);
        bar.stop();
        if (o.json) console.log(JSON.stringify({ ...deploySummary(report), report: files }));
        else console.log(summaryLines(report, files).join('\n'));
      } catch (e) {
        bar.stop();
        throw e;
      }
    });
}
