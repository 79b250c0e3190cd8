/** The reparo command line: parses arguments, calls the toolkit, prints. No logic the library lacks. */
import { Command, InvalidArgumentError } from 'commander';
import { ReparoError } from '../toolkit/errors.ts';
import { fuseCommand, type FuseReport } from '../toolkit/pipeline/index.ts';
import { readOnnx } from '../toolkit/onnx/index.ts';
import { detectBlocks } from '../toolkit/fuse/index.ts';
import { graphStats } from '../toolkit/graph/index.ts';
import { count, sci, table } from './format.ts';
import { progressBar } from './progress.ts';
import { quantizeCommand } from '../toolkit/pipeline/quantize.ts';
import { evalFloat, evalInt8, layerSqnr, nchwToNhwc, quantizeInput, type Accuracy } from '../toolkit/pipeline/evaluate.ts';
import { openDataset } from '../toolkit/data/index.ts';
import { readTflite } from '../toolkit/tflite/index.ts';
import { createInterpreter } from '../toolkit/int8/index.ts';
import { fuseGraph } from '../toolkit/fuse/index.ts';
import { equalizeCrossLayer, quantizeGraph, DEFAULT_QUANTIZE } from '../toolkit/quantize/index.ts';
import { writeFileAtomic } from '../toolkit/io/atomic.ts';
import { existsSync, readFileSync } from 'node:fs';
import { findBoard, loadBoards } from '../toolkit/boards/index.ts';
import { emitProject, readProject } from '../toolkit/codegen/emit.ts';
import { buildFirmware } from '../toolkit/build/index.ts';
import { join } from 'node:path';

const program = new Command('reparo')
  .description('Fuse re-parameterized conv nets, quantize them to int8 and run them on microcontrollers')
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function shapes(v: string, prev: Record<string, number[]> = {}): Record<string, number[]> {
  const m = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected NAME=1x1x28x28');
  return { ...prev, [m[1]!]: m[2]!.split('x').map(Number) };
}

function printFuse(r: FuseReport): void {
  const fam = Object.entries(r.families).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const lines = [
    `model      ${r.model}  input ${r.input.name} [${r.input.dims.join('×')}]`,
    `blocks     ${r.blocks.filter((b) => b.singlePath).length}/${r.blocks.length} fused to one conv (${fam})`,
    '',
    table(
      [
        ['nodes', count(r.before.nodes), count(r.after.nodes)],
        ['params', count(r.before.params), count(r.after.params)],
        ['MACs', count(r.before.macs), count(r.after.macs)],
        ['BatchNormalization', r.before.ops.BatchNormalization ?? 0, r.after.ops.BatchNormalization ?? 0],
        ['Add', r.before.ops.Add ?? 0, r.after.ops.Add ?? 0],
      ],
      ['', 'training-time', 'fused'],
    ),
    '',
  ];
  if (r.blocks.length)
    lines.push(
      table(
        r.blocks.map((b) => [b.output, b.family, b.kernels.join('+'), b.singlePath ? b.fusedKernel ?? '' : 'NOT FUSED', sci(b.maxAbs), sci(b.maxRel)]),
        ['block output', 'family', 'branches', 'fused', 'max abs err', 'max rel err'],
      ),
      '',
    );
  for (const p of r.resrep)
    lines.push(p.kept ? `resrep     ${p.compactor}: rows kept (${p.kept})` : `resrep     ${p.compactor}: removed ${p.removed}/${p.rows} channels, ${count(p.paramsRemoved)} params`);
  for (const c of r.collapse)
    lines.push(c.status === 'collapsed' ? `collapse   ${c.output}: ${c.nodes.length} ops → one ${c.kernel!.join('×')} conv (proof rel err ${sci(c.proofRelErr)})` : `collapse   ${c.output}: refused — ${c.reason}`);
  const v = r.verify;
  lines.push(
    `verify     onnxruntime, ${v.samples.random} random + ${v.samples.data} data inputs: max abs ${sci(v.maxAbs)}, max rel ${sci(v.maxRel)} (tolerance ${v.tolerance.rel}) → ${v.passed ? 'EQUIVALENT' : 'NOT EQUIVALENT'}`,
  );
  if (r.written) lines.push(`wrote      ${r.output}`);
  console.log(lines.join('\n'));
}

program
  .command('fuse')
  .description('fold a training-time re-param net into one conv per block, prove it equal in onnxruntime, write ONNX')
  .argument('<model.onnx>', 'training-time ONNX model')
  .option('-o, --output <file>', 'fused ONNX model to write')
  .option('--report <file>', 'write the JSON report here')
  .option('--json', 'print one JSON object on stdout')
  .option('--data <idx>', 'IDX images (gz or plain) to verify on, besides random inputs')
  .option('--samples <n>', 'how many images of --data', positive, 100)
  .option('--random <n>', 'random inputs to verify on', positive, 8)
  .option('--tolerance <rel>', 'max error relative to the output range', positive, 1e-4)
  .option('--compactor-threshold <norm>', 'ResRep compactor rows below this L2 norm are removed', positive, 1e-5)
  .option('--no-collapse', 'do not collapse remaining linear regions by measurement')
  .option('--input-shape <name=dims>', 'fix a dynamic input shape, e.g. input=1x1x28x28', shapes)
  .option('--force', 'write even when the error exceeds the tolerance')
  .action(async (model: string, o) => {
    const { report } = await fuseCommand(model, {
      output: o.output,
      report: o.report,
      data: o.data,
      samples: o.samples,
      randomSamples: o.random,
      tolerance: o.tolerance,
      compactorThreshold: o.compactorThreshold,
      noCollapse: !o.collapse,
      inputShapes: o.inputShape,
      force: o.force,
    });
    if (o.json) console.log(JSON.stringify(report));
    else printFuse(report);
  });

program
  .command('inspect')
  .description('ops, detected re-param blocks, params, MACs, input and output shapes of an ONNX model')
  .argument('<model.onnx>')
  .option('--json', 'print one JSON object on stdout')
  .option('--input-shape <name=dims>', 'fix a dynamic input shape', shapes)
  .action((model: string, o) => {
    const g = readOnnx(model, { inputShapes: o.inputShape });
    const stats = graphStats(g);
    const blocks = detectBlocks(g);
    const info = {
      model,
      opset: g.opset,
      inputs: g.inputs.map((i) => ({ name: i.name, dims: i.dims })),
      outputs: g.outputs.map((i) => ({ name: i.name, dims: i.dims })),
      ...stats,
      blocks: blocks.map((b) => ({ output: b.output, family: b.family, kernels: b.kernels, ops: b.ops })),
    };
    if (o.json) return console.log(JSON.stringify(info));
    console.log(
      [
        `model    ${model} (opset ${g.opset})`,
        ...info.inputs.map((i) => `input    ${i.name} [${i.dims.join('×')}]`),
        ...info.outputs.map((i) => `output   ${i.name} [${i.dims.join('×')}]`),
        `params   ${count(stats.params)}   MACs ${count(stats.macs)}   nodes ${stats.nodes}`,
        `ops      ${Object.entries(stats.ops).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        '',
        blocks.length ? table(blocks.map((b) => [b.output, b.family, b.kernels.join('+'), Object.entries(b.ops).map(([k, v]) => `${k}×${v}`).join(' ')]), ['block output', 'family', 'branches', 'ops']) : 'no re-param blocks found',
      ].join('\n'),
    );
  });

function numbers(v: string): number[] {
  const xs = v.split(',').map(Number);
  if (!xs.length || xs.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError('expected numbers separated by commas, e.g. 0.485,0.456,0.406');
  return xs;
}

const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`);

function readModelFile(path: string): ReturnType<typeof readTflite> {
  if (!existsSync(path)) throw new ReparoError('E_IO', 'no such file', { file: path });
  return readTflite(readFileSync(path), path);
}

program
  .command('quantize')
  .description('post-training quantization of an ONNX model (training-time or fused) to an int8 .tflite')
  .argument('<model.onnx>')
  .requiredOption('--calib <data>', 'calibration data: IDX (gz or plain), .npy, or a folder of images with one sub-folder per class')
  .option('-o, --output <file.tflite>', 'int8 TFLite model to write')
  .option('--method <m>', 'activation ranges: minmax, percentile or mse', DEFAULT_QUANTIZE.method)
  .option('--percentile <p>', 'for --method percentile', positive, DEFAULT_QUANTIZE.percentile)
  .option('--samples <n>', 'calibration samples', positive, DEFAULT_QUANTIZE.samples)
  .option('--no-equalize', 'no cross-layer equalization')
  .option('--no-bias-correction', 'no bias correction')
  .option('--per-tensor', 'per-tensor weights (for comparison; per-channel is the default)')
  .option('--data <data>', 'also evaluate float, int8 and naive per-tensor min/max int8 on this labelled data')
  .option('--eval-samples <n>', 'samples of --data to evaluate', positive, 10000)
  .option('--labels <file>', 'labels for --calib/--data when not found beside the images')
  .option('--mean <list>', 'per-channel mean after pixel/255', numbers)
  .option('--std <list>', 'per-channel std after pixel/255', numbers)
  .option('--report <file>', 'write the JSON report here')
  .option('--json', 'print one JSON object on stdout')
  .action(async (model: string, o) => {
    if (!['minmax', 'percentile', 'mse'].includes(o.method)) throw new ReparoError('E_USAGE', `--method ${o.method}: use minmax, percentile or mse`);
    const bar = progressBar('calibrate');
    const r = await quantizeCommand(model, {
      calib: o.calib, output: o.output, labels: o.labels, mean: o.mean, std: o.std,
      method: o.method, percentile: o.percentile, samples: o.samples, equalize: o.equalize, biasCorrection: o.biasCorrection, perTensorWeights: o.perTensor,
      progress: bar.update,
    });
    bar.stop();
    const report: Record<string, unknown> = {
      model, output: o.output, bytes: r.bytes.length, fuse: r.fuse, options: r.quantized.options, equalizedPairs: r.quantized.equalizedPairs,
      ops: r.quantized.model.operators.map((op) => op.op),
    };
    if (o.data) {
      const data = openDataset(o.data, r.original.inputs[0]!.dims, { labels: o.labels, mean: o.mean, std: o.std });
      const evalBar = progressBar('evaluate');
      const float = await evalFloat(r.fused, data, o.evalSamples, evalBar.update);
      const int8 = evalInt8(r.quantized.model, data, o.evalSamples, evalBar.update);
      const calib = openDataset(o.calib, r.original.inputs[0]!.dims, { labels: o.labels, mean: o.mean, std: o.std });
      const naiveModel = await quantizeGraph(r.fused, calib, { method: 'minmax', perTensorWeights: true, equalize: false, biasCorrection: false, samples: o.samples });
      const naive = evalInt8(naiveModel.model, data, o.evalSamples, evalBar.update);
      evalBar.stop();
      const agree = (a: Accuracy, b: Accuracy) => a.predictions.reduce((n, p, i) => n + +(p === b.predictions[i]), 0) / a.samples;
      report.accuracy = {
        samples: float.samples, float: { top1: float.top1, top5: float.top5 }, int8: { top1: int8.top1, top5: int8.top5, agreement: agree(float, int8) },
        naivePerTensorMinMax: { top1: naive.top1, agreement: agree(float, naive) },
      };
      report.sqnr = await layerSqnr(r.quantized.graph, r.quantized.model, data, 100);
    }
    if (o.report) writeFileAtomic(o.report, JSON.stringify(report, null, 2));
    if (o.json) return console.log(JSON.stringify(report));
    const lines = [
      `model      ${model}: ${r.fuse.singlePath}/${r.fuse.blocks} blocks fused (proof rel err ${sci(r.fuse.maxRel)})`,
      `quantize   ${r.quantized.options.method} ranges, ${r.quantized.options.perTensorWeights ? 'per-tensor' : 'per-channel'} weights, equalization ${r.quantized.options.equalize ? `on (${r.quantized.equalizedPairs} pairs)` : 'off'}, bias correction ${r.quantized.options.biasCorrection ? 'on' : 'off'}, ${r.quantized.calibrationSamples} calibration samples`,
      `tflite     ${r.quantized.model.operators.length} ops (${[...new Set(report.ops as string[])].join(', ')}), ${count(r.bytes.length)} bytes${o.output ? ` → ${o.output}` : ''}`,
    ];
    const acc = report.accuracy as { samples: number; float: { top1: number }; int8: { top1: number; agreement: number }; naivePerTensorMinMax: { top1: number; agreement: number } } | undefined;
    if (acc)
      lines.push('', table([
        ['float', pct(acc.float.top1), ''],
        ['int8 (reparo)', pct(acc.int8.top1), pct(acc.int8.agreement)],
        ['int8 naive per-tensor min/max', pct(acc.naivePerTensorMinMax.top1), pct(acc.naivePerTensorMinMax.agreement)],
      ], [`top-1 on ${acc.samples} samples`, 'top-1', 'agrees with float']));
    console.log(lines.join('\n'));
  });

program
  .command('eval')
  .description('top-1/top-5 of a float .onnx or int8 .tflite model on labelled data; with --float, agreement and per-layer SQNR')
  .argument('<model>', 'model.tflite or model.onnx')
  .requiredOption('--data <data>', 'IDX (gz or plain), .npy, or a folder of images with one sub-folder per class')
  .option('--labels <file>', 'labels when not found beside the images')
  .option('--float <model.onnx>', 'the float model the .tflite was made from: adds agreement and per-layer SQNR')
  .option('--samples <n>', 'samples to evaluate', positive, 10000)
  .option('--mean <list>', 'per-channel mean after pixel/255', numbers)
  .option('--std <list>', 'per-channel std after pixel/255', numbers)
  .option('--json', 'print one JSON object on stdout')
  .action(async (model: string, o) => {
    const bar = progressBar('evaluate');
    const result: Record<string, unknown> = { model };
    let acc: Accuracy, fl: Accuracy | undefined, sqnr;
    if (model.endsWith('.onnx')) {
      const g = readOnnx(model);
      const data = openDataset(o.data, g.inputs[0]!.dims, o);
      acc = await evalFloat(g, data, o.samples, bar.update);
    } else {
      const m = readModelFile(model);
      const [, H, W, C] = m.tensors[m.inputs[0]!]!.shape as [number, number, number, number];
      const meta = m.metadata.find((e) => e.name === 'reparo');
      const info = meta ? JSON.parse(new TextDecoder().decode(meta.data)) : {};
      const data = openDataset(o.data, [1, C, H, W], { labels: o.labels, mean: o.mean ?? info.input?.mean, std: o.std ?? info.input?.std });
      acc = evalInt8(m, data, o.samples, bar.update);
      if (o.float) {
        const fused = (await fuseGraph(readOnnx(o.float))).graph;
        // the int8 model was made from the equalized graph: compare layers with the same scaling
        const g = info.quantization?.equalize ? equalizeCrossLayer(fused).graph : fused;
        fl = await evalFloat(g, data, o.samples, bar.update);
        sqnr = await layerSqnr(g, m, data, Math.min(100, o.samples));
      }
    }
    bar.stop();
    Object.assign(result, { samples: acc.samples, top1: acc.top1, top5: acc.top5 });
    if (fl) Object.assign(result, { float: { top1: fl.top1, top5: fl.top5 }, agreement: fl.predictions.reduce((n, p, i) => n + +(p === acc.predictions[i]), 0) / acc.samples, sqnr });
    if (o.json) return console.log(JSON.stringify(result));
    const lines = [`${model}: top-1 ${pct(acc.top1)}${acc.top5 !== undefined ? `, top-5 ${pct(acc.top5)}` : ''} on ${acc.samples} samples`];
    if (fl) {
      lines.push(`float ${o.float}: top-1 ${pct(fl.top1)}; int8 agrees with float on ${pct(result.agreement as number)}`, '');
      lines.push(table((sqnr ?? []).map((l) => [l.tensor, l.op, l.sqnrDb.toFixed(1)]), ['tensor', 'op', 'SQNR dB']));
    }
    console.log(lines.join('\n'));
  });

program
  .command('run')
  .description('raw input tensor bytes in, raw output tensor bytes out, through the int8 reference interpreter')
  .argument('<model.tflite>')
  .requiredOption('--input <raw.bin>', 'the input tensor as raw bytes (int8, NHWC)')
  .requiredOption('-o, --output <raw.bin>', 'where to write the output tensor bytes')
  .action((model: string, o) => {
    const m = readModelFile(model);
    if (!existsSync(o.input)) throw new ReparoError('E_IO', 'no such file', { file: o.input });
    const bytes = readFileSync(o.input);
    const t = m.tensors[m.inputs[0]!]!;
    const need = t.shape.reduce((a, b) => a * b, 1);
    if (t.type !== 'int8') throw new ReparoError('E_USAGE', `the model input is ${t.type}; reparo run feeds int8 inputs`, { file: model });
    if (bytes.length !== need) throw new ReparoError('E_USAGE', `input has ${bytes.length} bytes; the model's input [${t.shape}] int8 needs ${need}`, { file: o.input });
    const y = createInterpreter(m).invoke(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    writeFileAtomic(o.output, new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  });

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
