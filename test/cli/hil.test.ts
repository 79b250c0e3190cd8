/**
 * The serial HIL commands as a user runs them, on the virtual Cortex-M4 over QEMU's pty:
 * quantize → emit → build → flash → bench → validate, each a separate `reparo` process.
 * Oracles: the int8 reference interpreter (validate compares byte for byte), QEMU -icount
 * (instruction counts must repeat exactly across runs and across processes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopVirtualBoard } from '../../toolkit/flash/index.ts';
import { reparo } from '../helpers/cli.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const DATA = new URL('../../examples/fashion-mnist/data/', import.meta.url).pathname;
const TEST = join(DATA, 't10k-1000-images-idx3-ubyte.gz');
const CALIB = join(DATA, 'train-1000-images-idx3-ubyte.gz');
const BOARD = 'qemu-mps2-an386';

const dir = mkdtempSync(join(tmpdir(), 'reparo-hil-cli-'));
const proj = join(dir, 'proj');

describe('reparo flash / bench / validate on a virtual board', () => {
  beforeAll(() => {
    // a state folder of our own: other test files flash the same virtual boards at the same time
    process.env.REPARO_STATE_DIR = mkdtempSync(join(tmpdir(), 'reparo-state-'));
    expect(reparo(['quantize', join(FIX, 'repvgg.onnx'), '--calib', CALIB, '--samples', '64', '--method', 'minmax', '--rounding', 'nearest', '-o', join(dir, 'm.tflite')]).code).toBe(0);
    expect(reparo(['emit', join(dir, 'm.tflite'), '--board', BOARD, '-o', proj]).code).toBe(0);
    expect(existsSync(join(proj, 'model.tflite'))).toBe(true);
    expect(reparo(['build', proj]).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await stopVirtualBoard(BOARD);
  });

  it('bench before any flash says what to do', () => {
    const r = reparo(['bench', '--board', BOARD]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no virtual board running for qemu-mps2-an386; run reparo flash first/);
  });

  it('flashes, then bench repeats the same instruction count in separate processes', () => {
    const f = reparo(['flash', proj, '--board', BOARD]);
    expect(f.stderr).toBe('');
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/firmware\s+native runtime, model [0-9a-f]{16}, input 784 B, output 10 B/);
    const junit = join(dir, 'bench.xml');
    const runs = [1, 2].map(() => {
      const b = reparo(['bench', '--board', BOARD, '--runs', '5', '--warmup', '1', '--json', '--junit', junit]);
      expect(b.code).toBe(0);
      return JSON.parse(b.stdout);
    });
    for (const r of runs) {
      expect(r.latency.unit).toBe('instructions');
      expect(r.counts).toHaveLength(5);
      expect(new Set(r.counts).size).toBe(1);
      expect(r.latency.identical).toBe(true);
      // the per-layer profile covers the whole inference (probes cost a few instructions per layer)
      const sum = r.layers.reduce((a: number, l: { count: number }) => a + l.count, 0);
      expect(Math.abs(sum - r.latency.median) / r.latency.median).toBeLessThan(0.001);
    }
    expect(runs[1].latency.median).toBe(runs[0].latency.median);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuite name="reparo.bench.qemu-mps2-an386" tests="1" failures="0">/);
    const text = reparo(['bench', '--board', BOARD, '--runs', '3']);
    expect(text.stdout).toMatch(/instructions \(QEMU -icount shift=0: instructions, not cycles\)/);
  }, 120_000);

  it('validate finds the flashed model through the project and is bit-exact', () => {
    const v = reparo(['validate', '--board', BOARD, '--data', TEST, '--samples', '12', '--json', '--junit', join(dir, 'v.xml')]);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    const r = JSON.parse(v.stdout);
    expect(r).toMatchObject({ board: BOARD, runtime: 'native', samples: 12, bit_exact: 12 });
    expect(r.device_top1).toBe(r.host_top1);
    expect(readFileSync(join(dir, 'v.xml'), 'utf8')).toMatch(/failures="0"/);
  }, 120_000);

  it('validate without --data sends seeded random int8 inputs and says so', () => {
    const v = reparo(['validate', '--board', BOARD, '--samples', '6', '--json']);
    expect(v.code, v.stderr).toBe(0);
    const r = JSON.parse(v.stdout);
    expect(r).toMatchObject({ board: BOARD, samples: 6, bit_exact: 6, inputs: { kind: 'random', seed: 1 } });
    expect(r.device_top1).toBeUndefined();
    const text = reparo(['validate', '--board', BOARD, '--samples', '3']);
    expect(text.stdout).toMatch(/inputs {5}3 seeded random int8 inputs, no data given/);
    expect(text.stdout).not.toMatch(/top-1/);
  }, 120_000);

  it('refuses to validate against a model the board does not run', () => {
    expect(reparo(['quantize', join(FIX, 'acnet.onnx'), '--calib', CALIB, '--samples', '16', '--method', 'minmax', '--rounding', 'nearest', '-o', join(dir, 'other.tflite')]).code).toBe(0);
    const v = reparo(['validate', '--board', BOARD, '--data', TEST, '--samples', '2', '--model', join(dir, 'other.tflite')]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/\[E_HIL\].*runs model [0-9a-f]{16}, not [0-9a-f]{16}/);
    expect(v.stderr).toMatch(/flash it again/);
  }, 120_000);

  it.each(['qemu-mps2-an500', 'qemu-mps2-an505'])('the same commands on %s: flash, bench (identical counts), validate (bit-exact)', async (board) => {
    const p = join(dir, `proj-${board}`);
    expect(reparo(['emit', join(dir, 'm.tflite'), '--board', board, '-o', p]).code).toBe(0);
    expect(reparo(['build', p]).code).toBe(0);
    try {
      expect(reparo(['flash', p, '--board', board]).code).toBe(0);
      const b = JSON.parse(reparo(['bench', '--board', board, '--runs', '3', '--json']).stdout);
      expect(b.latency.unit).toBe('instructions');
      expect(new Set(b.counts).size).toBe(1);
      const v = JSON.parse(reparo(['validate', '--board', board, '--data', TEST, '--samples', '5', '--json']).stdout);
      expect(v).toMatchObject({ board, samples: 5, bit_exact: 5 });
    } finally {
      await stopVirtualBoard(board);
    }
  }, 180_000);

  it('emit --memory smallest: convs in row bands, said in the output and project.json; flash and validate bit-exact; bad plans refused', async () => {
    const p = join(dir, 'proj-smallest');
    const e = reparo(['emit', join(dir, 'm.tflite'), '--board', 'qemu-mps2-an500', '--memory', 'smallest', '-o', p]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/memory {5}smallest plan: (ops \d+-\d+ in |op \d+ in place \()\d+ bands of \d+ rows?/);
    const project = JSON.parse(readFileSync(join(p, 'project.json'), 'utf8'));
    expect(project.memory.plan).toBe('smallest');
    expect(project.memory.bands.length).toBeGreaterThan(0);
    const fastest = JSON.parse(readFileSync(join(proj, 'project.json'), 'utf8'));
    expect(fastest.memory).toMatchObject({ plan: 'fastest', bands: [] });
    // the peak of the per-op profile is the arena, but for its rounding up to 16 bytes
    for (const j of [fastest, project]) expect(j.arenaSize - Math.max(...j.memory.ramByOp)).toSatisfy((d: number) => d >= 0 && d < 16);
    expect(project.memory.tflmRamByOp).toEqual(fastest.memory.tflmRamByOp);
    expect(project.arenaSize).toBeLessThan(fastest.arenaSize);
    expect(reparo(['build', p]).code).toBe(0);
    try {
      expect(reparo(['flash', p, '--board', 'qemu-mps2-an500']).code).toBe(0);
      const v = JSON.parse(reparo(['validate', '--board', 'qemu-mps2-an500', '--data', TEST, '--samples', '5', '--json']).stdout);
      expect(v).toMatchObject({ samples: 5, bit_exact: 5 });
    } finally {
      await stopVirtualBoard('qemu-mps2-an500');
    }
    for (const args of [['--memory', 'tiny'], ['--memory', 'smallest', '--runtime', 'tflm']]) {
      const r = reparo(['emit', join(dir, 'm.tflite'), '--board', BOARD, '-o', join(dir, 'refused'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--memory/);
      expect(existsSync(join(dir, 'refused'))).toBe(false);
    }
  }, 180_000);
});
