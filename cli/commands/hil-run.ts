/** What reparo flash, bench, validate and ports do, loaded when one of them runs (cli/commands/hil.ts registers them). */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReparoError } from '../../toolkit/errors.ts';
import { findBoard, loadBoards, type Board } from '../../toolkit/boards/index.ts';
import { readProject } from '../../toolkit/codegen/emit.ts';
import { projectImage } from '../../toolkit/toolchain/project.ts';
import { requireModelChecks } from '../../toolkit/check/index.ts';
import { flashBoard } from '../../toolkit/flash/flash-board.ts';
import { runningVirtualBoard } from '../../toolkit/flash/qemu.ts';
import { readFlashRecord, saveFlashRecord } from '../../toolkit/flash/record.ts';
import { HilClient } from '../../toolkit/hil/index.ts';
import { MlperfDutClient } from '../../toolkit/hil/mlperf-dut.ts';
import { connectBoard } from '../../toolkit/hil/connect.ts';
import { runBench, type BenchResult } from '../../toolkit/hil/bench.ts';
import { runValidate, type ValidateResult } from '../../toolkit/hil/validate.ts';
import { junitXml } from '../../toolkit/hil/junit.ts';
import { listPorts } from '../../toolkit/serial/ports.ts';
import { modelHash, type TfliteModel } from '../../toolkit/tflite/index.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { validationInputs } from '../../toolkit/pipeline/validation-inputs.ts';
import { describeInputs } from '../../toolkit/report/format.ts';
import { writeFileAtomic } from '../../toolkit/io/atomic.ts';
import { count, table } from '../format.ts';
import { readModelFile } from '../options.ts';
import { progressBar } from '../progress.ts';

/** A project folder (its build/firmware.elf) or an image file. */
function resolveImage(target: string, board: Board): { image: string; project?: string; modelHash?: string; mlperf?: string } {
  if (!existsSync(target)) throw new ReparoError('E_IO', 'no such file or folder', { file: target });
  if (!statSync(target).isDirectory()) return { image: resolve(target) };
  const p = readProject(target);
  if (p.board !== board.id)
    throw new ReparoError('E_BOARD', `project ${target} was emitted for ${p.board}, not ${board.id}`, { hint: `emit it for ${board.id}: reparo emit <model.tflite> --board ${board.id}` });
  const image = resolve(projectImage(target));
  if (!existsSync(image)) throw new ReparoError('E_USAGE', `project ${target} is not built yet`, { hint: `reparo build ${target}` });
  requireModelChecks(join(target, 'model.tflite'), `not flashing project ${target}`);
  return { image, project: resolve(target), modelHash: p.modelHash, mlperf: p.mlperf };
}

/** The model the board should run: --model, else the .tflite of the project last flashed to it. */
function boardModel(board: Board, modelOpt?: string): { model?: TfliteModel; hash?: string; from?: string } {
  const rec = readFlashRecord(board.id);
  if (rec?.mlperf)
    throw new ReparoError('E_USAGE', `${board.id} was last flashed with the MLPerf Tiny DUT firmware (${rec.mlperf}), which speaks the runner's protocol, not reparo's`, {
      hint: `drive it with the MLPerf Tiny runner, or emit and flash the model without --mlperf for reparo bench/validate`,
    });
  if (modelOpt) {
    const model = readModelFile(modelOpt);
    return { model, hash: modelHash(model), from: modelOpt };
  }
  const tflite = rec?.project && join(rec.project, 'model.tflite');
  if (tflite && existsSync(tflite)) {
    const model = readModelFile(tflite);
    return { model, hash: modelHash(model), from: tflite };
  }
  return { hash: rec?.modelHash };
}

function writeJunit(file: string | undefined, suite: string, cases: Parameters<typeof junitXml>[1]): void {
  if (file) writeFileAtomic(file, junitXml(suite, cases));
}

const unitNote = (unit: string) => (unit === 'instructions' ? 'instructions (QEMU -icount shift=0: instructions, not cycles)' : 'cycles');

function printBench(r: BenchResult, board: Board): void {
  const l = r.latency;
  const us = l.us ? (v: number) => `${v.toFixed(1)} µs` : () => '';
  const lines = [
    `board      ${board.id} — ${r.info.runtime} runtime, model ${r.info.model}, arena ${count(r.info.arenaBytes)} B`,
    `latency    ${l.runs} runs (after warm-up), in ${unitNote(l.unit)}`,
    table([
      ['min', count(l.min), us(l.min)],
      ['median', count(l.median), us(l.median)],
      ['p90', count(l.p90), us(l.p90)],
      ['max', count(l.max), ''],
    ].map((row) => (l.us ? row : row.slice(0, 2))), l.us ? ['', l.unit, 'time'] : ['', l.unit]),
  ];
  if (l.unit === 'instructions' && !l.identical) lines.push('warning    runs differ: QEMU -icount runs should be identical');
  if (r.layers?.length) {
    const total = r.layers.reduce((a, x) => a + x.count, 0);
    lines.push('', table(r.layers.map((x) => [x.index, x.op, count(x.count), `${((100 * x.count) / total).toFixed(1)}%`]), ['layer', 'op', l.unit, 'share']));
  }
  if (r.retries) lines.push(`serial     ${r.retries} command(s) repeated after garbled or missing replies`);
  console.log(lines.join('\n'));
}

// commander's parsed options
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Opts = any;

export async function flash(target: string, o: Opts): Promise<void> {
      const boards = loadBoards();
      const board = findBoard(o.board);
      const img = resolveImage(target, board);
      const bar = progressBar('flash');
      const flashed = await flashBoard(board, img.image, { method: o.method, port: o.port, boards, onProgress: bar.update }).finally(bar.stop);
      // the firmware must answer, and run the project's model
      const line = await connectBoard(board, boards, { port: o.port ?? (board.virtual ? undefined : flashed.port) });
      try {
        if (img.mlperf) {
          // the MLPerf Tiny DUT answers the runner's protocol: check it does, and say where to point the runner
          const dut = new MlperfDutClient(line.transport);
          const vendor = await dut.name(), model = await dut.model();
          saveFlashRecord({ board: board.id, project: img.project, image: img.image, modelHash: img.modelHash, mlperf: img.mlperf, port: flashed.port, flashedAt: new Date().toISOString() });
          return console.log([
            `flashed    ${img.image} → ${board.id} via ${flashed.method} (${flashed.detail})`,
            `firmware   MLPerf Tiny DUT (m-name-dut-[${vendor}], m-model-[${model}]), serial ${line.where}`,
            `next       point the MLPerf Tiny runner (benchmark/runner) at ${flashed.port ?? line.where}; reparo bench/validate need a project emitted without --mlperf`,
          ].join('\n'));
        }
        const hil = new HilClient(line.transport);
        const info = await hil.hello();
        if (img.modelHash) await hil.checkModel(img.modelHash);
        saveFlashRecord({ board: board.id, project: img.project, image: img.image, modelHash: info.model, port: flashed.port, flashedAt: new Date().toISOString() });
        console.log([
          `flashed    ${img.image} → ${board.id} via ${flashed.method} (${flashed.detail})`,
          `firmware   ${info.runtime} runtime, model ${info.model}, input ${info.inputBytes} B, output ${info.outputBytes} B, arena ${count(info.arenaBytes)} B, serial ${line.where}`,
          `next       reparo bench --board ${board.id}   |   reparo validate --board ${board.id} --data <data>`,
        ].join('\n'));
      } finally {
        await line.close();
      }
}

export async function bench(o: Opts): Promise<void> {
      const boards = loadBoards();
      const board = findBoard(o.board);
      const { hash } = boardModel(board, o.model);
      const line = await connectBoard(board, boards, { port: o.port ?? readFlashRecord(board.id)?.port });
      let r: BenchResult;
      const t0 = Date.now();
      try {
        r = await runBench(new HilClient(line.transport), { runs: o.runs, warmup: o.warmup, expectedModel: hash });
      } catch (e) {
        writeJunit(o.junit, `reparo.bench.${board.id}`, [{ name: 'bench', failure: (e as Error).message }]);
        throw e;
      } finally {
        await line.close();
      }
      writeJunit(o.junit, `reparo.bench.${board.id}`, [
        { name: `latency ${r.latency.runs} runs`, time: (Date.now() - t0) / 1000, output: JSON.stringify(r.latency) },
      ]);
      if (o.json) return console.log(JSON.stringify({ board: board.id, runtime: r.info.runtime, model: r.info.model, latency: r.latency, counts: r.counts, layers: r.layers, retries: r.retries }));
      printBench(r, board);
}

export async function validate(o: Opts): Promise<void> {
      const boards = loadBoards();
      const board = findBoard(o.board);
      const { model, hash } = boardModel(board, o.model);
      if (!model || !hash)
        throw new ReparoError('E_USAGE', `no model known for ${board.id}`, { hint: 'pass --model <model.tflite>, or flash an emitted project first (reparo flash <dir>)' });
      const inputs = validationInputs(model, o.data, { labels: o.labels, samples: o.samples });
      const interp = createInterpreter(model);
      const line = await connectBoard(board, boards, { port: o.port ?? readFlashRecord(board.id)?.port });
      const bar = progressBar('validate');
      let r: ValidateResult;
      const t0 = Date.now();
      try {
        r = await runValidate(
          new HilClient(line.transport),
          { ...inputs, reference: (x) => interp.invoke(x).slice() },
          { expectedModel: hash, progress: bar.update },
        );
      } catch (e) {
        writeJunit(o.junit, `reparo.validate.${board.id}`, [{ name: 'validate', failure: (e as Error).message }]);
        throw e;
      } finally {
        bar.stop();
        await line.close();
      }
      const failure = r.bitExact === r.samples ? undefined : `${r.samples - r.bitExact} of ${r.samples} outputs differ from the host int8 reference (first: sample ${r.mismatches[0]!.sample}, byte ${r.mismatches[0]!.byte})`;
      writeJunit(o.junit, `reparo.validate.${board.id}`, [{ name: `bit-exact on ${r.samples} samples`, time: (Date.now() - t0) / 1000, failure, output: JSON.stringify({ bitExact: r.bitExact, deviceTop1: r.deviceTop1, inputs: inputs.source }) }]);
      if (o.json)
        console.log(JSON.stringify({ board: board.id, runtime: r.info.runtime, model: r.info.model, samples: r.samples, inputs: inputs.source, bit_exact: r.bitExact, device_top1: r.deviceTop1, host_top1: r.hostTop1, mismatches: r.mismatches.slice(0, 20), retries: r.retries }));
      else {
        const pct = (x?: number) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
        console.log([
          `board      ${board.id} — ${r.info.runtime} runtime, model ${r.info.model}`,
          `validate   ${r.bitExact}/${r.samples} outputs bit-exact with the host int8 reference`,
          `inputs     ${describeInputs(inputs.source, r.samples)}`,
          ...(r.deviceTop1 === undefined ? [] : [`top-1      device ${pct(r.deviceTop1)}, host int8 ${pct(r.hostTop1)} on ${r.samples} samples`]),
        ].join('\n'));
      }
      if (failure) throw new ReparoError('E_HIL', failure, { hint: 'the firmware computes something else than the reference: report it with the model' });
}

export async function ports(o: Opts): Promise<void> {
      const boards = loadBoards();
      const { ports, warning } = await listPorts(boards);
      const virtual = boards.filter((b) => b.virtual).flatMap((b) => {
        const state = runningVirtualBoard(b.id);
        return state ? [{ board: b.id, pty: state.pty, image: state.elf, since: state.startedAt }] : [];
      });
      if (o.json) return console.log(JSON.stringify({ ports, warning, virtual }));
      console.log(ports.length ? table(ports.map((p) => [p.path, p.vid ? `${p.vid}:${p.pid}` : '-', p.manufacturer ?? '', p.boards.join(', ') || '-']), ['port', 'USB id', 'maker', 'looks like']) : 'no serial ports found');
      if (warning) console.log(`note       ${warning}`);
      for (const v of virtual) console.log(`virtual    ${v.board} running on ${v.pty} since ${v.since} (${v.image})`);
}
