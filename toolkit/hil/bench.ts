/**
 * `reparo bench`: latency on the board. A session (hello + model check), one input loaded, `warmup`
 * untimed runs and `runs` timed ones, their statistics, and the per-layer profile where the runtime
 * has one. Under QEMU the counts are instructions (-icount shift=0), on real boards cycles.
 */
import type { HilClient, HilInfo, LayerCount } from './client.ts';
import { latencyStats, type LatencyStats } from './stats.ts';

export interface BenchOptions {
  runs: number;
  warmup: number;
  /** the input to run on (default: all zeros) */
  input?: Int8Array;
  /** the modelHash() the board must run; checked before anything is measured */
  expectedModel?: string;
  /** also ask for the per-layer profile (default: when the runtime has one) */
  profile?: boolean;
}

export interface BenchResult {
  info: HilInfo;
  counts: number[];
  latency: LatencyStats;
  layers?: LayerCount[];
  /** commands repeated after a garbled or missing reply */
  retries: number;
}

export async function runBench(hil: HilClient, opts: BenchOptions): Promise<BenchResult> {
  const info = await hil.hello();
  if (opts.expectedModel) await hil.checkModel(opts.expectedModel);
  await hil.loadInput(opts.input ?? new Int8Array(info.inputBytes));
  const counts = await hil.infer(opts.runs, opts.warmup);
  const layers = (opts.profile ?? true) && info.layers > 0 ? await hil.profile() : undefined;
  return { info, counts, latency: latencyStats(counts, info.unit, info.clockHz), layers, retries: hil.stats.retries };
}
