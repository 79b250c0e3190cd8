/**
 * The int8 bar, as a user runs it: `reparo quantize` calibrated on 500 training images, evaluated on
 * all 10,000 Fashion-MNIST test images (Debian dataset-fashion-mnist). int8 top-1 must stay within
 * 0.3 pp of float. (PyTorch's own PTQ of the same nets, kept in each fixture's metadata, is compared
 * in `npm run bench -- int8`, on these images and on held-out training images, image by image; it is
 * not asserted here: see the README for where it is ahead.)
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reparo } from '../helpers/cli.ts';
import { readIdxLabels } from '../../toolkit/data/index.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const DATA = '/usr/share/datasets/fashion-mnist';

describe.each(['repvgg', 'acnet', 'dbb', 'resrep', 'repvgg_se'])('int8 accuracy of %s on 10k test images', (name) => {
  it('within 0.3 pp of float; the naive per-tensor min/max model reported beside it', () => {
    const meta = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8'));
    const r = reparo(['quantize', join(FIX, `${name}.onnx`), '--calib', `${DATA}/train-images-idx3-ubyte.gz`, '--data', `${DATA}/t10k-images-idx3-ubyte.gz`, '--json'], { timeout: 600_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const acc = JSON.parse(r.stdout).accuracy;
    expect(acc.samples).toBe(10000);
    expect(acc.float.top1).toBeCloseTo(meta.float_top1_10k, 3); // onnxruntime float = PyTorch float
    expect(acc.int8.top1).toBeGreaterThanOrEqual(acc.float.top1 - 0.003);
    expect(acc.naivePerTensorMinMax.top1).toBeGreaterThan(0.5);
  }, 600_000);

  it("PyTorch's recorded per-image predictions give its recorded top-1 (test and held-out images)", () => {
    const meta = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8'));
    const top1 = (digits: string, labels: Uint8Array) => [...digits].reduce((k, d, i) => k + +(Number(d) === labels[i]), 0) / labels.length;
    expect(meta.torch_ptq_test_predictions).toHaveLength(10000);
    expect(top1(meta.torch_ptq_test_predictions, readIdxLabels(`${DATA}/t10k-labels-idx1-ubyte.gz`))).toBe(meta.torch_ptq_top1_10k);
    expect(top1(meta.torch_ptq_heldout_predictions, readIdxLabels(`${DATA}/train-labels-idx1-ubyte.gz`).subarray(50000))).toBe(meta.torch_ptq_top1_heldout);
  });
});
