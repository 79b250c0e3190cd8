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
import { quantizeGraph } from '../toolkit/quantize/index.ts';
import { modelMacs } from '../toolkit/int8/index.ts';
import { evalFloat, evalInt8 } from '../toolkit/pipeline/evaluate.ts';
import { table } from '../cli/format.ts';

const DATA = '/usr/share/datasets/fashion-mnist';

/** float / reparo int8 / naive int8 / PyTorch PTQ top-1 on the 10k test images, per fixture. */
async function accuracyTable(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const name of ['repvgg', 'acnet', 'dbb', 'resrep', 'repvgg_se']) {
    const path = new URL(`../test/fixtures/${name}.onnx`, import.meta.url).pathname;
    const meta = JSON.parse(readFileSync(path.replace(/\.onnx$/, '.json'), 'utf8'));
    const fused = (await fuseGraph(readOnnx(path))).graph;
    const test = openDataset(`${DATA}/t10k-images-idx3-ubyte.gz`, fused.inputs[0]!.dims);
    const calib = openDataset(`${DATA}/train-images-idx3-ubyte.gz`, fused.inputs[0]!.dims);
    const ours = await quantizeGraph(fused, calib);
    const naive = await quantizeGraph(fused, calib, { method: 'minmax', perTensorWeights: true, equalize: false, biasCorrection: false });
    const f = (await evalFloat(fused, test, test.count)).top1, q = evalInt8(ours.model, test, test.count).top1, n = evalInt8(naive.model, test, test.count).top1;
    const p = meta.torch_ptq_top1_10k as number;
    const pp = (x: number) => (x * 100).toFixed(2);
    rows.push([name, pp(f), pp(q), `${((q - f) * 100).toFixed(2)}`, pp(n), pp(p), q >= p ? 'yes' : `no (${((q - p) * 100).toFixed(2)})`]);
  }
  console.log(`\ntop-1 % on the 10,000 Fashion-MNIST test images (calibration: 500 training images)\n`);
  console.log(table(rows, ['net', 'float', 'reparo int8', 'Δ pp', 'naive per-tensor min/max', 'PyTorch PTQ', 'reparo ≥ PyTorch']));
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
