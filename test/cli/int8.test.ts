import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reparo } from '../helpers/cli.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const SAMPLE = new URL('../../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url).pathname;
const MODELS = new URL('../../../shared/models/', import.meta.url).pathname;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reparo-int8-cli-'));
});

describe('reparo quantize / eval / run from the command line', () => {
  it('run: the third-party person_detect model, byte for byte what TFLite Micro produced', () => {
    for (const name of ['person', 'no_person', 'random1']) {
      const out = join(dir, `${name}.out`);
      const r = reparo(['run', join(MODELS, 'person_detect.tflite'), '--input', join(MODELS, `person_detect.input.${name}.bin`), '-o', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(readFileSync(out)).toEqual(readFileSync(join(MODELS, `person_detect.output.${name}.bin`)));
    }
  });

  it('quantize a training-time model, then eval --json (top1, samples, agreement, SQNR)', () => {
    const model = join(dir, 'repvgg.tflite');
    const q = reparo(['quantize', join(FIX, 'repvgg.onnx'), '--calib', SAMPLE, '--samples', '100', '--rounding', 'nearest', '-o', model]);
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/6\/6 blocks fused/);
    const e = reparo(['eval', model, '--data', SAMPLE, '--samples', '300', '--float', join(FIX, 'repvgg.onnx'), '--json']);
    expect(e.code).toBe(0);
    const j = JSON.parse(e.stdout);
    expect(j.samples).toBe(300);
    expect(j.top1).toBeGreaterThan(0.85);
    expect(j.agreement).toBeGreaterThan(0.97);
    // the images only one of them gets right are the whole top-1 difference
    expect(j.paired.onlyA - j.paired.onlyB).toBe(Math.round((j.top1 - j.float.top1) * 300));
    expect(j.paired.p).toBeGreaterThan(0);
    expect(j.paired.p).toBeLessThanOrEqual(1);
    expect(j.sqnr.length).toBeGreaterThan(5);
    for (const l of j.sqnr) expect(l.sqnrDb).toBeGreaterThan(20);
  });

  it('bad input: clear error, non-zero exit, nothing written', () => {
    const out = join(dir, 'never.tflite');
    writeFileSync(join(dir, 'wrong.npy'), Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), (() => {
      const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 5, 5), }";
      const pad = 64 - ((10 + h.length + 1) % 64);
      const header = h + ' '.repeat(pad) + '\n';
      const b = Buffer.alloc(2 + header.length);
      b.writeUInt16LE(header.length, 0);
      b.write(header, 2, 'latin1');
      return b;
    })(), Buffer.alloc(2 * 3 * 25 * 4)]));
    mkdirSync(join(dir, 'empty'), { recursive: true });
    writeFileSync(join(dir, 'corrupt.tflite'), readFileSync(join(MODELS, 'person_detect.tflite')).subarray(0, 5000));
    const cases: [string[], RegExp][] = [
      [['quantize', join(FIX, 'repvgg.onnx'), '--calib', join(dir, 'wrong.npy'), '-o', out], /E_USAGE.*does not match the model input/],
      [['quantize', join(FIX, 'repvgg.onnx'), '--calib', join(dir, 'empty'), '-o', out], /E_IO.*no \.png\/\.jpg images/],
      [['quantize', join(FIX, 'repvgg.onnx'), '--calib', SAMPLE, '--method', 'median', '-o', out], /E_USAGE.*--method median/],
      [['eval', join(dir, 'corrupt.tflite'), '--data', SAMPLE], /E_TFLITE_PARSE/],
      [['run', join(MODELS, 'person_detect.tflite'), '--input', SAMPLE, '-o', out], /E_USAGE.*needs 9216/],
    ];
    for (const [args, pattern] of cases) {
      const r = reparo(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    }
  });
});
