/**
 * Row-band execution of conv chains (patch-based inference, as MCUNetV2 runs its first stages): a segment
 * of consecutive convs / depthwise convs, each feeding only the next, runs band by band of its last
 * layer's output rows. Each inner layer keeps just the rows the next one needs for the band in a buffer
 * of a band's rows, so the segment's inner tensors are never whole. Halo rows (those two consecutive
 * bands share) are carried, not recomputed: at the start of a band the rows the band before computed
 * and this one needs again move to the top of the buffer, and the layer computes only the rows below
 * them. Every row is computed once, so banding costs the moves and the calls, no MACs. Pure planning
 * here: the rows each layer computes per band, the bytes, the cost, and the choice of segments and
 * band heights that minimises the peak under a cost budget.
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

/**
 * What one layer does in one band: its buffer then holds output rows [from, b), of which [from, a) were
 * computed in an earlier band (carried) and [a, b) are computed now from input rows [c, d), `pt` padding
 * rows above row c. a = b: nothing is computed.
 */
export interface BandStep {
  from: number;
  a: number;
  b: number;
  c: number;
  d: number;
  pt: number;
}

/** the input rows [c, d) (and top padding) a layer reads for its output rows [a, b) */
function inputRows(l: BandLayer, a: number, b: number): { c: number; d: number; pt: number } {
  const c = Math.max(0, a * l.SH - l.PT);
  return { c, d: Math.min(l.IH, (b - 1) * l.SH - l.PT + (l.KH - 1) * l.DH + 1), pt: c - (a * l.SH - l.PT) };
}

/** steps[band][layer] for bands of `h` output rows of the last layer */
export function bandSteps(layers: readonly BandLayer[], h: number): BandStep[][] {
  const last = layers[layers.length - 1]!;
  // the rows each layer's buffer holds after the band before
  const held = layers.map(() => ({ from: 0, b: 0 }));
  const bands: BandStep[][] = [];
  for (let y = 0; y < last.OH; y += h) {
    const steps: BandStep[] = new Array(layers.length);
    let need: { from: number; b: number } | undefined = { from: y, b: Math.min(y + h, last.OH) };
    for (let j = layers.length - 1; j >= 0; j--) {
      const had = held[j]!;
      if (!need) {
        // the layer after computes nothing: this one keeps its rows
        steps[j] = { from: had.from, a: had.b, b: had.b, c: 0, d: 0, pt: 0 };
        continue;
      }
      const a = Math.min(need.b, Math.max(need.from, had.b));
      steps[j] = { from: need.from, a, b: need.b, ...(a < need.b ? inputRows(layers[j]!, a, need.b) : { c: 0, d: 0, pt: 0 }) };
      held[j] = need;
      need = a < need.b ? { from: steps[j]!.c, b: steps[j]!.d } : undefined;
    }
    bands.push(steps);
  }
  return bands;
}

/** bytes moved to the top of layer j's buffer before band k computes (the carried rows that were below it) */
function carriedBytes(layers: readonly BandLayer[], steps: BandStep[][], k: number, j: number): number {
  if (k === 0 || j === layers.length - 1) return 0;
  const [st, was] = [steps[k]![j]!, steps[k - 1]![j]!];
  return st.from > was.from ? (st.a - st.from) * layers[j]!.rowBytes : 0;
}

export interface SegmentPlan {
  /** the band height (last layer's output rows per band) */
  h: number;
  steps: BandStep[][];
  /** bytes of each inner layer's band buffer (layers 0 .. n-2), and the scratch shared by all */
  bandBytes: number[];
  scratchBytes: number;
  /** MACs computed beyond the layers' own: none (halo rows are carried); below 0 where rows no one reads are skipped */
  extraMacs: number;
  /** bytes the carried rows move, over all bands */
  movedBytes: number;
  /** the band functions called */
  calls: number;
  macs: number;
}

/** the estimated cost of a band call beyond its MACs (prologue, gather setup), in MACs */
const CALL_COST = 200;

/** what banding adds to a segment, in MACs: a moved byte costs about one (a word's load and store per 4 bytes, on a core doing 1-2 MACs an instruction) */
export function bandCost(p: SegmentPlan): number {
  return Math.max(0, p.extraMacs) + p.movedBytes + CALL_COST * p.calls;
}

export function planSegment(layers: readonly BandLayer[], h: number): SegmentPlan {
  const steps = bandSteps(layers, h);
  const bandBytes = layers.slice(0, -1).map((l, j) => l.rowBytes * Math.max(...steps.map((s) => s[j]!.b - s[j]!.from)));
  const computed = steps.flatMap((s) => s.map((st, j) => ({ st, l: layers[j]! }))).filter(({ st }) => st.b > st.a);
  const scratchBytes = Math.max(0, ...computed.map(({ st, l }) => l.scratch(st)));
  const macs = layers.reduce((t, l) => t + l.OH * l.rowMacs, 0);
  const done = computed.reduce((t, { st, l }) => t + (st.b - st.a) * l.rowMacs, 0);
  let movedBytes = 0;
  steps.forEach((_, k) => layers.forEach((_, j) => (movedBytes += carriedBytes(layers, steps, k, j))));
  return { h, steps, bandBytes, scratchBytes, extraMacs: done - macs, movedBytes, calls: computed.length, macs };
}

export interface ChainPlan {
  /** [first, last] layer indices of each banded segment (2 layers or more, 2 bands or more), in order */
  segments: { first: number; last: number; plan: SegmentPlan }[];
  /** the estimated peak of the chain: tensors, band buffers and scratch */
  peak: number;
  /** what the bands add (bandCost), in MACs */
  cost: number;
}

/** segments of at most this many layers are tried (a stage of a mobile net is 2 to 4) */
const MAX_SEGMENT = 8;

/** a plan's bytes while it runs: the tensors around it, its band buffers and scratch */
export const segmentBytes = (p: SegmentPlan) => p.bandBytes.reduce((x, y) => x + y, 0) + p.scratchBytes;

/**
 * Segments and band heights for a chain that minimise its estimated peak with bands costing at most
 * `budget` MACs in all (bandCost). tensorBytes: the chain's tensors in the arena (n + 1 entries: the
 * input of each layer, then the chain's output; 0 for the model's input or output); outside(i, j): the
 * bytes of other tensors alive while layers [i, j] run (a residual's input, say); alone(k): layer k's own
 * bytes when it runs outside a segment (its tensors and scratch, or less where it can run in place). For a
 * peak P, a dynamic program finds the cheapest segments keeping every one at or below P; the smallest P
 * within the budget wins.
 */
export function planChain(
  layers: readonly BandLayer[],
  tensorBytes: readonly number[],
  budget: number,
  outside: (i: number, j: number) => number = () => 0,
  alone: (k: number) => number = (k) => tensorBytes[k]! + tensorBytes[k + 1]! + layers[k]!.scratch({ from: 0, a: 0, b: layers[k]!.OH, c: 0, d: layers[k]!.IH, pt: layers[k]!.PT }),
): ChainPlan {
  const n = layers.length;
  const whole = (k: number) => outside(k, k) + alone(k);
  // options[i][j]: the banded plans of layers [i, j], by peak, each cheaper than the ones below it
  const options: { peak: number; cost: number; plan: SegmentPlan }[][][] = layers.map(() => []);
  const peaks = new Set<number>(layers.map((_, k) => whole(k)));
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < Math.min(n, i + MAX_SEGMENT); j++) {
      const part = layers.slice(i, j + 1);
      const all: { peak: number; cost: number; plan: SegmentPlan }[] = [];
      for (let h = 1; h < part[part.length - 1]!.OH; h++) {
        const plan = planSegment(part, h);
        all.push({ peak: outside(i, j) + tensorBytes[i]! + tensorBytes[j + 1]! + segmentBytes(plan), cost: bandCost(plan), plan });
      }
      all.sort((x, y) => x.peak - y.peak || x.cost - y.cost);
      options[i]![j] = all.filter((o, k) => all.slice(0, k).every((p) => p.cost > o.cost));
      for (const o of options[i]![j]!) peaks.add(o.peak);
    }
  // the cheapest segments for a peak at most P
  const cheapest = (P: number) => {
    const g = [0];
    const choice: ({ i: number; plan?: SegmentPlan } | undefined)[] = [undefined];
    for (let k = 1; k <= n; k++) {
      g[k] = whole(k - 1) <= P ? g[k - 1]! : Infinity;
      choice[k] = { i: k - 1 };
      for (let i = Math.max(0, k - MAX_SEGMENT); i < k - 1; i++) {
        // the largest peak within P is the cheapest
        const o = options[i]![k - 1]!.filter((p) => p.peak <= P).at(-1);
        if (o && g[i]! + o.cost < g[k]!) [g[k], choice[k]] = [g[i]! + o.cost, { i, plan: o.plan }];
      }
    }
    const segments: ChainPlan['segments'] = [];
    for (let k = n; k > 0; ) {
      const c = choice[k]!;
      if (c.plan) segments.unshift({ first: c.i, last: k - 1, plan: c.plan });
      k = c.i;
    }
    return { cost: g[n]!, segments };
  };
  for (const P of [...peaks].sort((x, y) => x - y)) {
    const best = cheapest(P);
    if (best.cost <= budget) return { segments: best.segments, peak: P, cost: best.cost };
  }
  return { segments: [], peak: Math.max(...layers.map((_, k) => whole(k))), cost: 0 };
}

/** A layer's geometry for one band: its input rows [c, d) with `pt` padding rows above, output rows [a, b). */
export function bandGeometry(g: ConvGeometry, st: BandStep): ConvGeometry {
  return { ...g, IH: st.d - st.c, OH: st.b - st.a, PT: st.pt };
}

/**
 * A residual block run in bands: a segment whose last layer's rows are added to the same rows of the
 * segment's input (identity) or of a shortcut conv of that input, the ADD's output written band by band
 * into its own tensor, or over the input (in place) where a band's rows are never read again by a later
 * band; delay 1 holds each band back for one band (two output band buffers).
 */
export interface ResidualPlan {
  plan: SegmentPlan;
  /** the shortcut's step in each band */
  shortcut?: BandStep[];
  /** in place: the bands a band's output waits before it is written over the input */
  delay?: 0 | 1;
  /** the scratch shared by the segment's layers and the shortcut */
  scratchBytes: number;
  /** band buffers (the segment's, the output's and the shortcut's) and scratch */
  bytes: number;
}

export function planResidual(layers: readonly BandLayer[], shortcut: BandLayer | undefined, h: number, io: { xRow: number; oRow: number; inPlace: boolean }): ResidualPlan {
  const plan = planSegment(layers, h);
  const sc = shortcut && bandSteps([shortcut], h).map((s) => s[0]!);
  const n = plan.steps.length;
  // the first input row band k reads: the first layer's, the shortcut's, or (identity) the band's own rows
  const firstRead = (k: number) => {
    const st = plan.steps[k]![0]!;
    return Math.min(st.b > st.a ? st.c : Infinity, sc ? sc[k]!.c : plan.steps[k]!.at(-1)!.a);
  };
  const safe = (delay: number) => plan.steps.every((s, k) => k + 1 + delay >= n || s.at(-1)!.b * io.oRow <= firstRead(k + 1 + delay) * io.xRow);
  const delay = !io.inPlace ? undefined : safe(0) ? 0 : safe(1) ? 1 : undefined;
  const band = h * io.oRow;
  const scratchBytes = Math.max(plan.scratchBytes, ...(sc ?? []).map((st) => shortcut!.scratch(st)));
  const bytes = plan.bandBytes.reduce((x, y) => x + y, 0) + (delay === undefined ? 0 : (1 + delay) * band) + (sc ? band : 0) + scratchBytes;
  return { plan, shortcut: sc, delay, scratchBytes, bytes };
}
