/**
 * `reparo deploy`: fuse → prove → quantize → emit → build → flash → bench → validate, each stage
 * writing its output under `out/` and its section of the deploy report. A failing stage stops the
 * deploy with its own error; what earlier stages produced stays, and the report (JSON + HTML) is
 * written either way, marked with the stage that stopped it.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReparoError } from '../errors.ts';
import { findBoard, loadBoards, type Board } from '../boards/index.ts';
import { openDataset, type DatasetOptions } from '../data/index.ts';
import { readTflite, modelHash, type TfliteModel } from '../tflite/index.ts';
import { createInterpreter } from '../int8/index.ts';
import { emitProject } from '../codegen/emit.ts';
import { buildProject } from '../toolchain/project.ts';
import { startVirtualBoard } from '../flash/qemu.ts';
import { saveFlashRecord } from '../flash/record.ts';
import { flashBoard } from '../flash/flash-board.ts';
import { connectBoard } from '../hil/connect.ts';
import { HilClient } from '../hil/client.ts';
import { runBench } from '../hil/bench.ts';
import { runValidate } from '../hil/validate.ts';
import { describeInputs, writeDeployReport, type DeployReport, type StageName } from '../report/index.ts';
import { fuseCommand } from './fuse.ts';
import { quantizeCommand } from './quantize.ts';
import { evalFloat, evalInt8, agreement, layerSqnr, type Progress } from './evaluate.ts';
import { validationInputs } from './validation-inputs.ts';
import { equalizeCrossLayer, type QuantizeOptions } from '../quantize/index.ts';
import type { Transport } from '../serial/transport.ts';

export interface DeployOptions extends DatasetOptions, Pick<QuantizeOptions, 'method' | 'samples'> {
  model: string;
  board: string;
  /** calibration data (needed for an ONNX model) */
  calib?: string;
  /** labelled data for accuracy and validation */
  data?: string;
  runtime?: 'native' | 'tflm';
  /** the native memory plan (default: fastest where it fits the board's RAM) */
  memory?: 'fastest' | 'smallest';
  out: string;
  port?: string;
  runs?: number;
  warmup?: number;
  /** inputs sent to the board by validate (default 100) */
  validateSamples?: number;
  /** samples of `data` for float/int8 accuracy (default: all) */
  evalSamples?: number;
  /** stage started / progress within it, for progress bars */
  onStage?: (stage: StageName) => void;
  progress?: Progress;
}

export interface DeployResult {
  report: DeployReport;
  files: { json: string; html: string };
}

/** The one-line JSON summary `reparo deploy --json` prints (keys fixed by the CLI contract). */
export function deploySummary(r: DeployReport) {
  const s = r.stages;
  return {
    board: r.board?.id,
    runtime: r.runtime,
    fuse: s.fuse ? { max_abs_err: s.fuse.verify.maxAbs, max_rel_err: s.fuse.verify.maxRel, blocks: s.fuse.blocks.length, fused: s.fuse.blocks.filter((b) => b.singlePath).length } : null,
    quantize: s.quantize ? { float_top1: s.quantize.accuracy?.float.top1 ?? null, int8_top1: s.quantize.accuracy?.int8.top1 ?? null, samples: s.quantize.accuracy?.samples ?? 0, bytes: s.quantize.bytes } : null,
    memory: s.build ? { flash_bytes: s.build.size.flashUsed, ram_bytes: s.build.size.ramUsed, flash_total: s.build.size.flashTotal, ram_total: s.build.size.ramTotal, arena_bytes: s.emit?.arenaSize, plan: s.emit?.memory?.plan ?? null } : null,
    latency: s.bench ? { runs: s.bench.runs, median: s.bench.median, p90: s.bench.p90, min: s.bench.min, unit: s.bench.unit } : null,
    validate: s.validate ? { samples: s.validate.samples, inputs: s.validate.inputs.kind, bit_exact: s.validate.bitExact, device_top1: s.validate.deviceTop1, host_top1: s.validate.hostTop1 } : null,
    stopped: r.stopped ?? null,
  };
}

/** Puts the firmware on the board and opens its serial line. Virtual boards run in this process. */
async function flashAndConnect(board: Board, elf: string, port?: string): Promise<{ transport: Transport; method: string; port: string; verified: boolean; close(): Promise<void> }> {
  if (board.virtual) {
    const s = await startVirtualBoard(elf, board);
    return { transport: s.transport, method: 'qemu', port: s.pty, verified: true, close: s.stop };
  }
  const boards = loadBoards();
  const flashed = await flashBoard(board, elf, { port, boards });
  const line = await connectBoard(board, boards, { port: port ?? flashed.port });
  return { transport: line.transport, method: flashed.method, port: line.where, verified: flashed.verified, close: line.close };
}

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  const report: DeployReport = { model: opts.model, startedAt: new Date().toISOString(), runtime: opts.runtime ?? 'native', stages: {} };
  let stage: StageName = 'fuse';
  const enter = (s: StageName) => {
    stage = s;
    opts.onStage?.(s);
  };
  let line: Awaited<ReturnType<typeof flashAndConnect>> | undefined;
  try {
    const board = findBoard(opts.board);
    report.board = board;
    if (!existsSync(opts.model)) throw new ReparoError('E_IO', 'no such model file', { file: opts.model });
    const isOnnx = opts.model.endsWith('.onnx');
    if (!isOnnx && !opts.model.endsWith('.tflite')) throw new ReparoError('E_USAGE', 'deploy takes a .onnx (training-time or fused) or an int8 .tflite model', { file: opts.model });

    let model: TfliteModel;
    if (isOnnx) {
      enter('fuse');
      const fused = await fuseCommand(opts.model, { output: join(out, 'fused.onnx'), report: join(out, 'fuse.json'), data: opts.data, samples: 100 });
      report.stages.fuse = fused.report;
      enter('quantize');
      if (!opts.calib) throw new ReparoError('E_USAGE', 'deploying an ONNX model needs calibration data', { hint: 'pass --calib <images> (a few hundred training images)' });
      const q = await quantizeCommand(join(out, 'fused.onnx'), { calib: opts.calib, output: join(out, 'model.tflite'), labels: opts.labels, mean: opts.mean, std: opts.std, method: opts.method, samples: opts.samples, progress: opts.progress });
      model = q.quantized.model;
      report.stages.quantize = { output: join(out, 'model.tflite'), bytes: q.bytes.length, method: q.quantized.options.method, perTensorWeights: q.quantized.options.perTensorWeights, calibrationSamples: q.quantized.calibrationSamples };
      if (opts.data) {
        const data = openDataset(opts.data, q.original.inputs[0]!.dims, opts);
        const n = opts.evalSamples ?? data.count;
        const float = await evalFloat(q.fused, data, n, opts.progress);
        const int8 = evalInt8(model, data, n, opts.progress);
        const g = q.quantized.options.equalize ? equalizeCrossLayer(q.fused).graph : q.fused;
        report.stages.quantize.accuracy = { samples: float.samples, float: { top1: float.top1, top5: float.top5 }, int8: { top1: int8.top1, top5: int8.top5, agreement: agreement(float, int8) } };
        report.stages.quantize.sqnr = await layerSqnr(g, model, data, Math.min(100, n));
      }
    } else {
      enter('quantize');
      model = readTflite(readFileSync(opts.model), opts.model);
      report.stages.quantize = { output: opts.model, bytes: readFileSync(opts.model).length };
    }

    enter('emit');
    const project = join(out, 'project');
    const emitted = emitProject(model, board, project, { runtime: opts.runtime, memory: opts.memory });
    report.stages.emit = { dir: project, runtime: opts.runtime ?? 'native', arenaSize: emitted.arenaSize, fit: emitted.fit, ...(emitted.memory && { memory: emitted.memory }) };

    enter('build');
    const built = buildProject(project);
    const image = built.kind === 'elf' ? built.elf : built.image;
    if (built.kind === 'elf') report.stages.build = { elf: built.elf, size: built.size };

    enter('flash');
    const t0 = Date.now();
    line = await flashAndConnect(board, image, opts.port);
    const hash = modelHash(model);
    const hil = new HilClient(line.transport);
    await hil.hello();
    await hil.checkModel(hash);
    saveFlashRecord({ board: board.id, project, image, modelHash: hash, flashedAt: new Date().toISOString() });
    report.stages.flash = { method: line.method, port: line.port, verified: line.verified, ms: Date.now() - t0 };

    const inputs = validationInputs(model, opts.data, { ...opts, samples: opts.validateSamples });
    enter('bench');
    const bench = await runBench(hil, { runs: opts.runs ?? 10, warmup: opts.warmup ?? 2, expectedModel: hash, input: inputs.source.kind === 'data' ? inputs.input(0) : undefined });
    report.stages.bench = { ...bench.latency, perLayer: bench.layers?.map((l) => ({ name: `${l.index}`, op: l.op, count: l.count })) };

    enter('validate');
    const interp = createInterpreter(model);
    const v = await runValidate(hil, { ...inputs, reference: (x) => interp.invoke(x).slice() }, { expectedModel: hash, progress: (d, t) => opts.progress?.(d, t, 'validate') });
    report.stages.validate = { samples: v.samples, inputs: inputs.source, bitExact: v.bitExact, deviceTop1: v.deviceTop1 ?? NaN, hostTop1: v.hostTop1 ?? NaN };
    if (v.bitExact !== v.samples)
      throw new ReparoError('E_HIL', `${v.samples - v.bitExact} of ${v.samples} board outputs differ from the host int8 reference (first: sample ${v.mismatches[0]!.sample}; ${describeInputs(inputs.source, v.samples)})`, { hint: 'the firmware computes something else than the reference: report it with the model' });
  } catch (e) {
    const err = e as Error;
    // a failed proof of the fusion is the prove stage's verdict
    if (stage === 'fuse' && e instanceof ReparoError && e.code === 'E_TOLERANCE') stage = 'prove';
    report.stopped = { stage, code: e instanceof ReparoError ? e.code : undefined, message: err.message };
    writeDeployReport(report, out);
    throw e;
  } finally {
    await line?.close();
  }
  return { report, files: writeDeployReport(report, out) };
}

