/**
 * int8 evaluation of the 10,000 Fashion-MNIST test images on the RepVGG fixture through reparo's
 * interpreter, next to onnxruntime's float time for the same images (target: int8 under 20 s).
 * Needs Debian's dataset-fashion-mnist. Run: npm run bench -- int8
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { readOnnx } from '../toolkit/onnx/index.ts';
import { fuseGraph } from '../toolkit/fuse/index.ts';
import { openDataset, type Dataset } from '../toolkit/data/index.ts';
import { DEFAULT_QUANTIZE, quantizeGraph } from '../toolkit/quantize/index.ts';
import { modelMacs } from '../toolkit/int8/index.ts';
import { evalFloat, evalInt8, pairedTop1 } from '../toolkit/pipeline/evaluate.ts';
import { table } from '../cli/format.ts';

const DATA = '/usr/share/datasets/fashion-mnist';

/** Wall and CPU seconds of one call (the machine is shared: CPU time is the steadier number). */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const digits = (s: string) => Int32Array.from(s, Number);
const pp = (x: number) => (x * 100).toFixed(2);
const paired = (ours: Int32Array, torch: Int32Array, labels: Int32Array) => {
  const r = pairedTop1(ours, torch, labels);
  return `${r.onlyA} / ${r.onlyB} (p ${r.p.toPrecision(2)})`;
};

/**
 * Per fixture, on the 10k test images and on 10k held-out training images (50000–59999, never
 * calibrated on): float / reparo int8 with nearest rounding / with the default learned rounding /
 * naive int8 / PyTorch PTQ top-1, and image by image against PyTorch: the images only reparo gets
 * right, only PyTorch gets right, and the exact McNemar p of that split (a few images of top-1 are
 * chance; a small p is not).
 */
async function accuracyTable(): Promise<void> {
  const test: (string | number)[][] = [], held: (string | number)[][] = [];
  for (const name of ['repvgg', 'acnet', 'dbb', 'resrep', 'repvgg_se']) {
    const path = new URL(`../test/fixtures/${name}.onnx`, import.meta.url).pathname;
    const meta = JSON.parse(readFileSync(path.replace(/\.onnx$/, '.json'), 'utf8'));
    const fused = (await fuseGraph(readOnnx(path))).graph;
    const testSet = openDataset(`${DATA}/t10k-images-idx3-ubyte.gz`, fused.inputs[0]!.dims);
    const train = openDataset(`${DATA}/train-images-idx3-ubyte.gz`, fused.inputs[0]!.dims);
    const heldSet: Dataset = { ...train, count: 10000, input: (i) => train.input(50000 + i), labels: train.labels!.subarray(50000) };
    const ours = await timed(() => quantizeGraph(fused, train));
    const nearest = await timed(() => quantizeGraph(fused, train, { rounding: 'nearest' }));
    const naive = await quantizeGraph(fused, train, { method: 'minmax', perTensorWeights: true, equalize: false, biasCorrection: false, rounding: 'nearest' });
    const f = await evalFloat(fused, testSet, testSet.count);
    const q = evalInt8(ours.value.model, testSet, testSet.count), b = evalInt8(nearest.value.model, testSet, testSet.count), n = evalInt8(naive.model, testSet, testSet.count).top1;
    const agree = (a: Int32Array, float = f) => a.reduce((k, p, i) => k + (p === float.predictions[i] ? 1 : 0), 0);
    const p = meta.torch_ptq_top1_10k as number;
    const torchTest = digits(meta.torch_ptq_test_predictions), torchHeld = digits(meta.torch_ptq_heldout_predictions);
    test.push([
      name, pp(f.top1), `${pp(b.top1)} (${agree(b.predictions)})`, `${pp(q.top1)} (${agree(q.predictions)})`, `${((q.top1 - f.top1) * 100).toFixed(2)}`, pp(n),
      `${pp(p)} (${agree(torchTest)})`, pp(meta.torch_ptq_top1_10k_fbgemm_qconfig), q.top1 >= p ? 'yes' : `no (${Math.round((q.top1 - p) * testSet.count)} img)`,
      paired(q.predictions, torchTest, testSet.labels!),
      `${nearest.wall.toFixed(1)} / ${nearest.cpu.toFixed(1)}`, `${ours.wall.toFixed(1)} / ${ours.cpu.toFixed(1)}`,
    ]);
    const fh = await evalFloat(fused, heldSet, heldSet.count), qh = evalInt8(ours.value.model, heldSet, heldSet.count);
    held.push([
      name, pp(fh.top1), `${pp(qh.top1)} (${agree(qh.predictions, fh)})`, `${((qh.top1 - fh.top1) * 100).toFixed(2)}`,
      `${pp(meta.torch_ptq_top1_heldout)} (${agree(torchHeld, fh)})`, pp(meta.torch_ptq_top1_heldout_fbgemm_qconfig),
      qh.top1 >= meta.torch_ptq_top1_heldout ? 'yes' : `no (${Math.round((qh.top1 - meta.torch_ptq_top1_heldout) * heldSet.count)} img)`,
      paired(qh.predictions, torchHeld, heldSet.labels!),
    ]);
  }
  const torchCols = ['PyTorch PTQ (onednn, 8-bit act.)', 'PyTorch fbgemm qconfig (7-bit act.)', 'default ≥ PyTorch', 'only reparo / only PyTorch right'];
  console.log(`\ntop-1 % on the 10,000 Fashion-MNIST test images (calibration: 500 training images; in brackets: images classified as float does)\n`);
  console.log(table(test, ['net', 'float', 'int8 nearest', `int8 ${DEFAULT_QUANTIZE.rounding} (default)`, 'Δ pp', 'naive per-tensor min/max', ...torchCols, 'quantize s nearest (wall/cpu)', 'quantize s default (wall/cpu)']));
  console.log(`\ntop-1 % on 10,000 held-out training images (50000–59999; reparo calibrates on the first 500, PyTorch on 1000 drawn from all 60000; in brackets: images classified as float does)\n`);
  console.log(table(held, ['net', 'float', `int8 ${DEFAULT_QUANTIZE.rounding} (default)`, 'Δ pp', ...torchCols]));
}

export async function benchInt8(): Promise<void> {
  const fused = (await fuseGraph(readOnnx(new URL('../test/fixtures/repvgg.onnx', import.meta.url).pathname))).graph;
  const test = openDataset(`${DATA}/t10k-images-idx3-ubyte.gz`, fused.inputs[0]!.dims);
  const q = await quantizeGraph(fused, openDataset(`${DATA}/train-images-idx3-ubyte.gz`, fused.inputs[0]!.dims));
  // the input decoding is the same for both engines; time it once and leave it out of both
  let t0 = performance.now();
  for (let i = 0; i < test.count; i++) test.input(i);
  const decode = performance.now() - t0;
  t0 = performance.now();
  const fl = await evalFloat(q.graph, test, test.count);
  const floatMs = performance.now() - t0 - decode;
  t0 = performance.now();
  const i8 = evalInt8(q.model, test, test.count);
  const int8Ms = performance.now() - t0 - decode;
  const macs = modelMacs(q.model) * test.count;
  console.log(`\nRepVGG Fashion-MNIST fixture, ${test.count} test images — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(table([
    ['onnxruntime-node float (1 thread)', (floatMs / 1000).toFixed(2), (fl.top1 * 100).toFixed(2), '1.0×'],
    ['reparo int8 interpreter (WebAssembly SIMD)', (int8Ms / 1000).toFixed(2), (i8.top1 * 100).toFixed(2), `${(int8Ms / floatMs).toFixed(1)}× (${(macs / int8Ms / 1e6).toFixed(2)} GMAC/s; target < 20 s: ${int8Ms < 20000 ? 'met' : 'MISSED'})`],
  ], ['engine', 's', 'top-1 %', 'vs float']));
  await accuracyTable();
}
