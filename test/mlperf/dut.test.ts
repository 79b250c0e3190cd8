/**
 * The MLPerf Tiny DUT firmware (reparo emit --mlperf) on the virtual Cortex-M4, driven over its pty
 * the way the official runner drives a board: name, profile, db load + 31-byte db chunks, infer N W,
 * results. Oracle: the outputs real TFLite Micro produced for the same inputs (shared/models/mlperf),
 * dequantized and printed as the reference submissions print them (%0.3f). Each benchmark's input
 * handling is covered: kws01 int8 bytes, ic01 uint8 pixels (byte − 128), ad01 float32 features
 * (quantized on the board; the result is the MSE against them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningVirtualBoard, stopVirtualBoard } from '../../toolkit/flash/index.ts';
import { openSerialPort } from '../../toolkit/serial/index.ts';
import { MlperfDutClient } from '../../toolkit/hil/mlperf-dut.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { reparo } from '../helpers/cli.ts';

const MLPERF = new URL('../../../shared/models/mlperf/', import.meta.url).pathname;
const BOARD = 'qemu-mps2-an386';
const dir = mkdtempSync(join(tmpdir(), 'reparo-dut-'));
const have = existsSync(MLPERF);

const int8 = (path: string) => new Int8Array(readFileSync(path));
const quant = (name: string, which: 'inputs' | 'outputs') => {
  const m = readTflite(readFileSync(join(MLPERF, `${name}.tflite`)));
  const q = m.tensors[m[which][0]!]!.quantization!;
  return { scale: Math.fround(q.scale[0]!), zero: q.zeroPoint[0]! };
};
/** what the firmware prints for output byte q: (q − zp)·scale in float32, to 3 decimals */
const printed = (q: number, o: { scale: number; zero: number }) => Number(Math.fround((q - o.zero) * o.scale).toFixed(3));

async function flashDut(name: string, benchmark: string): Promise<MlperfDutClient & { close(): Promise<void> }> {
  const p = join(dir, benchmark);
  const e = reparo(['emit', join(MLPERF, `${name}.tflite`), '--board', BOARD, '--mlperf', benchmark, '-o', p]);
  expect(e.code, e.stderr).toBe(0);
  expect(reparo(['build', p]).code).toBe(0);
  const f = reparo(['flash', p, '--board', BOARD]);
  expect(f.code, f.stderr).toBe(0);
  expect(f.stdout).toMatch(new RegExp(`MLPerf Tiny DUT \\(m-name-dut-\\[reparo\\], m-model-\\[${benchmark}\\]\\)`));
  const transport = await openSerialPort(runningVirtualBoard(BOARD)!.pty, 115200);
  return Object.assign(new MlperfDutClient(transport), { close: () => transport.close() });
}

describe.skipIf(!have)('the MLPerf Tiny DUT firmware on the virtual Cortex-M4 (needs shared/models/mlperf)', () => {
  beforeAll(() => {
    process.env.REPARO_STATE_DIR = mkdtempSync(join(tmpdir(), 'reparo-state-'));
  });
  afterAll(async () => {
    await stopVirtualBoard(BOARD);
  });

  it('refuses what the DUT cannot serve, before writing anything', () => {
    const kws = join(MLPERF, 'kws_ref_model.tflite'), out = join(dir, 'refused');
    for (const [args, msg] of [
      [['--mlperf', 'sww01'], /--mlperf sww01: the DUT firmware serves ic01, vww01, kws01, ad01/],
      [['--mlperf', 'ad01'], /--mlperf ad01 compares the output with the input: 12 outputs for 490 inputs/],
      [['--mlperf', 'kws01', '--runtime', 'tflm'], /native runtime only/],
    ] as const) {
      const r = reparo(['emit', kws, '--board', BOARD, '-o', out, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\[E_USAGE\]/);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('kws01: int8 inputs; name, profile, timestamps and the results the runner parses', async () => {
    const dut = await flashDut('kws_ref_model', 'kws01');
    try {
      expect(await dut.name()).toBe('reparo');
      expect(await dut.model()).toBe('kws01');
      expect(await dut.command('profile')).toContain('m-profile-[ULPMark for tinyML Firmware V0.0.1]');
      const o = quant('kws_ref_model', 'outputs');
      for (const k of [1, 2]) {
        await dut.load(new Uint8Array(int8(join(MLPERF, `kws_ref_model.input.random${k}.bin`)).buffer));
        const r = await dut.infer(3, 1);
        expect(r.results).toEqual(Array.from(int8(join(MLPERF, `kws_ref_model.output.random${k}.bin`)), (q) => printed(q, o)));
        // QEMU -icount: the laps count instructions at 25 MHz; three runs of ~2.56 M instructions
        expect((r.lapsUs[1] - r.lapsUs[0]) / 3).toBeGreaterThan(2_000_000 / 25);
        expect((r.lapsUs[1] - r.lapsUs[0]) / 3).toBeLessThan(3_000_000 / 25);
      }
      expect(await dut.command('results')).toEqual([expect.stringMatching(/^m-results-\[[-0-9.,]+\]$/)]);
      expect(await dut.command('bogus')).toEqual(['e-[Unknown command: bogus]']);
      expect(await dut.command('db load 3')).toEqual(['m-[Expecting 3 bytes]']);
      expect(await dut.command('db 0a0b')).toEqual([]);
      expect(await dut.command('db 0cff')).toEqual(['m-load-done']);
      expect(await dut.command('db print')).toEqual(['m-buffer-0a-0b-0c']);
      expect(await dut.command('infer 1 0')).toEqual(['e-[db holds 3 bytes, the model takes 490]']);
    } finally {
      await dut.close();
    }
  }, 180_000);

  it('ic01: uint8 pixels become int8 by − 128, as the reference submission does', async () => {
    const dut = await flashDut('pretrainedResnet_quant', 'ic01');
    try {
      const x = int8(join(MLPERF, 'pretrainedResnet_quant.input.random1.bin'));
      await dut.load(Uint8Array.from(x, (v) => v + 128));
      const o = quant('pretrainedResnet_quant', 'outputs');
      expect((await dut.infer(1, 0)).results).toEqual(Array.from(int8(join(MLPERF, 'pretrainedResnet_quant.output.random1.bin')), (q) => printed(q, o)));
    } finally {
      await dut.close();
    }
  }, 180_000);

  it('ad01: float32 features quantized on the board; m-results is the MSE against them', async () => {
    const dut = await flashDut('ad01_int8', 'ad01');
    try {
      const q = int8(join(MLPERF, 'ad01_int8.input.random1.bin'));
      const i = quant('ad01_int8', 'inputs'), o = quant('ad01_int8', 'outputs');
      // features that quantize back to exactly TFLM's int8 input
      const features = Float32Array.from(q, (v) => (v - i.zero) * i.scale);
      await dut.load(new Uint8Array(features.buffer));
      const y = int8(join(MLPERF, 'ad01_int8.output.random1.bin'));
      let sum = 0;
      y.forEach((v, k) => (sum = Math.fround(sum + Math.fround(Math.fround(Math.fround((v - o.zero) * o.scale) - features[k]!) ** 2))));
      const r = await dut.infer(2, 1);
      expect(r.results).toHaveLength(1);
      expect(Math.abs(r.results[0]! - sum / y.length)).toBeLessThanOrEqual(0.0005 + 1e-9);
    } finally {
      await dut.close();
    }
  }, 180_000);
});
