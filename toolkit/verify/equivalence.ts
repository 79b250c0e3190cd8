/**
 * Numerical equivalence of two graphs with the same inputs and outputs, run in onnxruntime on random
 * inputs and on given data. Errors are reported absolute and relative to the reference output's range.
 */
import type { Graph } from '../graph/graph.ts';
import { sizeOf } from '../graph/tensor.ts';
import { openInOrt } from '../onnx/runtime.ts';
import { randomInput } from '../graph/random.ts';

export interface ErrorStat {
  name: string;
  maxAbs: number;
  /** maxAbs divided by the range (max − min) of the reference values */
  maxRel: number;
  range: number;
}

export interface EquivalenceReport {
  samples: { random: number; data: number };
  outputs: ErrorStat[];
  blocks: ErrorStat[];
  maxAbs: number;
  maxRel: number;
  tolerance: { rel: number };
  passed: boolean;
}

export interface EquivalenceOptions {
  randomSamples?: number;
  seed?: number;
  /** Real inputs (each the size of the first graph input). */
  data?: readonly Float32Array[];
  /** Values present in both graphs to compare as well (block outputs). */
  blockOutputs?: readonly string[];
  /** For values whose channels were pruned: which reference channels the candidate kept (NCHW). */
  keptChannels?: ReadonlyMap<string, readonly number[]>;
  tolerance?: number;
}

export const DEFAULT_TOLERANCE = 1e-4;

class Tracker {
  private abs = 0;
  private lo = Infinity;
  private hi = -Infinity;
  constructor(readonly name: string, private channels?: readonly number[]) {}
  add(ref: Float32Array, got: Float32Array): void {
    const ch = this.channels, plane = ch ? got.length / ch.length : 0;
    if (!ch && ref.length !== got.length) this.abs = Infinity;
    for (let i = 0; i < got.length; i++) {
      const r = ch ? ref[ch[Math.floor(i / plane)]! * plane + (i % plane)]! : ref[i]!;
      const d = Math.abs(r - got[i]!);
      if (!(d <= this.abs)) this.abs = Number.isNaN(d) ? Infinity : d;
      if (r < this.lo) this.lo = r;
      if (r > this.hi) this.hi = r;
    }
  }
  stat(): ErrorStat {
    const range = this.hi - this.lo;
    return { name: this.name, maxAbs: this.abs, maxRel: this.abs === 0 ? 0 : this.abs / (range > 0 ? range : 1), range };
  }
}

export async function checkEquivalence(reference: Graph, candidate: Graph, opts: EquivalenceOptions = {}): Promise<EquivalenceReport> {
  const { randomSamples = 8, seed = 1, data = [], blockOutputs = [], keptChannels, tolerance = DEFAULT_TOLERANCE } = opts;
  const input = reference.inputs[0]!;
  const n = sizeOf(input.dims);
  const [ref, cand] = await Promise.all([openInOrt(reference, blockOutputs), openInOrt(candidate, blockOutputs)]);
  const outs = reference.outputs.map((o) => new Tracker(o.name));
  const blocks = blockOutputs.map((b) => new Tracker(b, keptChannels?.get(b)));
  try {
    const feeds = [...Array.from({ length: randomSamples }, (_, s) => randomInput(n, s, seed)), ...data];
    for (const x of feeds) {
      const [r, c] = await Promise.all([ref.run({ [input.name]: x }), cand.run({ [input.name]: x })]);
      outs.forEach((t) => t.add(r[t.name]!, c[t.name]!));
      blocks.forEach((t) => t.add(r[t.name]!, c[t.name]!));
    }
  } finally {
    await Promise.all([ref.release(), cand.release()]);
  }
  const outputs = outs.map((t) => t.stat());
  const maxAbs = Math.max(...outputs.map((o) => o.maxAbs));
  const maxRel = Math.max(...outputs.map((o) => o.maxRel));
  return {
    samples: { random: randomSamples, data: data.length },
    outputs,
    blocks: blocks.map((t) => t.stat()),
    maxAbs,
    maxRel,
    tolerance: { rel: tolerance },
    passed: outputs.every((o) => o.maxRel <= tolerance),
  };
}
