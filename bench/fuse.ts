/**
 * Fuse time of the RepVGG-A0-sized net (target: under 2 s on this machine), and the time of the
 * onnxruntime proof that follows it. Run: npm run bench -- fuse
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { parseOnnx, serializeOnnx } from '../toolkit/onnx/index.ts';
import { fuseGraph } from '../toolkit/fuse/index.ts';
import { checkEquivalence } from '../toolkit/verify/index.ts';
import { repvggA0 } from './repvgg-a0.ts';
import { table, count } from '../cli/format.ts';

export async function benchFuse(): Promise<void> {
  const bytes = serializeOnnx(repvggA0());
  const rows: (string | number)[][] = [];
  const t = (label: string, ms: number, note = '') => rows.push([label, ms.toFixed(0), note]);
  let t0 = performance.now();
  const g = parseOnnx(bytes);
  t('import ONNX', performance.now() - t0, `${(bytes.length / 1e6).toFixed(1)} MB`);
  const runs: number[] = [];
  let fused;
  for (let i = 0; i < 3; i++) {
    t0 = performance.now();
    fused = await fuseGraph(g);
    runs.push(performance.now() - t0);
  }
  const best = Math.min(...runs);
  t('fuse (best of 3)', best, `target < 2000 ms: ${best < 2000 ? 'met' : 'MISSED'}`);
  t0 = performance.now();
  const eq = await checkEquivalence(g, fused!.graph, { randomSamples: 2 });
  t('prove in onnxruntime (2 inputs)', performance.now() - t0, `max rel err ${eq.maxRel.toExponential(2)}`);
  console.log(`\nRepVGG-A0-sized net, 1×3×224×224 — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`blocks ${fused!.blocks.length}, single-path ${fused!.blocks.filter((b) => b.singlePath).length}; params ${count(fused!.before.params)} → ${count(fused!.after.params)}; MACs ${count(fused!.before.macs)} → ${count(fused!.after.macs)}\n`);
  console.log(table(rows, ['step', 'ms', '']));
}
