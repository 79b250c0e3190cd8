/** `reparo fuse`: import → fuse → prove equivalence in onnxruntime → write (only when proven). */
import { ReparoError } from '../errors.ts';
import { openDataset } from '../data/index.ts';
import type { Graph } from '../graph/graph.ts';
import { readOnnx, writeOnnx } from '../onnx/index.ts';
import { fuseGraph, keptChannelMap, type FuseOptions } from '../fuse/index.ts';
import { checkEquivalence, DEFAULT_TOLERANCE } from '../verify/index.ts';
import type { FuseReport } from '../report/types.ts';

export type { FuseReport };
import { writeFileAtomic } from '../io/atomic.ts';

export interface FuseCommandOptions extends FuseOptions {
  output?: string;
  report?: string;
  /** images to verify on, in addition to random inputs (IDX, .npy or an image folder; pixel/255) */
  data?: string;
  samples?: number;
  randomSamples?: number;
  tolerance?: number;
  force?: boolean;
  inputShapes?: Record<string, number[]>;
}


export async function fuseCommand(model: string, opts: FuseCommandOptions = {}): Promise<{ report: FuseReport; graph: Graph }> {
  const g = readOnnx(model, { inputShapes: opts.inputShapes });
  const set = opts.data ? openDataset(opts.data, g.inputs[0]!.dims) : undefined;
  const data = set ? Array.from({ length: Math.min(opts.samples ?? 100, set.count) }, (_, i) => set.input(i)) : [];
  const fused = await fuseGraph(g, opts);
  const verify = await checkEquivalence(g, fused.graph, {
    data,
    randomSamples: opts.randomSamples ?? 8,
    blockOutputs: fused.blocks.map((b) => b.output),
    keptChannels: keptChannelMap(fused.resrep),
    tolerance: opts.tolerance ?? DEFAULT_TOLERANCE,
  });
  const blockErr = new Map(verify.blocks.map((b) => [b.name, b]));
  const report: FuseReport = {
    model,
    output: opts.output,
    input: { name: g.inputs[0]!.name, dims: g.inputs[0]!.dims },
    families: fused.families,
    blocks: fused.blocks.map((b) => ({
      output: b.output, family: b.family, kernels: b.kernels, fusedKernel: b.fusedKernel, singlePath: b.singlePath,
      maxAbs: blockErr.get(b.output)?.maxAbs, maxRel: blockErr.get(b.output)?.maxRel,
    })),
    before: fused.before,
    after: fused.after,
    rewrites: fused.rewrites,
    resrep: fused.resrep,
    collapse: fused.collapse,
    verify,
    written: false,
  };
  const refuse = !verify.passed && !opts.force;
  if (opts.report) writeFileAtomic(opts.report, JSON.stringify({ ...report, written: !refuse && !!opts.output }, null, 2));
  if (refuse)
    throw new ReparoError('E_TOLERANCE', `fused model differs from the original: max relative error ${verify.maxRel.toExponential(2)} > tolerance ${verify.tolerance.rel} — nothing written`, {
      file: model,
      hint: 'this is a fusion bug or an unusual block; rerun with --report to see which block, or --force to write anyway',
    });
  if (opts.output) {
    writeOnnx(opts.output, fused.graph);
    report.written = true;
  }
  return { report, graph: fused.graph };
}
