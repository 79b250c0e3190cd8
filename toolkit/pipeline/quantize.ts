/** `reparo quantize`: ONNX (training-time or fused) → fuse with proof → calibrate → int8 .tflite. */
import { ReparoError } from '../errors.ts';
import { openDataset, type DatasetOptions } from '../data/index.ts';
import { readOnnx } from '../onnx/index.ts';
import { fuseGraph } from '../fuse/index.ts';
import { checkEquivalence } from '../verify/index.ts';
import { quantizeGraph, type QuantizeOptions, type QuantizeResult } from '../quantize/index.ts';
import { writeTflite } from '../tflite/index.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Graph } from '../graph/graph.ts';

export interface QuantizeCommandOptions extends QuantizeOptions, DatasetOptions {
  calib: string;
  output?: string;
  report?: string;
}

export interface QuantizeCommandResult {
  quantized: QuantizeResult;
  /** the training-time graph as read */
  original: Graph;
  /** the fused float graph (before equalization) */
  fused: Graph;
  bytes: Uint8Array;
  fuse: { blocks: number; singlePath: number; maxRel: number };
}

export async function quantizeCommand(model: string, opts: QuantizeCommandOptions): Promise<QuantizeCommandResult> {
  const g = readOnnx(model);
  const data = openDataset(opts.calib, g.inputs[0]!.dims, opts);
  const fused = await fuseGraph(g);
  const proof = await checkEquivalence(g, fused.graph, { randomSamples: 4 });
  if (!proof.passed)
    throw new ReparoError('E_TOLERANCE', `fusing this model changed its outputs (rel err ${proof.maxRel.toExponential(2)}); not quantizing`, { file: model, hint: 'run reparo fuse --report to see which block' });
  const quantized = await quantizeGraph(fused.graph, data, {
    ...opts,
    metadata: { source: model, input: { name: g.inputs[0]!.name, layout: 'NHWC', pixelScale: 1 / 255, ...data.preprocessing } },
  });
  const bytes = writeTflite(quantized.model);
  if (opts.output) writeFileAtomic(opts.output, bytes);
  const fuse = { blocks: fused.blocks.length, singlePath: fused.blocks.filter((b) => b.singlePath).length, maxRel: proof.maxRel };
  if (opts.report) writeFileAtomic(opts.report, JSON.stringify({ model, output: opts.output, fuse, options: quantized.options, bytes: bytes.length }, null, 2));
  return { quantized, original: g, fused: fused.graph, bytes, fuse };
}
