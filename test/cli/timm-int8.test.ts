/**
 * timm's families to int8 from the CLI, as a user runs it: `reparo quantize` (defaults but for fewer
 * calibration samples), `reparo eval --float` for the int8 logits' SQNR against onnxruntime's float
 * model on images the calibration did not see, and deploys to the virtual Cortex-M4, bit-exact, of the
 * families that bring new int8 ops; FastViT's attention stages and GELU on TFLM are refused by name.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reparo } from '../helpers/cli.ts';

const FIX = new URL('../fixtures/timm/', import.meta.url).pathname;
const DATA = new URL('../../examples/fashion-mnist/data/', import.meta.url).pathname;
const CALIB = join(DATA, 'train-1000-images-idx3-ubyte.gz'), TEST = join(DATA, 't10k-1000-images-idx3-ubyte.gz');
const out = mkdtempSync(join(tmpdir(), 'reparo-timm-int8-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// logits SQNR measured on 200 test images (dB); the bound leaves room for other machines' float noise
const FAMILIES: [string, number][] = [
  ['repvgg', 20], ['mobileone', 20], ['mobileone_se', 20], ['repghost', 20], ['ghostnetv3', 20], ['repvit', 20], ['fastvit', 18],
];

describe.each(FAMILIES)('timm %s to int8', (name, minSqnr) => {
  it(`quantizes and evaluates with the logits within ${minSqnr} dB SQNR of float`, { timeout: 300_000 }, () => {
    const tflite = join(out, `${name}.tflite`);
    const q = reparo(['quantize', join(FIX, `${name}.onnx`), '--calib', CALIB, '--samples', '200', '-o', tflite], { timeout: 300_000 });
    expect(q.stdout).toContain('→ ' + tflite);
    expect(q.code).toBe(0);
    const e = reparo(['eval', tflite, '--data', TEST, '--float', join(FIX, `${name}.onnx`), '--samples', '200', '--json']);
    expect(e.code).toBe(0);
    const report = JSON.parse(e.stdout);
    const logits = report.sqnr.find((l: { tensor: string }) => l.tensor === 'logits');
    expect(logits.sqnrDb).toBeGreaterThan(minSqnr);
  });
});

describe.each([
  ['mobileone_se', 'SE gates: MEAN, LOGISTIC, MUL'],
  ['ghostnetv3', 'CONCATENATION, RESIZE_NEAREST_NEIGHBOR, hard-sigmoid SE gates'],
  ['repvit', 'GELU'],
])('timm %s on the virtual Cortex-M4 (%s)', (name) => {
  it('deploys: every block one conv, the board bit-exact with the host int8 reference', () => {
    const r = reparo(['deploy', join(FIX, `${name}.onnx`), '--board', 'qemu-mps2-an386', '--calib', CALIB, '--data', TEST, '--samples', '10', '--runs', '2', '--eval-samples', '100', '--out', join(out, `deploy-${name}`), '--json'], { timeout: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.fuse.fused).toBe(j.fuse.blocks);
    expect(j.fuse.max_abs_err).toBeLessThan(1e-5);
    expect(j.validate).toMatchObject({ samples: 10, bit_exact: 10 });
  }, 600_000);
});

describe('what int8 cannot run says so', () => {
  it('FastViT\'s attention stages: quantize names the MatMul and points at the float path', () => {
    const r = reparo(['quantize', join(FIX, 'fastvit_sa.onnx'), '--calib', CALIB, '--samples', '20', '-o', join(out, 'fastvit_sa.tflite')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/MatMul of two activations \(attention\)/);
    expect(r.stderr).toMatch(/float/);
    expect(existsSync(join(out, 'fastvit_sa.tflite'))).toBe(false);
  });
  it('GELU on TFLite Micro: emit --runtime tflm names the op and points at the native runtime', () => {
    const tflite = join(out, 'repvit.tflite');
    if (!existsSync(tflite)) expect(reparo(['quantize', join(FIX, 'repvit.onnx'), '--calib', CALIB, '--samples', '20', '-o', tflite]).code).toBe(0);
    const r = reparo(['emit', tflite, '--board', 'qemu-mps2-an386', '--runtime', 'tflm', '-o', join(out, 'repvit-tflm')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/TFLite Micro has no kernel for GELU/);
    expect(r.stderr).toMatch(/--runtime native/);
    expect(existsSync(join(out, 'repvit-tflm'))).toBe(false);
  });
});
