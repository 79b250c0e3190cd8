/** reparo quantize, eval and run: the int8 side. */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { ReparoError } from '../../toolkit/errors.ts';
import type { Accuracy } from '../../toolkit/pipeline/evaluate.ts';
import { DEFAULT_QUANTIZE } from '../../toolkit/quantize/defaults.ts';
import { writeFileAtomic } from '../../toolkit/io/atomic.ts';

// the heavy modules (onnxruntime, the quantizer) load when a command runs, not for --help
const evaluation = () => import('../../toolkit/pipeline/evaluate.ts');
const dataOpen = async () => (await import('../../toolkit/data/index.ts')).openDataset;
import { count, sci, table } from '../format.ts';
import { progressBar } from '../progress.ts';
import { numbers, pct, positive, readModelFile } from '../options.ts';

export function registerInt8Commands(program: Command): void {
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
    .option('--rounding <r>', 'weight rounding: gptq (fitted layer by layer on the int8 activations), adaround, or nearest', DEFAULT_QUANTIZE.rounding)
    .option('--iterations <n>', 'AdaRound optimisation steps per layer', positive, DEFAULT_QUANTIZE.iterations)
    .option('--no-refit', 'GPTQ: do not refit the float outputs on the int8 inputs first')
    .option('--data <data>', 'also evaluate float, int8 and naive per-tensor min/max int8 on this labelled data')
    .option('--eval-samples <n>', 'samples of --data to evaluate', positive, 10000)
    .option('--labels <file>', 'labels for --calib/--data when not found beside the images')
    .option('--mean <list>', 'per-channel mean after pixel/255', numbers)
    .option('--std <list>', 'per-channel std after pixel/255', numbers)
    .option('--report <file>', 'write the JSON report here')
    .option('--json', 'print one JSON object on stdout')
    .action(async (model: string, o) => {
      if (!['minmax', 'percentile', 'mse'].includes(o.method)) throw new ReparoError('E_USAGE', `--method ${o.method}: use minmax, percentile or mse`);
      if (!['gptq', 'adaround', 'nearest'].includes(o.rounding)) throw new ReparoError('E_USAGE', `--rounding ${o.rounding}: use gptq, adaround or nearest`);
      const [{ quantizeCommand }, { quantizeGraph }, { agreement, evalFloat, evalInt8, layerSqnr }, openDataset] = await Promise.all([
        import('../../toolkit/pipeline/quantize.ts'), import('../../toolkit/quantize/index.ts'), evaluation(), dataOpen(),
      ]);
      const bar = progressBar('calibrate');
      const r = await quantizeCommand(model, {
        calib: o.calib, output: o.output, labels: o.labels, mean: o.mean, std: o.std,
        method: o.method, percentile: o.percentile, samples: o.samples, equalize: o.equalize, biasCorrection: o.biasCorrection, perTensorWeights: o.perTensor,
        rounding: o.rounding, iterations: o.iterations, refit: o.refit,
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
        const naiveModel = await quantizeGraph(r.fused, calib, { method: 'minmax', perTensorWeights: true, equalize: false, biasCorrection: false, rounding: 'nearest', samples: o.samples });
        const naive = evalInt8(naiveModel.model, data, o.evalSamples, evalBar.update);
        evalBar.stop();
        report.accuracy = {
          samples: float.samples, float: { top1: float.top1, top5: float.top5 }, int8: { top1: int8.top1, top5: int8.top5, agreement: agreement(float, int8) },
          naivePerTensorMinMax: { top1: naive.top1, agreement: agreement(float, naive) },
        };
        report.sqnr = await layerSqnr(r.quantized.graph, r.quantized.model, data, 100);
      }
      if (o.report) writeFileAtomic(o.report, JSON.stringify(report, null, 2));
      if (o.json) return console.log(JSON.stringify(report));
      const lines = [
        `model      ${model}: ${r.fuse.singlePath}/${r.fuse.blocks} blocks fused (proof rel err ${sci(r.fuse.maxRel)})`,
        `quantize   ${r.quantized.options.method} ranges, ${r.quantized.options.perTensorWeights ? 'per-tensor' : 'per-channel'} weights, equalization ${r.quantized.options.equalize ? `on (${r.quantized.equalizedPairs} pairs)` : 'off'}, bias correction ${r.quantized.options.biasCorrection ? 'on' : 'off'}, ${r.quantized.options.rounding} rounding, ${r.quantized.calibrationSamples} calibration samples`,
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
      const [{ readOnnx }, { fuseGraph }, { equalizeCrossLayer }, { agreement, evalFloat, evalInt8, layerSqnr, openDatasetForModel, pairedTop1, reparoMetadata }, openDataset] = await Promise.all([
        import('../../toolkit/onnx/index.ts'), import('../../toolkit/fuse/index.ts'), import('../../toolkit/quantize/index.ts'), evaluation(), dataOpen(),
      ]);
      const bar = progressBar('evaluate');
      const result: Record<string, unknown> = { model };
      let acc: Accuracy, fl: Accuracy | undefined, sqnr, labels: Int32Array | undefined;
      if (model.endsWith('.onnx')) {
        const g = readOnnx(model);
        const data = openDataset(o.data, g.inputs[0]!.dims, o);
        acc = await evalFloat(g, data, o.samples, bar.update);
      } else {
        const m = readModelFile(model);
        const data = openDatasetForModel(m, o.data, o);
        acc = evalInt8(m, data, o.samples, bar.update);
        labels = data.labels;
        if (o.float) {
          const fused = (await fuseGraph(readOnnx(o.float))).graph;
          // the int8 model was made from the equalized graph: compare layers with the same scaling
          const g = reparoMetadata(m).quantization?.equalize ? equalizeCrossLayer(fused).graph : fused;
          fl = await evalFloat(g, data, o.samples, bar.update);
          sqnr = await layerSqnr(g, m, data, Math.min(100, o.samples));
        }
      }
      bar.stop();
      Object.assign(result, { samples: acc.samples, top1: acc.top1, top5: acc.top5 });
      const paired = fl && labels ? pairedTop1(acc.predictions, fl.predictions, labels.subarray(0, acc.samples)) : undefined;
      if (fl) Object.assign(result, { float: { top1: fl.top1, top5: fl.top5 }, agreement: agreement(fl, acc), paired, sqnr });
      if (o.json) return console.log(JSON.stringify(result));
      const lines = [`${model}: top-1 ${pct(acc.top1)}${acc.top5 !== undefined ? `, top-5 ${pct(acc.top5)}` : ''} on ${acc.samples} samples`];
      if (fl) {
        lines.push(`float ${o.float}: top-1 ${pct(fl.top1)}; int8 agrees with float on ${pct(result.agreement as number)}`);
        if (paired) lines.push(`right only in int8: ${paired.onlyA}, only in float: ${paired.onlyB} (McNemar p = ${paired.p.toPrecision(2)}: ${paired.p < 0.05 ? 'a real difference' : 'within chance'})`);
        lines.push('');
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
    .action(async (model: string, o) => {
      const { createInterpreter } = await import('../../toolkit/int8/index.ts');
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
}
