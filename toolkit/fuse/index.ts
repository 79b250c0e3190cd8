/**
 * Structural re-parameterization: training-time multi-branch blocks → one conv per block.
 * The pipeline is a flat list of named passes, each a pure Graph → Graph, run to a fixed point.
 */
import type { Graph } from '../graph/graph.ts';
import { graphStats, type GraphStats } from '../graph/stats.ts';
import { producers } from '../graph/graph.ts';
import { detectBlocks, type Block, type Family } from './blocks.ts';
import { collapseLinearRegions, type CollapseOutcome, type CollapseOptions } from './collapse-linear.ts';
import { pruneCompactors, type PruneOutcome } from './prune-compactors.ts';
import { rewriteToFixedPoint, type AppliedRewrite, type Rule } from './rewrite.ts';
import { averagePoolToConv, batchNormToConv, foldBatchNorm } from './rules/batchnorm.ts';
import { mergeParallelConvs } from './rules/merge-parallel.ts';
import { mergeSequentialConvs } from './rules/merge-sequential.ts';
import { foldChannelAffine } from './rules/channel-affine.ts';
import { foldBatchNormIntoLinear, mergeLinear } from './rules/linear.ts';
import { fuseGelu } from './rules/gelu.ts';
import { fuseHardSwish } from './rules/hard-sigmoid.ts';
import { restoreAveragePool } from './rules/restore-pools.ts';
import { simplifyGraph } from './simplify.ts';

export { detectBlocks, type Block, type Family } from './blocks.ts';
export { linearRegions, isAffineNode } from './regions.ts';
export { collapseLinearRegions } from './collapse-linear.ts';
export { pruneCompactors } from './prune-compactors.ts';
export { rewriteToFixedPoint, rewriteOnce, type Rule } from './rewrite.ts';
export { foldBatchNorm, batchNormToConv, averagePoolToConv } from './rules/batchnorm.ts';
export { mergeParallelConvs } from './rules/merge-parallel.ts';
export { mergeSequentialConvs } from './rules/merge-sequential.ts';
export { foldChannelAffine } from './rules/channel-affine.ts';
export { foldBatchNormIntoLinear, mergeLinear } from './rules/linear.ts';
export { fuseGelu } from './rules/gelu.ts';
export { fuseHardSwish, hardSigmoidAsClip } from './rules/hard-sigmoid.ts';
export { restoreAveragePool } from './rules/restore-pools.ts';
export { simplifyGraph } from './simplify.ts';
export * as convAlgebra from './conv-algebra.ts';

/** Exporters' spellings of one op, recognised before the linear blocks are looked for. */
export const PATTERN_RULES: readonly Rule[] = [fuseGelu, fuseHardSwish];
export const NORMALIZE_RULES: readonly Rule[] = [foldBatchNorm, foldChannelAffine, foldBatchNormIntoLinear, batchNormToConv, averagePoolToConv];
export const MERGE_RULES: readonly Rule[] = [...NORMALIZE_RULES, mergeParallelConvs, mergeSequentialConvs, mergeLinear];
/** Pools that no conv merged into go back to being pools. */
export const FINISH_RULES: readonly Rule[] = [restoreAveragePool];

/** Value → channels kept, for comparing pruned block outputs with the originals. */
export function keptChannelMap(resrep: readonly PruneOutcome[]): Map<string, number[]> {
  return new Map(resrep.filter((p) => p.keptChannels).map((p) => [p.output, p.keptChannels!]));
}

export interface FuseOptions {
  /** ResRep compactor rows with an L2 norm below this are removed (default 1e-5). */
  compactorThreshold?: number;
  /** Skip the measured collapse of regions the algebraic rules leave (default false). */
  noCollapse?: boolean;
  collapse?: CollapseOptions;
}

export interface FusedBlock extends Block {
  /** one Conv reads the block input and writes the block output */
  singlePath: boolean;
  fusedKernel?: string;
}

export interface FuseResult {
  graph: Graph;
  blocks: FusedBlock[];
  families: Partial<Record<Family, number>>;
  rewrites: Record<string, number>;
  resrep: PruneOutcome[];
  collapse: CollapseOutcome[];
  before: GraphStats;
  after: GraphStats;
}

export async function fuseGraph(g: Graph, opts: FuseOptions = {}): Promise<FuseResult> {
  const applied: AppliedRewrite[] = [];
  const run = (x: Graph, rules: readonly Rule[]) => {
    const r = rewriteToFixedPoint(x, rules);
    applied.push(...r.applied);
    return r.graph;
  };
  // no-ops and one-op patterns first: every value left has the same name and value as in `g`
  const simplified = simplifyGraph(g);
  let f = run(simplified.graph, PATTERN_RULES);
  const blocks = detectBlocks(f);
  f = run(f, NORMALIZE_RULES);
  const pruned = pruneCompactors(f, opts.compactorThreshold ?? 1e-5);
  f = run(pruned.graph, MERGE_RULES);
  let collapse: CollapseOutcome[] = [];
  if (!opts.noCollapse) {
    const c = await collapseLinearRegions(f, opts.collapse);
    collapse = c.outcomes;
    f = run(c.graph, MERGE_RULES);
  }
  f = run(f, FINISH_RULES);
  const prod = producers(f);
  const fused: FusedBlock[] = blocks.map((b) => {
    const p = prod.get(b.output);
    const singlePath = p?.op === 'Conv' && p.inputs[0] === b.input;
    const w = singlePath ? f.initializers.get(p!.inputs[1]!) : undefined;
    return { ...b, singlePath, fusedKernel: w && `${w.dims[2]}x${w.dims[3]}` };
  });
  const families: Partial<Record<Family, number>> = {};
  for (const b of fused) if (b.singlePath) families[b.family] = (families[b.family] ?? 0) + 1;
  const rewrites: Record<string, number> = simplified.removed.length ? { simplify: simplified.removed.length } : {};
  for (const a of applied) rewrites[a.rule] = (rewrites[a.rule] ?? 0) + 1;
  return { graph: f, blocks: fused, families, rewrites, resrep: pruned.outcomes, collapse, before: graphStats(g), after: graphStats(f) };
}
