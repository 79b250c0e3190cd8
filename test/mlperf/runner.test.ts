/**
 * The official MLPerf Tiny runner (its Script, DataSet and DUT classes, Python with Debian's
 * python3-serial, -yaml, -numpy) drives reparo's DUT firmware on the virtual Cortex-M4 in
 * performance and accuracy mode. Needs MLPERF_TINY_DIR (a mlcommons/tiny checkout; nothing of it is
 * committed) and says it did not run without it. Data: the keyword-spotting model's seeded random
 * inputs, with TFLM's outputs as the accuracy oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningVirtualBoard, stopVirtualBoard } from '../../toolkit/flash/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { reparo } from '../helpers/cli.ts';

const MLPERF = new URL('../../../shared/models/mlperf/', import.meta.url).pathname;
const SCRIPT = new URL('./run_runner.py', import.meta.url).pathname;
const TINY = process.env.MLPERF_TINY_DIR;
const RUNNER = TINY && join(TINY, 'benchmark/runner');
const BOARD = 'qemu-mps2-an386';
const ready = !!RUNNER && existsSync(join(RUNNER, 'device_under_test.py')) && existsSync(MLPERF);
if (!ready) console.warn('test/mlperf/runner.test.ts did not run: set MLPERF_TINY_DIR to a mlcommons/tiny checkout (and have shared/models/mlperf)');

describe.skipIf(!ready)('the MLPerf Tiny runner drives the reparo DUT (needs MLPERF_TINY_DIR)', () => {
  let dir = '';
  let sets: Record<'p' | 'a', string>;
  // kws01 data sets in the runner's layout, y_labels.csv (file, classes, class) beside the input files:
  // accuracy mode runs every file; performance mode's five windows take one file each
  const dataset = (mode: 'p' | 'a', inputs: number[]) => {
    const data = join(dir, `datasets-${mode}`, 'kws01');
    mkdirSync(data, { recursive: true });
    inputs.forEach((k, i) => copyFileSync(join(MLPERF, `kws_ref_model.input.random${k}.bin`), join(data, `f${i}.bin`)));
    writeFileSync(join(data, 'y_labels.csv'), inputs.map((k, i) => `f${i}.bin,12,${k}`).join('\n') + '\n');
    return join(dir, `datasets-${mode}`);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reparo-runner-'));
    process.env.REPARO_STATE_DIR = mkdtempSync(join(tmpdir(), 'reparo-state-'));
    sets = { a: dataset('a', [1, 2, 3]), p: dataset('p', [1, 2, 3, 1, 2]) };
  });

  const runRunner = (mode: 'p' | 'a') => {
    const out = join(dir, `${mode}.json`);
    const r = spawnSync('/usr/bin/python3', [SCRIPT, RUNNER!, runningVirtualBoard(BOARD)!.pty, sets[mode], mode, out], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    return JSON.parse(readFileSync(out, 'utf8'));
  };

  afterAll(async () => {
    await stopVirtualBoard(BOARD);
  });

  it('flashes the DUT, then the runner identifies it and runs accuracy mode: the results are TFLM\'s outputs', () => {
    const p = join(dir, 'proj');
    expect(reparo(['emit', join(MLPERF, 'kws_ref_model.tflite'), '--board', BOARD, '--mlperf', 'kws01', '-o', p]).code).toBe(0);
    expect(reparo(['build', p]).code).toBe(0);
    expect(reparo(['flash', p, '--board', BOARD]).code).toBe(0);
    const a = runRunner('a');
    expect(a).toMatchObject({ name: 'reparo', model: 'kws01', profile: 'ULPMark for tinyML Firmware V0.0.1' });
    const m = readTflite(readFileSync(join(MLPERF, 'kws_ref_model.tflite')));
    const q = m.tensors[m.outputs[0]!]!.quantization!;
    const printed = (v: number) => Number(Math.fround((v - q.zeroPoint[0]!) * Math.fround(q.scale[0]!)).toFixed(3));
    expect(a.result).toHaveLength(3);
    a.result.forEach((r: { infer: { results: number[]; total_inferences: number } }, i: number) => {
      const want = Array.from(new Int8Array(readFileSync(join(MLPERF, `kws_ref_model.output.random${i + 1}.bin`))), printed);
      expect(r.infer.results).toEqual(want);
      expect(r.infer.total_inferences).toBe(1);
    });
  }, 600_000);

  it('performance mode: five windows of infer 70 10, timed by the board\'s counter', () => {
    const p = runRunner('p');
    const windows = p.result.filter((r: { infer?: unknown }) => r.infer);
    expect(windows).toHaveLength(5);
    // reparo bench's count for one inference, on a board running reparo's own protocol
    const proj = join(dir, 'proj-hil');
    expect(reparo(['emit', join(MLPERF, 'kws_ref_model.tflite'), '--board', BOARD, '-o', proj]).code).toBe(0);
    expect(reparo(['build', proj]).code).toBe(0);
    expect(reparo(['flash', proj, '--board', BOARD]).code).toBe(0);
    const count = JSON.parse(reparo(['bench', '--board', BOARD, '--runs', '2', '--json']).stdout).latency.median;
    for (const w of windows) {
      expect(w.infer.iterations).toBe(70);
      // QEMU -icount at 25 MHz: 25 instructions per µs; the laps are whole µs and bracket the loop
      expect(Math.abs(w.infer.elapsed_time - (70 * count) / 25)).toBeLessThan(0.001 * w.infer.elapsed_time);
      expect(w.infer.throughput).toBeCloseTo(1e6 / (w.infer.elapsed_time / 70), 3);
    }
  }, 600_000);
});
