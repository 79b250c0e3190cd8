/**
 * Arm NN's own TfLite parser and CpuRef backend (Debian python3-pyarmnn) as an independent int8
 * engine for the .tflite files reparo writes. Its reference backend requantizes through float, so
 * single ops agree with reparo's (TFLM-exact) interpreter within 1 LSB, and whole nets, where those
 * 1-LSB steps compound layer after layer, within a few LSB and on nearly every predicted class.
 * Known: Arm NN 20.08 rejects per-channel quantized depthwise convs, so the DBB net (with its
 * depthwise block) and depthwise kernels are checked against the TFLM vectors instead; it has no
 * GELU and ignores RESIZE_BILINEAR's half_pixel_centers, which TFLM checks too.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantizeCommand } from '../../toolkit/pipeline/quantize.ts';
import { openDataset, type Dataset } from '../../toolkit/data/index.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { quantizeInput, nchwToNhwc } from '../../toolkit/pipeline/evaluate.ts';
import { quantizeGraph } from '../../toolkit/quantize/index.ts';
import { writeTflite, type TfliteModel } from '../../toolkit/tflite/index.ts';
import { floatTensor, int, ints, randomInput, type Graph } from '../../toolkit/graph/index.ts';

const float = (value: number) => ({ kind: 'float' as const, value });
const str = (value: string) => ({ kind: 'string' as const, value });
import { NetBuilder } from '../helpers/reparam-nets.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const SAMPLE = new URL('../../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url).pathname;
const HELPER = new URL('../helpers/armnn_run.py', import.meta.url).pathname;

/** Runs `model` on the inputs in Arm NN and in reparo; returns per-input max |diff| and argmax agreement. */
function compare(model: TfliteModel, inputs: Int8Array[]) {
  const dir = mkdtempSync(join(tmpdir(), 'reparo-armnn-'));
  const path = join(dir, 'm.tflite');
  writeFileSync(path, writeTflite(model));
  const files = inputs.map((x, i) => {
    const p = join(dir, `${i}.bin`);
    writeFileSync(p, x);
    return p;
  });
  const run = spawnSync('/usr/bin/python3', [HELPER, path, ...files], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const interp = createInterpreter(model);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(inputs.length);
  const argmax = (a: Int8Array) => a.reduce((b, v, i) => (v > a[b]! ? i : b), 0);
  let maxDiff = 0, sameClass = 0;
  lines.forEach((hex, i) => {
    const theirs = new Int8Array(Buffer.from(hex, 'hex'));
    const ours = interp.invoke(inputs[i]!);
    expect(theirs.length).toBe(ours.length);
    theirs.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - ours[k]!))));
    if (argmax(theirs) === argmax(ours)) sameClass++;
  });
  return { maxDiff, sameClass };
}

function sampleInputs(model: TfliteModel, data: Dataset, n: number): Int8Array[] {
  const shape = model.tensors[model.inputs[0]!]!.shape;
  return Array.from({ length: n }, (_, i) => quantizeInput(model, nchwToNhwc(data.input(500 + i), shape)));
}

/** One-op float graphs, quantized by reparo, on random signed inputs. */
const SINGLE_OPS: [string, (nb: NetBuilder, x: string) => string][] = [
  ['CONV_2D 3×3 SAME + ReLU', (nb, x) => nb.relu(nb.conv(x, 3, 8, 3, 3, { pads: [1, 1, 1, 1], bias: true }))],
  ['CONV_2D 3×3 stride 2 with explicit PAD', (nb, x) => nb.conv(x, 3, 8, 3, 3, { stride: 2, pads: [1, 1, 1, 1], bias: true })],
  ['CONV_2D 1×1', (nb, x) => nb.conv(x, 3, 5, 1, 1, { bias: true })],
  ['ADD + ReLU', (nb, x) => nb.relu(nb.add(x, x))],
  ['MUL', (nb, x) => nb.b.node('Mul', [x, x])],
  ['MEAN + FULLY_CONNECTED', (nb, x) => nb.head(x, 3, 6)],
  ['MAX_POOL_2D', (nb, x) => nb.b.node('MaxPool', [x], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) })],
  ['AVERAGE_POOL_2D', (nb, x) => nb.b.node('AveragePool', [x], { kernel_shape: ints([3, 3]), strides: ints([1, 1]) })],
  ['LOGISTIC', (nb, x) => nb.b.node('Sigmoid', [x])],
  ['SOFTMAX', (nb, x) => nb.b.node('Softmax', [nb.head(x, 3, 7)], { axis: int(1) })],
  ['HARD_SWISH', (nb, x) => nb.b.node('HardSwish', [x])],
  ['CONCATENATION', (nb, x) => nb.b.node('Concat', [x, nb.relu(nb.conv(x, 3, 2, 1, 1, { bias: true }))], { axis: int(1) })],
  ['HardSigmoid gate (CONV_2D saturating to [0, 1]) + MUL', (nb, x) => nb.b.node('Mul', [x, nb.b.node('HardSigmoid', [nb.conv(x, 3, 3, 1, 1, { bias: true })], { alpha: float(1 / 6), beta: float(0.5) })])],
  // half_pixel is left out: Arm NN 20.08's parser reads no half_pixel_centers (off by tens of LSB); TFLM checks it (test/codegen/tflm-mobile.test.ts)
  ...(['asymmetric', 'align_corners'] as const).map((ct): [string, (nb: NetBuilder, x: string) => string] => [
    `RESIZE_BILINEAR (${ct})`, (nb, x) => nb.b.node('Resize', [x, '', nb.b.init(`scales_${ct}`, floatTensor([4], [1, 1, 2, 2]))], { mode: str('linear'), coordinate_transformation_mode: str(ct) })]),
  ['RESIZE_NEAREST_NEIGHBOR', (nb, x) => nb.b.node('Resize', [x, '', nb.b.init('scales_n', floatTensor([4], [1, 1, 2, 2]))], { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') })],
];

describe('Arm NN agrees with reparo op by op (within 1 LSB)', () => {
  it.each(SINGLE_OPS)('%s', async (_label, build) => {
    const nb = new NetBuilder(31, 14); // HardSwish is an ONNX op from opset 14
    const x = nb.b.input('x', [1, 3, 10, 10]);
    const g: Graph = nb.build(build(nb, x));
    const calib: Dataset = { source: 'random', count: 64, input: (i) => randomInput(300, i, 5), preprocessing: { mean: [0], std: [1] } };
    const q = await quantizeGraph(g, calib, { samples: 64, equalize: false });
    const inputs = Array.from({ length: 12 }, (_, i) => quantizeInput(q.model, nchwToNhwc(randomInput(300, 100 + i, 9), [1, 10, 10, 3])));
    expect(compare(q.model, inputs).maxDiff).toBeLessThanOrEqual(1);
  });
});

describe.each(['repvgg', 'acnet', 'resrep', 'repvgg_se'])('Arm NN runs reparo int8 net %s', (name) => {
  it('same class on ≥ 95% of 40 images, outputs within 3 LSB', async () => {
    const r = await quantizeCommand(join(FIX, `${name}.onnx`), { calib: SAMPLE, samples: 100 });
    const { maxDiff, sameClass } = compare(r.quantized.model, sampleInputs(r.quantized.model, openDataset(SAMPLE, [1, 1, 28, 28]), 40));
    expect(maxDiff).toBeLessThanOrEqual(3);
    expect(sameClass).toBeGreaterThanOrEqual(38);
  });
});
