import { expect } from 'vitest';
import { fuseGraph, type FuseOptions } from '../../toolkit/fuse/index.ts';
import type { Graph } from '../../toolkit/graph/index.ts';
import { checkEquivalence } from '../../toolkit/verify/index.ts';
import { keptChannelMap } from '../../toolkit/fuse/index.ts';

/** Fuses, then asserts every block is one conv and onnxruntime sees the same outputs. */
export async function fuseAndCheck(g: Graph, opts: FuseOptions = {}, tolerance = 1e-5) {
  const r = await fuseGraph(g, opts);
  const eq = await checkEquivalence(g, r.graph, { blockOutputs: r.blocks.map((b) => b.output), randomSamples: 4, tolerance, keptChannels: keptChannelMap(r.resrep) });
  expect(eq.maxRel, JSON.stringify(eq.outputs)).toBeLessThan(tolerance);
  for (const b of eq.blocks) expect(b.maxRel, b.name).toBeLessThan(tolerance);
  return { ...r, eq };
}
