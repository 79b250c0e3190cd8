/**
 * Post-training quantization: fused float graph + calibration data → int8 TFLite model.
 * Cross-layer equalization (proven exact in onnxruntime) → calibration → range choice → weight
 * rounding fitted layer by layer on the int8 activations (GPTQ by default, AdaRound, or nearest) → lowering.
 */
import { ReparoError } from '../errors.ts';
import type { Graph } from '../graph/graph.ts';
import { inferValues } from '../graph/evaluate.ts';
import type { Dataset } from '../data/dataset.ts';
import { checkEquivalence } from '../verify/index.ts';
import { hardSigmoidAsClip, rewriteToFixedPoint } from '../fuse/index.ts';
import { equalizeCrossLayer } from './equalize.ts';
import { lowerToInt8, type LoweredModel, type RoundedWeights } from './lower.ts';
import { observe, type Progress, type TensorStats } from './observe.ts';
import { chooseRange, type RangeMethod } from './ranges.ts';
import { fittedOutputs, reconstructWeights, type LayerReconstruction, type Rounding } from './reconstruct.ts';
import { DEFAULT_QUANTIZE, DEFAULT_RECONSTRUCT } from './defaults.ts';

export { lowerToInt8, type LoweredModel, type RoundedWeights } from './lower.ts';
export { reconstructWeights, type LayerReconstruction, type ReconstructOptions, type Rounding } from './reconstruct.ts';
export { DEFAULT_QUANTIZE, DEFAULT_RECONSTRUCT } from './defaults.ts';
export { equalizeCrossLayer } from './equalize.ts';
export { asymmetricParams, chooseRange, type RangeMethod, type QParams } from './ranges.ts';
export { observe, type TensorStats } from './observe.ts';

export interface QuantizeOptions {
  method?: RangeMethod;
  percentile?: number;
  /** calibration samples (default 500) */
  samples?: number;
  equalize?: boolean;
  /** nearest rounding only: a fitted rounding fits the biases on the int8 activations itself */
  biasCorrection?: boolean;
  perTensorWeights?: boolean;
  /** weight rounding: to nearest, or fitted per layer on the int8 activations (GPTQ, AdaRound); 'nearest' is the earlier path */
  rounding?: Rounding;
  /** AdaRound's Adam steps per layer */
  iterations?: number;
  /** GPTQ: fit the float outputs on the int8 inputs before rounding */
  refit?: boolean;
  progress?: Progress;
  metadata?: Record<string, unknown>;
}


export interface QuantizeResult extends LoweredModel {
  /** the float graph the int8 model was made from (after equalization) */
  graph: Graph;
  stats: Map<string, TensorStats>;
  ranges: Map<string, [number, number]>;
  options: typeof DEFAULT_QUANTIZE;
  equalizedPairs: number;
  /** calibration samples really used (the data may hold fewer than asked for) */
  calibrationSamples: number;
  /** per layer, when the rounding was learned */
  reconstruction?: LayerReconstruction[];
}

export async function quantizeGraph(g: Graph, data: Dataset, opts: QuantizeOptions = {}): Promise<QuantizeResult> {
  const o = { ...DEFAULT_QUANTIZE, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof DEFAULT_QUANTIZE;
  if (data.count === 0) throw new ReparoError('E_USAGE', 'the calibration data is empty', { file: data.source });
  // TFLite has no hard sigmoid: its α, β go into a conv, the clip into that conv's int8 saturation
  let graph = rewriteToFixedPoint(g, [hardSigmoidAsClip]).graph, equalizedPairs = 0;
  if (o.equalize) {
    const eq = equalizeCrossLayer(graph);
    const proof = await checkEquivalence(g, eq.graph, { randomSamples: 4 });
    if (!proof.passed) throw new ReparoError('E_VERIFY', `cross-layer equalization changed the outputs (rel err ${proof.maxRel.toExponential(2)})`, { hint: 'run with --no-equalize and report this model' });
    graph = eq.graph;
    equalizedPairs = eq.pairs;
  }
  const facts = inferValues(graph);
  const channels = new Map<string, number>([[graph.inputs[0]!.name, graph.inputs[0]!.dims[1] ?? 1]]);
  for (const n of graph.nodes) for (const v of n.outputs) if (v) channels.set(v, facts.get(v)!.dims[1] ?? 1);
  const first = data.input(0);
  if (first.length !== graph.inputs[0]!.dims.reduce((a, b) => a * b, 1))
    throw new ReparoError('E_USAGE', `calibration samples have ${first.length} values, the model input [${graph.inputs[0]!.dims}] needs ${graph.inputs[0]!.dims.reduce((a, b) => a * b, 1)}`, { file: data.source });
  // a fitted rounding needs every layer's float outputs: kept from calibration's second pass
  const targets = o.rounding === 'nearest' ? undefined : new Map(fittedOutputs(graph).map((v) => [v, [] as Float32Array[]]));
  const stats = await observe(graph, channels, data, o.samples, opts.progress, targets);
  const ranges = new Map<string, [number, number]>();
    // the input's range is known exactly for pixel data: pixel/255 then gives int8 = pixel − 128
  // model outputs keep their full range: clipping the top logit is what costs top-1
  const outputs = new Set(graph.outputs.map((x) => x.name));
  for (const [v, s] of stats)
    ranges.set(v, v === graph.inputs[0]!.name ? (data.range ?? [s.min, s.max]) : outputs.has(v) ? [s.min, s.max] : chooseRange(s, o.method, o.percentile));
  const samples = Math.min(o.samples, data.count);
  const lower = (weights?: ReadonlyMap<string, RoundedWeights>) =>
    lowerToInt8(graph, {
      ranges,
      perTensorWeights: o.perTensorWeights,
      biasCorrection: o.biasCorrection,
      stats,
      weights,
      metadata: { ...opts.metadata, quantization: { method: o.method, samples, equalize: o.equalize, rounding: o.rounding, biasCorrection: o.biasCorrection, weights: o.perTensorWeights ? 'per-tensor' : 'per-channel' } },
    });
  const learned = o.rounding === 'nearest' ? undefined
    : await reconstructWeights(graph, data, lower, { ...DEFAULT_RECONSTRUCT, rounding: o.rounding, iterations: o.iterations, refit: o.refit, samples, perTensorWeights: o.perTensorWeights }, opts.progress, targets);
  const lowered = lower(learned?.weights);
  return { ...lowered, graph, stats, ranges, options: o, equalizedPairs, calibrationSamples: samples, reconstruction: learned?.report };
}
