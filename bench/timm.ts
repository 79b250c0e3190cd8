/**
 * timm's re-param families as users have them: fuse at 224×224 (target: under 5 s for RepVGG-A0 and
 * MobileOne-S0) with the conv count of timm's own reparameterize_model() beside ours, and default
 * quantize of RepVGG-A0 and MobileOne-S0 at 64×64 (target: under 60 s each) with the int8 logits' SQNR.
 * Needs TIMM_DIR (a huggingface/pytorch-image-models checkout) and Debian's python3-torch to export
 * the models once (cached under bench/.cache). Run: TIMM_DIR=… npm run bench -- timm
 */
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { readOnnx } from '../toolkit/onnx/index.ts';
import { fuseGraph } from '../toolkit/fuse/index.ts';
import { checkEquivalence } from '../toolkit/verify/index.ts';
import { openDataset, type Dataset } from '../toolkit/data/index.ts';
import { quantizeCommand } from '../toolkit/pipeline/quantize.ts';
import { layerSqnr } from '../toolkit/pipeline/evaluate.ts';
import { table } from '../cli/format.ts';

const FUSED = ['repvgg_a0', 'mobileone_s0', 'repghostnet_050', 'repvit_m0_9', 'fastvit_t8', 'ghostnetv3_050'];
const QUANTIZED = ['repvgg_a0', 'mobileone_s0'];
const CACHE = new URL('./.cache/', import.meta.url).pathname;
const CALIB = new URL('../examples/fashion-mnist/data/train-1000-images-idx3-ubyte.gz', import.meta.url).pathname;

function exported(name: string, size: number, deploy = false): string | undefined {
  const path = `${CACHE}${name}_${size}${deploy ? '_deploy' : ''}.onnx`;
  if (existsSync(path)) return path;
  const timm = process.env.TIMM_DIR;
  if (!timm) return undefined;
  mkdirSync(CACHE, { recursive: true });
  const r = spawnSync('/usr/bin/python3', [new URL('./timm_export.py', import.meta.url).pathname, name, String(size), path, ...(deploy ? ['--deploy'] : [])], { env: { ...process.env, PYTHONPATH: timm }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`exporting ${name} failed: ${r.stderr}`);
  return path;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

export async function benchTimm(): Promise<void> {
  const fuseRows: string[][] = [], quantRows: string[][] = [];
  const convs = (x: { nodes: readonly { op: string }[] }) => x.nodes.filter((n) => n.op === 'Conv').length;
  // quantize first, in a process that has not yet held the 224×224 graphs
  for (const name of QUANTIZED) {
    const small = exported(name, 64);
    if (!small) continue;
    const c0 = process.cpuUsage(), t0 = performance.now();
    const q = await quantizeCommand(small, { calib: CALIB });
    const wall = performance.now() - t0, cpu = process.cpuUsage(c0);
    // SQNR of the logits on 100 images the calibration (the first 500) did not see
    const data = openDataset(CALIB, q.fused.inputs[0]!.dims);
    const held: Dataset = { ...data, count: 100, input: (i) => data.input(500 + i) };
    const sq = await layerSqnr(q.quantized.graph, q.quantized.model, held, 100);
    const logits = sq.find((l) => l.tensor === q.quantized.graph.outputs[0]!.name);
    // random-init logits hardly depend on most weights: the fitted layers' own output MSE is the check
    const rec = q.quantized.reconstruction ?? [];
    const better = rec.filter((l) => l.learnedMse <= l.nearestMse).length;
    quantRows.push([name, seconds(wall), seconds((cpu.user + cpu.system) / 1000), wall < 60_000 ? 'met' : 'MISSED', `${(q.bytes.length / 1e6).toFixed(2)} MB`, `${better}/${rec.length}`, logits ? `${logits.sqnrDb.toFixed(1)} dB` : '?']);
  }
  for (const name of FUSED) {
    const big = exported(name, 224), deploy = exported(name, 224, true);
    if (!big || !deploy) {
      fuseRows.push([name, 'not measured: set TIMM_DIR to a pytorch-image-models checkout (needs /usr/bin/python3 with torch)']);
      continue;
    }
    const g = readOnnx(big);
    const runs: number[] = [];
    let fused;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      fused = await fuseGraph(g);
      runs.push(performance.now() - t0);
    }
    const best = Math.min(...runs);
    const eq = await checkEquivalence(g, fused!.graph, { randomSamples: 2 });
    const target = QUANTIZED.includes(name) ? (best < 5000 ? 'met' : 'MISSED') : '';
    fuseRows.push([name, `${convs(g)} → ${convs(fused!.graph)}`, String(convs(readOnnx(deploy))), seconds(best), target, eq.maxRel.toExponential(2)]);
  }
  console.log(`\ntimm models (random init) — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(table(fuseRows, ['fuse 1×3×224×224', 'convs', 'timm deploy convs', 's (best of 3)', 'target < 5 s', 'proof rel err']));
  if (quantRows.length) {
    console.log();
    console.log(table(quantRows, ['quantize 1×3×64×64 (defaults)', 'wall s', 'CPU s', 'target < 60 s', '.tflite', 'layers fitted below nearest MSE', 'logits SQNR (100 held-out)']));
  }
}
