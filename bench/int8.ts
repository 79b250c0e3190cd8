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
import { openDataset } from '../toolkit/data/index.ts';
import { DEFAULT_QUANTIZE, quantizeGraph } from '../toolkit/quantize/index.ts';
import { modelMacs } from '../toolkit/int8/index.ts';
import { evalFloat, evalInt8 } from '../toolkit/pipeline/evaluate.ts';
import { table } from '../cli/format.ts';

const DATA = '/usr/share/datasets/fashion-mnist';

/** Wall and CPU seconds of one call (the machine is shared: CPU time is the steadier number). */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

/**
 * float / reparo int8 with nearest rounding (the earlier default) / with the default learned
 * rounding / naive int8 / PyTorch PTQ top-1 on the 10k test images, per fixture, and how many
 * test images each int8 model classifies as float does.
 */
async function accuracyTable(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const name of ['repvgg', 'acnet', 'dbb', 'resrep', 'repvgg_se']) {
    const path = new URL(`../test/fixtures/${name}.onnx`, import.meta.url).pathname;
    const meta = JSON.parse(readFileSync(path.replace(/\.onnx$/, '.json'), 'utf8'));
    const fused = (await fuseGraph(readOnnx(path))).graph;
    const test = openDataset(`${DATA}/t10k-images-idx3-ubyte.gz`, fused.inputs[0]!.dims);
    const calib = openDataset(`${DATA}/train-images-idx3-ubyte.gz`, fused.inputs[0]!.dims);
    const ours = await timed(() => quantizeGraph(fused, calib));
    const nearest = await timed(() => quantizeGraph(fused, calib, { rounding: 'nearest' }));
    const naive = await quantizeGraph(fused, calib, { method: 'minmax', perTensorWeights: true, equalize: false, biasCorrection: false, rounding: 'nearest' });
    const f = await evalFloat(fused, test, test.count);
    const q = evalInt8(ours.value.model, test, test.count), b = evalInt8(nearest.value.model, test, test.count), n = evalInt8(naive.model, test, test.count).top1;
    const agree = (a: Int32Array) => a.reduce((k, p, i) => k + (p === f.predictions[i] ? 1 : 0), 0);
    const p = meta.torch_ptq_top1_10k as number;
    const pp = (x: number) => (x * 100).toFixed(2);
    rows.push([
      name, pp(f.top1), `${pp(b.top1)} (${agree(b.predictions)})`, `${pp(q.top1)} (${agree(q.predictions)})`, `${((q.top1 - f.top1) * 100).toFixed(2)}`, pp(n), pp(p),
      q.top1 >= p ? 'yes' : `no (${Math.round((q.top1 - p) * test.count)} img)`,
      `${nearest.wall.toFixed(1)} / ${nearest.cpu.toFixed(1)}`, `${ours.wall.toFixed(1)} / ${ours.cpu.toFixed(1)}`,
    ]);
  }
  console.log(`\ntop-1 % on the 10,000 Fashion-MNIST test images (calibration: 500 training images; in brackets: images classified as float does)\n`);
  console.log(table(rows, ['net', 'float', 'int8 nearest', `int8 ${DEFAULT_QUANTIZE.rounding} (default)`, 'Δ pp', 'naive per-tensor min/max', 'PyTorch PTQ', 'default ≥ PyTorch', 'quantize s nearest (wall/cpu)', 'quantize s default (wall/cpu)']));
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
