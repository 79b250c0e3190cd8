/**
 * Row-band execution of conv chains (patch-based inference, as MCUNetV2 runs its first stages): a segment
 * of consecutive convs / depthwise convs, each feeding only the next, runs band by band of its last
 * layer's output rows. Each layer computes just the rows the next one needs for the band (its receptive
 * field, halo rows recomputed), into a buffer of a band's rows, so the segment's inner tensors are never
 * whole. Pure planning here: the rows each layer computes per band, the bytes, the extra MACs, and the
 * choice of segments and band heights that minimises the peak under a MAC budget.
 */

import type { ConvGeometry } from './conv-dsp.ts';

/** The row geometry of one conv layer (batch 1, NHWC) and its cost. */
export interface BandLayer {
  IH: number;
  OH: number;
  /** kernel height, stride, dilation and top padding (rows) */
  KH: number;
  SH: number;
  DH: number;
  PT: number;
  /** bytes of one output row (OW * OC), MACs of one output row */
  rowBytes: number;
  rowMacs: number;
  /** the layer's DSP scratch bytes for one band's step */
  scratch: (step: BandStep) => number;
}

/** What one layer computes in one band: output rows [a, b) from input rows [c, d); `pt` pads above row c. */
export interface BandStep {
  a: number;
  b: number;
  c: number;
  d: number;
  pt: number;
}

/** steps[band][layer] for bands of `h` output rows of the last layer */
export function bandSteps(layers: readonly BandLayer[], h: number): BandStep[][] {
  const last = layers[layers.length - 1]!;
  const bands: BandStep[][] = [];
  for (let y = 0; y < last.OH; y += h) {
    const steps: BandStep[] = new Array(layers.length);
    let [a, b] = [y, Math.min(y + h, last.OH)];
    for (let j = layers.length - 1; j >= 0; j--) {
      const l = layers[j]!;
      const c = Math.max(0, a * l.SH - l.PT);
      const d = Math.min(l.IH, (b - 1) * l.SH - l.PT + (l.KH - 1) * l.DH + 1);
      steps[j] = { a, b, c, d, pt: c - (a * l.SH - l.PT) };
      [a, b] = [c, d];
    }
    bands.push(steps);
  }
  return bands;
}

export interface SegmentPlan {
  /** the band height (last layer's output rows per band) */
  h: number;
  steps: BandStep[][];
  /** bytes of each inner layer's band buffer (layers 0 .. n-2), and the scratch shared by all */
  bandBytes: number[];
  scratchBytes: number;
  /** MACs computed beyond the layers' own (recomputed halo rows) */
  extraMacs: number;
  macs: number;
}

export function planSegment(layers: readonly BandLayer[], h: number): SegmentPlan {
  const steps = bandSteps(layers, h);
  const bandBytes = layers.slice(0, -1).map((l, j) => l.rowBytes * Math.max(...steps.map((s) => s[j]!.b - s[j]!.a)));
  const scratchBytes = Math.max(0, ...steps.flatMap((s) => layers.map((l, j) => l.scratch(s[j]!))));
  const macs = layers.reduce((t, l) => t + l.OH * l.rowMacs, 0);
  const done = steps.reduce((t, s) => t + layers.reduce((u, l, j) => u + (s[j]!.b - s[j]!.a) * l.rowMacs, 0), 0);
  return { h, steps, bandBytes, scratchBytes, extraMacs: done - macs, macs };
}

export interface ChainPlan {
  /** [first, last] layer indices of each banded segment (2 layers or more, 2 bands or more), in order */
  segments: { first: number; last: number; plan: SegmentPlan }[];
  /** the estimated peak of the chain: tensors, band buffers and scratch */
  peak: number;
  extraMacs: number;
}

/** segments of at most this many layers are tried (a stage of a mobile net is 2 to 4) */
const MAX_SEGMENT = 8;

/**
 * Segments and band heights for a chain that minimise its estimated peak with at most `macBudget`
 * extra MACs in all. tensorBytes: the chain's tensors in the arena (n + 1 entries: the input of each
 * layer, then the chain's output; 0 for the model's input or output); outside(i, j): the bytes of other
 * tensors alive while layers [i, j] run (a residual's input, say). For a peak P, a dynamic program
 * finds the fewest extra MACs keeping every segment at or below P; the smallest P within the budget wins.
 */
export function planChain(layers: readonly BandLayer[], tensorBytes: readonly number[], macBudget: number, outside: (i: number, j: number) => number = () => 0): ChainPlan {
  const n = layers.length;
  const whole = (k: number) => outside(k, k) + tensorBytes[k]! + tensorBytes[k + 1]! + layers[k]!.scratch({ a: 0, b: layers[k]!.OH, c: 0, d: layers[k]!.IH, pt: layers[k]!.PT });
  // options[i][j]: the banded plans of layers [i, j], by peak, each with fewer extra MACs than the ones below it
  const options: { peak: number; plan: SegmentPlan }[][][] = layers.map(() => []);
  const peaks = new Set<number>(layers.map((_, k) => whole(k)));
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < Math.min(n, i + MAX_SEGMENT); j++) {
      const part = layers.slice(i, j + 1);
      const all: { peak: number; plan: SegmentPlan }[] = [];
      for (let h = 1; h < part[part.length - 1]!.OH; h++) {
        const plan = planSegment(part, h);
        all.push({ peak: outside(i, j) + tensorBytes[i]! + tensorBytes[j + 1]! + plan.bandBytes.reduce((x, y) => x + y, 0) + plan.scratchBytes, plan });
      }
      all.sort((x, y) => x.peak - y.peak || x.plan.extraMacs - y.plan.extraMacs);
      options[i]![j] = all.filter((o, k) => all.slice(0, k).every((p) => p.plan.extraMacs > o.plan.extraMacs));
      for (const o of options[i]![j]!) peaks.add(o.peak);
    }
  // the fewest extra MACs for a peak at most P, and the segments that give it
  const cheapest = (P: number) => {
    const g = [0];
    const choice: ({ i: number; plan?: SegmentPlan } | undefined)[] = [undefined];
    for (let k = 1; k <= n; k++) {
      g[k] = whole(k - 1) <= P ? g[k - 1]! : Infinity;
      choice[k] = { i: k - 1 };
      for (let i = Math.max(0, k - MAX_SEGMENT); i < k - 1; i++) {
        // the largest peak within P is the one with the fewest extra MACs
        const o = options[i]![k - 1]!.filter((p) => p.peak <= P).at(-1);
        if (o && g[i]! + o.plan.extraMacs < g[k]!) [g[k], choice[k]] = [g[i]! + o.plan.extraMacs, { i, plan: o.plan }];
      }
    }
    const segments: ChainPlan['segments'] = [];
    for (let k = n; k > 0; ) {
      const c = choice[k]!;
      if (c.plan) segments.unshift({ first: c.i, last: k - 1, plan: c.plan });
      k = c.i;
    }
    return { extraMacs: g[n]!, segments };
  };
  for (const P of [...peaks].sort((x, y) => x - y)) {
    const best = cheapest(P);
    if (best.extraMacs <= macBudget) return { segments: best.segments, peak: P, extraMacs: best.extraMacs };
  }
  return { segments: [], peak: Math.max(...layers.map((_, k) => whole(k))), extraMacs: 0 };
}

/** A layer's geometry for one band: its input rows [c, d) with `pt` padding rows above, output rows [a, b). */
export function bandGeometry(g: ConvGeometry, st: BandStep): ConvGeometry {
  return { ...g, IH: st.d - st.c, OH: st.b - st.a, PT: st.pt };
}
