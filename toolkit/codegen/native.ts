/**
 * The native runtime: an int8 TfliteModel as portable C99 with no interpreter and no malloc.
 *
 * emitNativeC writes model.h (sizes, shapes, quantization as #defines; reparo_invoke), model.c
 * (weights and precomputed requantization constants as static const arrays, one static arena with
 * every activation at a fixed offset from memory-plan.ts, one function per layer with its shapes
 * as constants) and reparo_kernels.h (the integer arithmetic of TFLite Micro's reference kernels:
 * SaturatingRoundingDoublingHighMul + RoundingDivideByPOT, double rounding).
 *
 * Bit-exactness with the int8 interpreter (toolkit/int8) comes from computing every constant with
 * the interpreter's own functions. Accumulators are uint32 so int32 wraparound is defined and
 * matches TFLM's; the input zero point is folded into the bias (exact modulo 2^32) wherever the
 * whole window lies inside the image, border pixels use the raw bias and subtract the zero point.
 */
import { ReparoError } from '../errors.ts';
import type { RuntimeCheck } from '../check/index.ts';
import type { Operator, TensorDef, TfliteModel } from '../tflite/model.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, type QuantizedMultiplier } from '../int8/arithmetic.ts';
import { activationRange, channelMultipliers, windowOutputSize, windowPaddingBefore, type TensorQuant } from '../int8/quant.ts';
import { allocateTensor } from '../int8/tensors.ts';
import type { KernelContext, OpOf, TensorData } from '../int8/kernel.ts';
import { prepareSoftmax } from '../int8/kernels/softmax.ts';
import { prepareLogistic } from '../int8/kernels/logistic.ts';
import { prepareHardSwish } from '../int8/kernels/hard-swish.ts';
import { prepareGelu } from '../int8/kernels/gelu.ts';
import { prepareConcatenation } from '../int8/kernels/concatenation.ts';
import { prepareResize } from '../int8/kernels/resize.ts';
import { createMemoryPlan } from './memory-plan.ts';
import { kernelsHeader } from './native/kernels-header.ts';
import { foldPads } from './native/fold-pads.ts';
import { dw3RowFits, dw3RowFunction, dw3RowTable, fcBlockFunction, fcBlockName, fcBlockWeights, gemmPairFunction, gemmPairName, gemmPairStream, macBlockFunction, macBlockName, PACKED_HIGH_BOUND, type MacWeights, type FastRequant } from './native/mac-asm.ts';
import { bandCost, bandGeometry, planChain, planResidual, planSegment, segmentBytes, type BandLayer, type BandStep, type ResidualPlan, type SegmentPlan } from './native/bands.ts';
import { scalarBlock, scalarDepthwiseLoop, scalarGatherFunction, scalarGemmBias, scalarGemmLoop, scalarGemmWeights } from './native/conv-scalar.ts';
import { dspConvKind, dw3Loop, dw3Weights, dw4Loop, dw4Weights, gemmLoop, gemmWeights, gemmWeights8, gemmWeights16, gemmWeightsPacked, type ConvGeometry } from './native/conv-dsp.ts';

export interface NativeOptions {
  /** arena and weight alignment in bytes (default 16) */
  alignment?: number;
  /**
   * flash bytes the DSP build may add by storing conv weights as int16 (no unpacking in the inner loop:
   * 10 instead of 14 instructions per 8 SMLADs), spent on the layers with the most output pixels first
   * (default 88 KiB, 72 KiB for the smallest plan; 0 keeps every weight int8)
   */
  wideWeightBytes?: number;
  /**
   * fastest (default): every tensor whole, layer by layer. smallest: chains of convs run in row bands
   * where that lowers the peak (native/bands.ts), the bands costing at most BAND_BUDGET of the chain's MACs.
   */
  memory?: 'fastest' | 'smallest';
}

/** what banding may add to a chain (moves of carried rows, calls: bandCost), as a fraction of its MACs */
export const BAND_BUDGET = 0.1;
/** bands of a layer run in place: two band buffers of 1/8 of its output each */
const IN_PLACE_BANDS = 8;

/** person_detect's firmware stays under TFLM + CMSIS-NN's flash with 88 KiB (404,864 B against 412,708 B, measured 2026-12-04) */
export const DEFAULT_WIDE_WEIGHT_BYTES = 88 * 1024;
/**
 * the smallest plan's band functions (one per band geometry) take flash of their own: with 72 KiB of int16
 * rows person_detect's stays under TFLM + CMSIS-NN's (402,848 B; 88 KiB: 419,248 B; measured 2026-12-05)
 */
export const SMALLEST_WIDE_WEIGHT_BYTES = 72 * 1024;

export interface BandReport {
  first: number;
  last: number;
  rows: number;
  bands: number;
  extraMacs: number;
  movedBytes: number;
  inPlace?: boolean;
}

/** a banded segment in words, for the CLI and the report */
export function describeBand(b: BandReport): string {
  const rows = `${b.bands} bands of ${b.rows} row${b.rows === 1 ? '' : 's'}`;
  if (b.first === b.last) return `op ${b.first} in place (${rows})`;
  const extra = b.extraMacs > 0 ? `, +${b.extraMacs.toLocaleString('en-US')} MACs` : '';
  return `ops ${b.first}-${b.last} in ${rows}${b.inPlace ? ' over their input' : ''} (${b.movedBytes.toLocaleString('en-US')} B of halo rows carried${extra})`;
}

export interface NativeResult {
  files: Record<string, string>;
  /** bytes of the static activation arena */
  arenaSize: number;
  /** the sum of all planned activation buffers (what the arena would be without reuse) */
  activationBytes: number;
  /** flash the int16 weight rows of the DSP build add (within opts.wideWeightBytes) */
  wideWeightBytes: number;
  /**
   * the banded segments of the plan (op indices, band height, extra MACs, bytes of carried rows moved; inPlace:
   * the output written over the input, by one layer or a residual block); empty for the fastest plan
   */
  bands: BandReport[];
  /** per op, the arena's highest byte in use while it runs */
  ramByOp: number[];
}

const SUPPORTED = new Set([
  'CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'MUL', 'MEAN', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'PAD', 'RESHAPE', 'SOFTMAX',
  'LOGISTIC', 'HARD_SWISH', 'GELU', 'CONCATENATION', 'RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR',
]);

/** C statements storing requantized `acc` of channel `c` at `dst`; `doubled` takes 2 * acc where it is exact */
type Requant = ((acc: string, c: string, dst: string) => string) & { doubled?: (acc: string, c: string, dst: string) => string };

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** a banded segment of convs first..last; a residual block's also runs its shortcut conv and its ADD */
interface Segment {
  first: number;
  last: number;
  plan: SegmentPlan;
  tail?: { add: number; shortcut?: number; res: ResidualPlan };
}
const segmentEnd = (g: Segment) => g.tail?.add ?? g.last;

function fail(code: 'E_UNSUPPORTED_OP' | 'E_SHAPE' | 'E_QUANT_PARAMS' | 'E_GRAPH', message: string, op?: Operator, opIndex?: number): never {
  throw new ReparoError(code, message, op ? { op: op.op, node: `#${opIndex}` } : {});
}

/** C initializer rows of integers. */
function cArray(values: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i += 24) parts.push('  ' + Array.from(Array.prototype.slice.call(values, i, i + 24) as number[], cInt).join(', '));
  return parts.join(',\n');
}

/** An int32 as a C literal (INT32_MIN cannot be written directly). */
function cInt(v: number): string {
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

function cFloat(v: number): string {
  const s = v.toPrecision(9);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

/** For reparo check: the native runtime takes a model when it can emit it. */
export const NATIVE_RUNTIME: RuntimeCheck = { name: 'native runtime', accepts: (model) => void emitNativeC(model) };

export function emitNativeC(source: TfliteModel, opts: NativeOptions = {}): NativeResult {
  // op indices below are the folded model's; original[i] is op i's in `source` (profile, plan report, errors)
  const { model, original, padding, into } = foldPads(source);
  const alignment = opts.alignment ?? 16;
  const unsupported = [...new Set(model.operators.map((o) => o.op).filter((o) => !SUPPORTED.has(o)))];
  if (unsupported.length) throw new ReparoError('E_UNSUPPORTED_OP', `the native C runtime has no kernel for ${unsupported.join(', ')}`);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) fail('E_GRAPH', `the native runtime needs one input and one output; the model has ${model.inputs.length} and ${model.outputs.length}`);
  const [inT, outT] = [model.inputs[0], model.outputs[0]];
  const def = (i: number): TensorDef => {
    const d = model.tensors[i];
    if (!d) fail('E_GRAPH', `tensor index ${i} is out of range`);
    return d;
  };
  /** bytes of one row of an NHWC tensor */
  const rowBytesOf = (t: number) => count(def(t).shape.slice(2));
  for (const t of [inT, outT]) if (def(t).type !== 'int8') fail('E_GRAPH', `model input/output '${def(t).name}' is ${def(t).type}; the native runtime needs int8`);
  if (inT === outT) fail('E_GRAPH', 'the model output is its input');
  const quantOf = (i: number): TensorQuant => {
    const q = def(i).quantization;
    if (!q || !q.scale.length || !q.zeroPoint.length) fail('E_QUANT_PARAMS', `tensor ${i} '${def(i).name}' has no quantization parameters`);
    return { scale: Math.fround(q.scale[0]), zeroPoint: q.zeroPoint[0] };
  };
  const constData = new Map<number, TensorData>();
  const constant = (i: number): TensorData => {
    if (!def(i).data) fail('E_GRAPH', `tensor ${i} '${def(i).name}' must be constant`);
    if (!constData.has(i)) constData.set(i, allocateTensor(def(i), i));
    return constData.get(i)!;
  };
  const ints = (i: number): number[] => Array.from(constant(i) as ArrayLike<number | bigint>, Number);

  // ---- memory plan: RESHAPE outputs alias their inputs unless the output is the model output
  const alias = new Map<number, number>();
  const root = (t: number): number => (alias.has(t) ? root(alias.get(t)!) : t);
  model.operators.forEach((op) => {
    if (op.op === 'RESHAPE' && op.outputs[0] !== outT) alias.set(op.outputs[0], op.inputs[0]);
  });
  // ADD and MUL write over an input they read last, of their own size: element k is read before it is written
  const lastRead = new Map<number, number>();
  model.operators.forEach((op, i) => op.inputs.forEach((t) => t >= 0 && lastRead.set(root(t), i)));
  /** the last op reading a buffer, under the aliases as they are now */
  const lastReadOf = (r: number) => {
    let k = -1;
    model.operators.forEach((op, i) => op.inputs.some((t) => t >= 0 && root(t) === r) && (k = i));
    return k;
  };
  model.operators.forEach((op, i) => {
    if ((op.op !== 'ADD' && op.op !== 'MUL') || op.outputs[0] === outT) return;
    const n = count(def(op.outputs[0]).shape);
    const t = op.inputs.find((t) => !def(t).data && root(t) !== inT && lastRead.get(root(t)) === i && count(def(t).shape) === n && def(t).type === 'int8');
    if (t !== undefined) alias.set(op.outputs[0], t);
  });
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const isActivation = (t: number) => t >= 0 && !def(t).data;
  const lifetimes = () => {
    first.clear();
    last.clear();
    model.operators.forEach((op, i) => {
      for (const t of op.outputs) {
        const r = root(t);
        if (!first.has(r)) first.set(r, i);
        last.set(r, Math.max(last.get(r) ?? i, i));
      }
      for (const t of op.inputs) {
        if (!isActivation(t)) continue;
        const r = root(t);
        if (r !== inT && !first.has(r)) fail('E_GRAPH', `tensor ${t} '${def(t).name}' is read before it is written`, op, original[i]);
        last.set(r, Math.max(last.get(r) ?? i, i));
      }
    });
  };
  lifetimes();
  // ---- banded segments (memory: smallest): chains of convs, each op reading the one before it alone
  const readers = new Map<number, number>();
  for (const op of model.operators) for (const t of op.inputs) if (isActivation(t)) readers.set(root(t), (readers.get(root(t)) ?? 0) + 1);
  const isConv = (op: Operator): op is Extract<Operator, { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }> =>
    (op.op === 'CONV_2D' || op.op === 'DEPTHWISE_CONV_2D') && def(op.inputs[0]).shape.length === 4 && def(op.inputs[0]).shape[0] === 1;
  /**
   * The in-place plan of conv i (see inPlace below), or undefined where it cannot run in place: its input is
   * the model's or read later, or a band's output would overwrite rows a later band still reads.
   */
  const inPlacePlan = (i: number): SegmentPlan | undefined => {
    const op = model.operators[i]!;
    if (!isConv(op) || op.outputs[0] === outT) return undefined;
    const x = root(op.inputs[0]);
    if (x === inT || lastReadOf(x) !== i) return undefined;
    const g = convGeometry(op, i);
    const layer: BandLayer = { IH: g.IH, OH: g.OH, KH: g.KH, SH: g.SH, DH: g.DH, PT: g.PT, rowBytes: g.OW * g.OC, rowMacs: 0, scratch: (st) => dspConvKind(bandGeometry(g, st)).scratch };
    const h = Math.max(1, Math.ceil(g.OH / IN_PLACE_BANDS));
    const plan = planSegment([layer], h);
    const inRow = g.IW * g.IC;
    const safe = plan.steps.every((s, j) => j + 2 >= plan.steps.length || s[0]!.b * layer.rowBytes <= plan.steps[j + 2]![0]!.c * inRow);
    return plan.steps.length >= 2 && safe ? { ...plan, bandBytes: [h * layer.rowBytes] } : undefined;
  };
  const segments: Segment[] = [];
  const bandLayer = (op: Extract<Operator, { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }>, i: number): BandLayer => {
    const g = convGeometry(op, i);
    const K = g.KH * g.KW * (g.depthwise ? 1 : g.GIC);
    return {
      IH: g.IH, OH: g.OH, KH: g.KH, SH: g.SH, DH: g.DH, PT: g.PT, rowBytes: g.OW * g.OC, rowMacs: g.OW * g.OC * K,
      scratch: (st) => dspConvKind(bandGeometry(g, st)).scratch,
    };
  };
  /**
   * Convs s..e as a residual block's bands (planResidual), where op e + 1 is the ADD of e's output and of
   * s's input x (identity), or op e + 1 is a shortcut conv of x and e + 2 the ADD of the two; x stays whole,
   * the ADD runs band by band, over x where its rows are no longer read, else into its own tensor.
   */
  const residualBlock = (s: number, e: number): Segment | undefined => {
    const ops = model.operators;
    const readBy = (t: number) => ops.filter((op) => op.inputs.includes(t)).length;
    const x = ops[s]!.inputs[0];
    const y = ops[e]!.outputs[0];
    if (e - s >= 8 || readBy(y) !== 1 || y === outT) return undefined;
    const sc = ops[e + 1];
    const shortcut = sc && isConv(sc) && root(sc.inputs[0]) === root(x) && sc.outputs[0] !== outT && readBy(sc.outputs[0]) === 1 ? e + 1 : undefined;
    const addAt = shortcut === undefined ? e + 1 : e + 2;
    const add = ops[addAt];
    const other = shortcut === undefined ? x : ops[shortcut]!.outputs[0];
    if (!add || add.op !== 'ADD' || add.inputs.length !== 2 || !add.inputs.includes(y) || !add.inputs.some((t) => root(t) === root(other)) || add.inputs[0] === add.inputs[1]) return undefined;
    const o = add.outputs[0];
    if (!add.inputs.every((t) => def(t).shape.join() === def(o).shape.join()) || def(o).shape.length !== 4) return undefined;
    // the ADD's output is x's only where the block writes over x (an alias to one of its inputs is undone)
    const aliased = alias.get(o);
    alias.delete(o);
    const chain = ops.slice(s, e + 1) as Extract<Operator, { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }>[];
    const layers = chain.map((op, k) => bandLayer(op, s + k));
    const scLayer = shortcut === undefined ? undefined : bandLayer(ops[shortcut] as Extract<Operator, { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }>, shortcut);
    const [xs, os] = [def(x).shape, def(o).shape];
    const io = { xRow: xs[2]! * xs[3]!, oRow: os[2]! * os[3]!, inPlace: root(x) !== inT && o !== outT && lastReadOf(root(x)) <= addAt };
    const own = new Set([x, ...chain.map((op) => op.outputs[0]), other, o].map(root));
    let around = 0;
    for (const [r, f] of first) if (!own.has(r) && r !== inT && r !== outT && f <= addAt && last.get(r)! >= s) around += count(def(r).shape);
    const macs = layers.reduce((t, l) => t + l.OH * l.rowMacs, 0) + (scLayer ? scLayer.OH * scLayer.rowMacs : 0);
    let best: { bytes: number; res: ResidualPlan } | undefined;
    for (let h = layers.at(-1)!.OH - 1; h >= 1; h--) {
      const res = planResidual(layers, scLayer, h, io);
      if (bandCost(res.plan) > BAND_BUDGET * macs) continue;
      const bytes = around + (root(x) === inT ? 0 : count(xs)) + (res.delay === undefined && o !== outT ? count(os) : 0) + res.bytes;
      if (!best || bytes < best.bytes) best = { bytes, res };
    }
    if (!best) {
      if (aliased !== undefined) alias.set(o, aliased);
      return undefined;
    }
    if (best.res.delay !== undefined) alias.set(o, x);
    return { first: s, last: e, plan: best.res.plan, tail: { add: addAt, shortcut, res: best.res } };
  };
  if (opts.memory === 'smallest') {
    const ops = model.operators;
    for (let s = 0; s < ops.length; ) {
      let e = s;
      if (isConv(ops[s]!))
        while (e + 1 < ops.length && isConv(ops[e + 1]!) && ops[e + 1]!.inputs[0] === ops[e]!.outputs[0] && ops[e]!.outputs[0] !== outT && readers.get(root(ops[e]!.outputs[0])) === 1) e++;
      const block = isConv(ops[s]!) ? residualBlock(s, e) : undefined;
      if (block) {
        segments.push(block);
        s = block.tail!.add + 1;
        continue;
      }
      if (e > s) {
        const chain = ops.slice(s, e + 1) as Extract<Operator, { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }>[];
        const layers = chain.map((op, k) => bandLayer(op, s + k));
        const inArena = (t: number) => (root(t) === inT || root(t) === outT ? 0 : count(def(t).shape));
        const tensorBytes = [inArena(chain[0]!.inputs[0]), ...chain.map((op) => inArena(op.outputs[0]))];
        const macs = layers.reduce((t, l) => t + l.OH * l.rowMacs, 0);
        // other tensors alive while chain layers [i, j] run (the segment's own: chain tensors i .. j + 1)
        const tensors = [chain[0]!.inputs[0], ...chain.map((op) => op.outputs[0])].map(root);
        const outside = (i: number, j: number) => {
          const own = new Set(tensors.slice(i, j + 2));
          let bytes = 0;
          for (const [r, f] of first) if (!own.has(r) && r !== inT && r !== outT && f <= s + j && last.get(r)! >= s + i) bytes += count(def(r).shape);
          return bytes;
        };
        // a layer alone: its tensors whole, or in place (the larger tensor and two band buffers)
        const alone = (k: number) => {
          const whole = tensorBytes[k]! + tensorBytes[k + 1]! + dspConvKind(convGeometry(chain[k]!, s + k)).scratch;
          const p = inPlacePlan(s + k);
          return p ? Math.min(whole, Math.max(tensorBytes[k]!, tensorBytes[k + 1]!) + 2 * p.bandBytes[0]! + p.scratchBytes) : whole;
        };
        for (const seg of planChain(layers, tensorBytes, BAND_BUDGET * macs, outside, alone).segments) segments.push({ first: s + seg.first, last: s + seg.last, plan: seg.plan });
      }
      s = e + 1;
    }
    lifetimes();
  }
  const segmentOf = (i: number) => segments.find((g) => g.first <= i && i <= segmentEnd(g));
  // a segment's input is read by every band, its output written from the first: both alive throughout
  const segmentLifetimes = () => {
    for (const g of segments) {
      const end = segmentEnd(g);
      const [x, o] = [root(model.operators[g.first]!.inputs[0]), root(model.operators[end]!.outputs[0])];
      last.set(x, Math.max(last.get(x) ?? end, end));
      first.set(o, Math.min(first.get(o) ?? g.first, g.first));
    }
  };
  segmentLifetimes();
  // tensors that exist only as band buffers: a segment's inner ones, and a residual block's ADD inputs
  const banded = new Set(
    segments.flatMap((g) => {
      const inner = model.operators.slice(g.first, g.tail ? g.last + 1 : g.last).map((op) => op.outputs[0]);
      if (g.tail?.shortcut !== undefined) inner.push(model.operators[g.tail.shortcut]!.outputs[0]);
      return inner.map(root);
    }),
  );
  /**
   * In place (memory: smallest), a conv outside the segments that reads its input last: band by band into
   * one of two band buffers, each band copied over the tensor once the next band is computed, which is
   * when no later band reads the rows it covers (checked: the bytes written stay below the next-but-one
   * band's first input byte). Only where the layer is above the rest of the plan's peak: elsewhere its
   * bands would cost instructions and save nothing.
   */
  const inPlace = new Map<number, SegmentPlan>();
  if (opts.memory === 'smallest') {
    const size = (r: number) => (r === inT || r === outT || banded.has(r) ? 0 : count(def(r).shape));
    const liveAt = (i: number) => {
      let bytes = 0;
      for (const [r, f] of first) if (f <= i && i <= last.get(r)!) bytes += size(r);
      const g = segmentOf(i);
      const op = model.operators[i]!;
      const scratch = isConv(op) ? dspConvKind(convGeometry(op, i)).scratch : 0;
      return bytes + (g ? (g.tail?.res.bytes ?? segmentBytes(g.plan)) : scratch);
    };
    const candidates = new Map<number, { plan: SegmentPlan; saves: number }>();
    model.operators.forEach((op, i) => {
      const p = segmentOf(i) ? undefined : inPlacePlan(i);
      if (p) candidates.set(i, { plan: p, saves: Math.min(size(root(op.inputs[0])), size(root(op.outputs[0]))) - 2 * p.bandBytes[0]! });
    });
    let peak = Math.max(0, ...model.operators.map((_, i) => (candidates.has(i) ? 0 : liveAt(i))));
    for (const [i, c] of [...candidates].sort((p, q) => liveAt(q[0]) - liveAt(p[0]))) {
      if (liveAt(i) <= peak || c.saves <= 0) continue;
      inPlace.set(i, c.plan);
      alias.set(model.operators[i]!.outputs[0], model.operators[i]!.inputs[0]);
      peak = Math.max(peak, liveAt(i) - c.saves);
    }
    if (inPlace.size) {
      lifetimes();
      segmentLifetimes();
    }
  }

  const plan = createMemoryPlan(alignment);
  const bufferOf = new Map<number, number>();
  let activationBytes = 0;
  for (const [r, f] of first) {
    if (r === outT || r === inT || banded.has(r)) continue;
    const size = Math.max(...[...model.tensors.keys()].filter((t) => root(t) === r).map((t) => count(def(t).shape)));
    activationBytes += size;
    bufferOf.set(r, plan.addBuffer(size, f, last.get(r)!));
  }
  // each inner layer of a segment writes a band's rows into its own buffer; one scratch serves the segment
  const bandBufferOf = new Map<number, number>();
  const segmentScratch = new Map<number, number>();
  /** a residual block's band buffers: its ADD's output (one or two, in place), its shortcut's */
  const blockBuffers = new Map<number, { out: number[]; shortcut?: number }>();
  for (const g of segments) {
    const end = segmentEnd(g);
    const buffer = (bytes: number) => {
      activationBytes += bytes;
      return plan.addBuffer(bytes, g.first, end);
    };
    g.plan.bandBytes.forEach((bytes, k) => bandBufferOf.set(g.first + k, buffer(bytes)));
    const scratch = g.tail ? g.tail.res.scratchBytes : g.plan.scratchBytes;
    if (scratch) segmentScratch.set(g.first, plan.addBuffer(scratch, g.first, end));
    if (g.tail) {
      const band = g.plan.h * rowBytesOf(model.operators[g.last]!.outputs[0]);
      const outs = g.tail.res.delay === undefined ? 0 : 1 + g.tail.res.delay;
      blockBuffers.set(g.first, { out: Array.from({ length: outs }, () => buffer(band)), shortcut: g.tail.shortcut === undefined ? undefined : buffer(band) });
    }
  }
  const inPlaceBuffers = new Map<number, [number, number]>();
  for (const [i, p] of inPlace) inPlaceBuffers.set(i, [plan.addBuffer(p.bandBytes[0]!, i, i), plan.addBuffer(p.bandBytes[0]!, i, i)]);
  /**
   * A dense layer's weights packed for the DSP build's 4-channel assembly block (fcBlockWeights), or
   * undefined: that needs int8 weights without a zero point, a channel count divisible by 4, and a packing
   * that is exact for these weights.
   */
  const fcPacked = new Map<number, { n4: number; words: Int32Array } | undefined>();
  const fcBlock = (op: Operator, i: number) => {
    if (!fcPacked.has(i)) {
      const wt = def(op.inputs[1]!), ws = wt.shape;
      const ok = ws.length === 2 && ws[0]! % 4 === 0 && ws[1]! >= 4 && !!wt.data && wt.type === 'int8' && !(wt.quantization?.scale.length === 1 && wt.quantization.zeroPoint[0] !== 0);
      const words = ok ? fcBlockWeights(constant(op.inputs[1]!) as Int8Array, ws[0]!, ws[1]!) : undefined;
      fcPacked.set(i, words && { n4: Math.ceil(ws[1]! / 4), words });
    }
    return fcPacked.get(i);
  };
  // per-layer scratch of the DSP loops (gathered rows, a zero-point row), alive during its layer only
  const scratchOf = new Map<number, number>();
  model.operators.forEach((op, i) => {
    if (op.op === 'FULLY_CONNECTED') {
      const packed = fcBlock(op, i);
      if (packed) scratchOf.set(i, plan.addBuffer(8 * packed.n4, i, i)); // the row as SXTB16 pairs
      return;
    }
    if (op.op !== 'CONV_2D' && op.op !== 'DEPTHWISE_CONV_2D') return;
    const seg = segmentOf(i);
    if (seg) {
      if (segmentScratch.has(seg.first)) scratchOf.set(i, segmentScratch.get(seg.first)!);
      return;
    }
    const { scratch } = inPlace.has(i) ? { scratch: inPlace.get(i)!.scratchBytes } : dspConvKind(convGeometry(op, i));
    if (scratch) scratchOf.set(i, plan.addBuffer(scratch, i, i));
  });
  // int16 weight rows cost OC * K4 more bytes each; a row is used once per pixel pair, so the saving per byte grows with the pixels
  const wide = new Set<number>();
  const wideBudget = opts.wideWeightBytes ?? (opts.memory === 'smallest' ? SMALLEST_WIDE_WEIGHT_BYTES : DEFAULT_WIDE_WEIGHT_BYTES);
  let wideLeft = wideBudget;
  const gemms = model.operators.flatMap((op, i) => {
    if (op.op !== 'CONV_2D' && op.op !== 'DEPTHWISE_CONV_2D') return [];
    const g = convGeometry(op, i);
    const k = dspConvKind(g);
    return k.kind === 'gemm' ? [{ i, pixels: g.B * g.OH * g.OW, extra: g.OC * k.K4 }] : [];
  });
  for (const c of gemms.sort((a, b) => b.pixels - a.pixels || a.i - b.i))
    if (c.extra <= wideLeft) {
      wide.add(c.i);
      wideLeft -= c.extra;
    }
  const scratchPtr = (i: number) => `(arena + ${plan.offsetOf(scratchOf.get(i)!)})`;
  const arenaSize = plan.arenaSize();
  const decls: string[] = [];
  const constOperands = new Set<number>();
  const ptr = (t: number): string => {
    if (def(t).data) {
      if (def(t).type !== 'int8') fail('E_UNSUPPORTED_OP', `constant operand '${def(t).name}' is ${def(t).type}; only int8 is supported`);
      if (!constOperands.has(t)) {
        constOperands.add(t);
        decls.push(`static const int8_t c${t}[${Math.max(count(def(t).shape), 1)}] REPARO_ALIGN = {\n${cArray(constant(t) as Int8Array)}\n};`);
      }
      return `c${t}`;
    }
    const r = root(t);
    if (r === inT) return 'input';
    if (r === outT) return 'output';
    // a segment's inner tensor has no whole buffer (emitSegment passes band buffers)
    if (banded.has(r)) return 'NULL';
    return `(arena + ${plan.offsetOf(bufferOf.get(r)!)})`;
  };

  // ---- layers
  const funcs: string[] = [];
  /** the gemm layers' assembly functions (native/mac-asm.ts), each emitted once */
  const asmFunctions = new Map<string, string>();
  /** reparo_invoke's statements, each with the op it runs (a banded segment interleaves its ops) */
  const calls: { op: number; code: string }[] = [];
  /** banded layers' functions by layer and band geometry (bandFunction) */
  const bandFunctions = new Map<string, string>();
  /** a constant array, compiled into every build or only into the DSP or the portable one (the path that reads it) */
  // the same array again (a banded layer's variants share their weights) is a name for the first
  const arrays = new Map<string, string>();
  const constArray = (name: string, type: string, values: ArrayLike<number>, when: 'both' | 'dsp' | 'portable' = 'both') => {
    const body = values.length ? cArray(values) : '  0';
    const key = `${type}|${when}|${values.length}|${body}`;
    const decl = arrays.has(key) ? `#define ${name} ${arrays.get(key)}` : `static const ${type} ${name}[${Math.max(values.length, 1)}] REPARO_ALIGN = {\n${body}\n};`;
    if (!arrays.has(key)) arrays.set(key, name);
    decls.push(when === 'both' ? decl : `#if ${when === 'dsp' ? '' : '!'}REPARO_DSP\n${decl}\n#endif`);
  };

  /**
   * The one-multiply requantization of a layer, or undefined. Where every shift is a right shift of at most
   * 22 and every |accumulator| is below 2^30, reparo_requant's constants {multiplier, 2^(e-1) + (zp << e), e}:
   * one rounding multiply, one add and one shift give TFLM's double rounding exactly (also on an accumulator
   * of doubled weights and bias, reparo_requant2). Where every shift is a left shift s and every |accumulator|
   * times 2^(s+1) is below 2^31, reparo_requantl's {multiplier, zp, s}: a shift and one rounding multiply.
   * Right shifts beyond 22 (channels quantized to almost nothing) leave the zero point out of the add,
   * {multiplier, 2^(e-1), e}, and add it after the shift (zpAfter). Channels in `fixed` (all-zero weights:
   * the output is a constant, given before the clamp) take multiplier 0 and an add that yields it.
   */
  function fastRequant(mult: Int32Array, shift: Int32Array, bounds: number[], zp: number, fixed: Map<number, number>): FastRequant | undefined {
    const s = Array.from(shift);
    const live = (c: number) => !fixed.has(c);
    // before the clamp to int8, anything beyond [-129, 128] clamps the same
    const value = (c: number) => Math.max(-129, Math.min(128, fixed.get(c)!));
    if (s.every((e, c) => !live(c) || (e <= -1 && e >= -31 && bounds[c]! < 2 ** 30))) {
      const zpAfter = s.some((e, c) => live(c) && e < -22) ? zp : undefined;
      // a fixed channel: ((2v + 1 + sign) >> 1) = v
      const rq = Array.from(mult, (m, c) =>
        live(c) ? { multiplier: m, add: 2 ** (-s[c]! - 1) + (zpAfter === undefined ? zp * 2 ** -s[c]! : 0), shift: -s[c]! } : { multiplier: 0, add: 2 * (value(c) - (zpAfter ?? 0)) + 1, shift: 1 },
      );
      return { left: false, zpAfter, rq };
    }
    if (s.every((e, c) => !live(c) || (e >= 0 && bounds[c]! * 2 ** (e + 1) < 2 ** 31)))
      return { left: true, rq: Array.from(mult, (m, c) => (live(c) ? { multiplier: m, add: zp, shift: s[c]! } : { multiplier: 0, add: value(c), shift: 0 })) };
    return undefined;
  }

  /** C for one requantized value of |acc| ≤ bound with one multiplier: the one-multiply form where it is exact. */
  function scalarRequant(acc: string, bound: number, q: QuantizedMultiplier, zp: number): string {
    const f = fastRequant(Int32Array.of(q.multiplier), Int32Array.of(q.shift), [bound], zp, new Map());
    if (!f) return `reparo_mbqm(${acc}, ${q.multiplier}, ${q.shift}) + ${zp}`;
    const r = f.rq[0]!;
    return `${f.left ? 'reparo_requantl' : 'reparo_requant'}(${acc}, ${r.multiplier}, ${r.add}, ${r.shift})${f.zpAfter === undefined ? '' : ` + ${f.zpAfter}`}`;
  }

  /**
   * A layer's accumulators: the bias with the input zero point folded in, each channel's |accumulator|
   * bound (whether the one-multiply requantization is exact), and that requantization where it is. A
   * channel with all-zero weights outputs a constant; with the fast form its bias is dropped (bound 0).
   */
  function accumulators(bias: Int32Array, K: number, weightOf: (c: number, k: number) => number, inOff: number, mult: Int32Array, shift: Int32Array, zp: number) {
    const maxX = Math.max(128 - inOff, 127 + inOff);
    const folded = new Int32Array(bias.length);
    const bounds: number[] = [];
    const fixed = new Map<number, number>();
    bias.forEach((b, c) => {
      let sum = 0, abs = 0;
      for (let k = 0; k < K; k++) {
        sum += weightOf(c, k);
        abs += Math.abs(weightOf(c, k));
      }
      folded[c] = (b + Math.imul(inOff, sum)) | 0;
      bounds.push(Math.abs(b) + abs * maxX);
      if (abs === 0) fixed.set(c, multiplyByQuantizedMultiplier(b, mult[c]!, shift[c]!) + zp);
    });
    const fast = fastRequant(mult, shift, bounds, zp, fixed);
    if (fast) for (const c of fixed.keys()) [folded[c], bounds[c]] = [0, 0];
    return { folded, bounds, fast };
  }

  /**
   * C statements that requantize `acc` of channel `c` and store it at `dst`: with `fast` constants
   * reparo_requant or reparo_requantl (and `doubled`, their x2 forms), otherwise the general reparo_mbqm.
   * `when`: the builds whose C reads the constants.
   */
  function requantizer(L: string, mult: Int32Array, shift: Int32Array, fast: FastRequant | undefined, zp: number, min: number, max: number, when: 'both' | 'portable'): Requant {
    const clamp = (v: string) => (min === -128 && max === 127 ? `REPARO_SAT8(${v})` : `(${v} < ${min} ? ${min} : ${v} > ${max} ? ${max} : ${v})`);
    if (fast) {
      // one base register for all three constants of a channel
      const rq = fast.rq.map((q) => `  { ${q.multiplier}, ${q.add}, ${q.shift} }`);
      const decl = `static const reparo_rq_t ${L}_rq[${mult.length}] = {\n${rq.join(",\n")}\n};`;
      decls.push(when === 'both' ? decl : `#if !REPARO_DSP\n${decl}\n#endif`);
      const after = fast.zpAfter === undefined ? '' : ` + ${fast.zpAfter}`;
      const store = (fn: string) => (acc: string, c: string, dst: string) =>
        `{ const reparo_rq_t *q = ${L}_rq + ${c}; const int32_t v = ${fn}((int32_t)${acc}, q->multiplier, q->add, q->shift)${after}; ${dst} = (int8_t)${clamp('v')}; }`;
      const fn = fast.left ? 'reparo_requantl' : 'reparo_requant';
      return Object.assign(store(fn), { doubled: store(`${fn}2`) });
    }
    constArray(`${L}_mult`, 'int32_t', mult, when);
    constArray(`${L}_shift`, 'int32_t', shift, when);
    return (acc: string, c: string, dst: string) =>
      `{ const int32_t v = reparo_mbqm((int32_t)${acc}, ${L}_mult[${c}], ${L}_shift[${c}]) + ${zp}; ${dst} = (int8_t)${clamp('v')}; }`;
  }

  /** shapes and window geometry of a conv layer, checked */
  function convGeometry(op: Extract<Operator, { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }>, i: number): ConvGeometry {
    const depthwise = op.op === 'DEPTHWISE_CONV_2D';
    const x = op.inputs[0], o = op.outputs[0], wIdx = op.inputs[1];
    const [B, IH, IW, IC] = def(x).shape;
    const ws = def(wIdx).shape;
    const [OB, OH, OW, OC] = def(o).shape;
    if (def(x).shape.length !== 4 || ws.length !== 4 || def(o).shape.length !== 4 || OB !== B) fail('E_SHAPE', 'conv shapes must be rank 4', op, original[i]);
    const [KH, KW] = [ws[1], ws[2]];
    const GIC = depthwise ? 1 : ws[3];
    const M = op.op === 'DEPTHWISE_CONV_2D' ? op.depthMultiplier : 1;
    if (depthwise ? ws[0] !== 1 || ws[3] !== OC || OC !== IC * M : ws[0] !== OC || IC % GIC !== 0 || OC % (IC / GIC) !== 0) fail('E_SHAPE', `filter [${ws}] does not fit input [${def(x).shape}] and output [${def(o).shape}]`, op, original[i]);
    const { strideH: SH, strideW: SW, dilationH: DH, dilationW: DW } = op;
    // a folded PAD (native/fold-pads.ts): a VALID conv of the padded input, padding taken from the PAD
    const pad = padding.get(i);
    const oh = pad ? windowOutputSize('VALID', pad.H, KH, SH, DH) : windowOutputSize(op.padding, IH, KH, SH, DH);
    const ow = pad ? windowOutputSize('VALID', pad.W, KW, SW, DW) : windowOutputSize(op.padding, IW, KW, SW, DW);
    if (oh !== OH || ow !== OW) fail('E_SHAPE', `output ${OH}x${OW} does not match ${op.padding} geometry ${oh}x${ow}`, op, original[i]);
    const PT = pad ? pad.top : windowPaddingBefore(IH, KH, SH, DH, OH);
    const PL = pad ? pad.left : windowPaddingBefore(IW, KW, SW, DW, OW);
    return { B, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL, depthwise, M, GIC };
  }

  model.operators.forEach((op, i) => {
    const L = `l${i}`;
    const o = op.outputs[0];
    const x = op.inputs[0];
    if (op.op === 'RESHAPE') {
      if (count(def(x).shape) !== count(def(o).shape)) fail('E_SHAPE', `cannot reshape [${def(x).shape}] to [${def(o).shape}]`, op, original[i]);
      calls.push({ op: i, code: root(o) !== root(x) ? `  memcpy(${ptr(o)}, ${ptr(x)}, ${count(def(o).shape)}); /* #${original[i]} RESHAPE */` : `  /* #${original[i]} RESHAPE: aliased */` });
      return;
    }
    for (const t of [...op.inputs.filter(isActivation), o]) if (def(t).type !== 'int8') fail('E_UNSUPPORTED_OP', `tensor '${def(t).name}' is ${def(t).type}; only int8 activations are supported`, op, original[i]);
    const seg = segmentOf(i);
    if (seg) {
      if (i === seg.first) emitSegment(seg);
      return;
    }
    if (inPlace.has(i)) return emitInPlace(i, inPlace.get(i)!);
    const helpers: string[] = [];
    const body = emitLayer(op, i, L, helpers);
    funcs.push(...helpers);
    funcs.push(`/* #${original[i]} ${op.op}: ${def(x).name} [${def(x).shape}] -> ${def(o).name} [${def(o).shape}] */\nstatic void ${L}(${body.params}) {\n${body.code}\n}`);
    calls.push({ op: i, code: `  ${L}(${body.args.join(', ')});` });
  });

  /** the function computing layer j's rows of one band: one per distinct band geometry (the first band pads above, the last may be shorter) */
  function bandFunction(j: number, st: BandStep, note: string): string {
    const key = `${j}:${st.d - st.c}:${st.b - st.a}:${st.pt}`;
    if (!bandFunctions.has(key)) {
      const op = model.operators[j]!;
      const name = `l${j}_v${[...bandFunctions.keys()].filter((f) => f.startsWith(`${j}:`)).length}`;
      const helpers: string[] = [];
      const body = emitLayer(op, j, name, helpers, st);
      funcs.push(...helpers);
      funcs.push(`/* #${original[j]} ${op.op}${note}, band rows: input ${st.d - st.c} (${st.pt} padding above), output ${st.b - st.a} */\nstatic void ${name}(${body.params}) {\n${body.code}\n}`);
      bandFunctions.set(key, name);
    }
    return bandFunctions.get(key)!;
  }

  /** A layer in place: band j into buffer j % 2, then band j - 1 copied over the tensor (see inPlace). */
  function emitInPlace(i: number, p: SegmentPlan) {
    const op = model.operators[i]!;
    const [x, o] = [op.inputs[0], op.outputs[0]];
    const [, IW, IC] = def(x).shape.slice(1);
    const rowBytes = def(o).shape[2]! * def(o).shape[3]!;
    const bufs = inPlaceBuffers.get(i)!.map((id) => `(arena + ${plan.offsetOf(id)})`);
    const copy = (j: number) => {
      const st = p.steps[j]![0]!;
      calls.push({ op: i, code: `  memcpy(${ptr(o)} + ${st.a * rowBytes}, ${bufs[j % 2]}, ${(st.b - st.a) * rowBytes}); /* band ${j} in place */` });
    };
    p.steps.forEach((steps, j) => {
      const st = steps[0]!;
      calls.push({ op: i, code: `  ${bandFunction(i, st, ' in place')}(${ptr(x)} + ${st.c * IW! * IC!}, ${bufs[j % 2]}); /* band ${j} */` });
      if (j > 0) copy(j - 1);
    });
    copy(p.steps.length - 1);
  }

  /**
   * A banded segment, called band by band: inner layers write their band buffers (below the rows carried
   * from the band before, moved to the top first), the first reads rows of the segment's input, the last
   * writes rows of its output. A residual block's last layer writes the ADD's band instead, which the
   * shortcut's band (or the input's rows) is added to, then copied over the input where it runs in place.
   */
  function emitSegment(seg: Segment) {
    const { steps } = seg.plan;
    const band = (j: number) => `(arena + ${plan.offsetOf(bandBufferOf.get(j)!)})`;
    const buffers = blockBuffers.get(seg.first);
    const at = (id: number) => `(arena + ${plan.offsetOf(id)})`;
    // a residual block's last layer writes the ADD's band: an output band buffer (in place) or the ADD's rows
    const tail = seg.tail;
    const addOut = tail && model.operators[tail.add]!.outputs[0];
    const outBand = (k: number) => (buffers!.out.length ? at(buffers!.out[k % buffers!.out.length]!) : `${ptr(addOut!)} + ${steps[k]!.at(-1)!.a * rowBytesOf(addOut!)}`);
    const writeBack = (k: number) => {
      const st = steps[k]!.at(-1)!;
      calls.push({ op: tail!.add, code: `  memcpy(${ptr(addOut!)} + ${st.a * rowBytesOf(addOut!)}, ${outBand(k)}, ${(st.b - st.a) * rowBytesOf(addOut!)}); /* band ${k} over the block's input */` });
    };
    steps.forEach((bandSteps, k) => {
      bandSteps.forEach((st, n) => {
        const j = seg.first + n;
        const op = model.operators[j]!;
        const x = op.inputs[0];
        const rowBytes = rowBytesOf(op.outputs[0]);
        // the rows this band needs again, computed below the top of the buffer in the band before
        if (k > 0 && j < seg.last && st.from > steps[k - 1]![n]!.from && st.a > st.from)
          calls.push({ op: j, code: `  memmove(${band(j)}, ${band(j)} + ${(st.from - steps[k - 1]![n]!.from) * rowBytes}, ${(st.a - st.from) * rowBytes}); /* band ${k}: carried rows */` });
        if (st.b <= st.a) return;
        const src = n === 0 ? `${ptr(x)} + ${st.c * rowBytesOf(x)}` : band(j - 1);
        const dst = j < seg.last ? `${band(j)} + ${(st.a - st.from) * rowBytes}` : tail ? outBand(k) : `${ptr(op.outputs[0])} + ${st.a * rowBytes}`;
        calls.push({ op: j, code: `  ${bandFunction(j, st, '')}(${src}, ${dst}); /* band ${k} */` });
      });
      if (!tail) return;
      const last = bandSteps.at(-1)!;
      const scOp = tail.shortcut === undefined ? undefined : model.operators[tail.shortcut]!;
      const sc = tail.res.shortcut?.[k];
      if (scOp && sc && sc.b > sc.a)
        calls.push({ op: tail.shortcut!, code: `  ${bandFunction(tail.shortcut!, sc, '')}(${ptr(scOp.inputs[0])} + ${sc.c * rowBytesOf(scOp.inputs[0])}, ${at(buffers!.shortcut!)}); /* band ${k} */` });
      // the ADD of the band's rows, into the band the last layer wrote
      const add = model.operators[tail.add]!;
      const y = model.operators[seg.last]!.outputs[0];
      const operand = (t: number) => (t === y ? outBand(k) : scOp && t === scOp.outputs[0] ? at(buffers!.shortcut!) : `${ptr(t)} + ${last.a * rowBytesOf(t)}`);
      const rows: BandStep = { from: last.a, a: last.a, b: last.b, c: last.a, d: last.b, pt: 0 };
      calls.push({ op: tail.add, code: `  ${bandFunction(tail.add, rows, '')}(${operand(add.inputs[0])}, ${operand(add.inputs[1])}, ${outBand(k)}); /* band ${k} */` });
      if (tail.res.delay === 0) writeBack(k);
      if (tail.res.delay === 1 && k > 0) writeBack(k - 1);
    });
    if (tail?.res.delay === 1) writeBack(steps.length - 1);
  }

  /**
   * The non-DSP loop of a gemm conv: windows direct (1x1 stride 1) or gathered into the scratch, a register block
   * (scalarBlock) a call. Declares its weights; reads the layer's folded bias, padded to whole blocks (L_bias).
   */
  function scalarConv(g: ConvGeometry, K: number, K4: number, L: string, w: Int8Array, zeroPoint: number, requant: Requant, helpers: string[], scratch: string): string {
    const { B, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, PT, PL } = g;
    const direct = KH === 1 && KW === 1 && SH === 1 && SW === 1 && PT === 0 && PL === 0 && IH === OH && IW === OW;
    const windows = B * OH * OW, pixels = OH * OW;
    const { C } = scalarBlock(windows, OC);
    constArray(`${L}_ws`, 'int8_t', scalarGemmWeights(gemmWeights(w, g, K, K4), OC, K, C, K4), 'portable');
    if (!direct) helpers.push(`#if !REPARO_DSP\n${scalarGatherFunction(`${L}_gather`, g, zeroPoint)}\n#endif`);
    const window = (p: string, count: number) =>
      direct
        ? `    const int8_t *xw = in + ${p} * ${IC};`
        : `    int8_t *xw = ${scratch};
    for (int j = 0; j < ${count}; ++j) {
      const int q = ${p} + j, r = q % ${pixels};
      ${L}_gather(in + (q / ${pixels}) * ${IH * IW * IC}, r / ${OW}, r % ${OW}, xw + j * ${K});
    }`;
    const loop = scalarGemmLoop({ K, OC, windows }, direct ? IC : K, { L, weights: `${L}_ws`, bias: `${L}_bias`, requant }, window, (p) => `out + (${p}) * ${OC}`);
    helpers.push(`#if !REPARO_DSP\n${loop.helpers}\n#endif`);
    return loop.body;
  }

  function emitLayer(op: Operator, i: number, L: string, helpers: string[], band?: BandStep): { params: string; args: string[]; code: string } {
    const o = op.outputs[0];
    const x = op.inputs[0];
    const unary = { params: 'const int8_t *in, int8_t *out', args: [ptr(x), ptr(o)] };
    const inQ = quantOf(x);
    const outQ = quantOf(o);
    const clampStore = (lhs: string, v: string, min: number, max: number) => `${lhs} = (int8_t)(${v} < ${min} ? ${min} : ${v} > ${max} ? ${max} : ${v});`;
    switch (op.op) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const depthwise = op.op === 'DEPTHWISE_CONV_2D';
        const g = band ? bandGeometry(convGeometry(op, i), band) : convGeometry(op, i);
        const { B, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL, GIC } = g;
        const [wIdx, bIdx] = [op.inputs[1], op.inputs[2] ?? -1];
        const GOC = depthwise ? 1 : OC / (IC / GIC);
        const wq = def(wIdx).quantization;
        if (!wq || !wq.scale.length) fail('E_QUANT_PARAMS', 'weights have no scale', op, original[i]);
        if (wq.scale.length !== 1 && (wq.scale.length !== OC || wq.quantizedDimension !== (depthwise ? 3 : 0))) fail('E_QUANT_PARAMS', 'weights scales do not match output channels', op, original[i]);
        const wScales = wq.scale.length === 1 ? new Array<number>(OC).fill(Math.fround(wq.scale[0])) : wq.scale.map((s) => Math.fround(s));
        const { multipliers, shifts } = channelMultipliers(inQ.scale, wScales, outQ.scale);
        const { min, max } = activationRange(op.activation, outQ);
        const w = constant(wIdx) as Int8Array;
        const bias = bIdx >= 0 ? (constant(bIdx) as Int32Array) : new Int32Array(OC);
        if (bias.length !== OC) fail('E_SHAPE', `bias has ${bias.length} values for ${OC} channels`, op, original[i]);
        const inOff = -inQ.zeroPoint;
        const taps = KH * KW;
        const weightOf = (c: number, k: number) => (depthwise ? w[k * OC + c] : w[c * taps * GIC + k]);
        const K = depthwise ? taps : taps * GIC;
        const { folded, bounds, fast } = accumulators(bias, K, (c, k) => weightOf(c, k)!, inOff, multipliers, shifts, outQ.zeroPoint);
        const dsp = dspConvKind(g);
        // the pixel-pair gemm requantizes in assembly: reparo_requant2's form, the full int8 range, channel pairs
        const pairGemm = dsp.kind === 'gemm' && !!fast && min === -128 && max === 127 && OC % 2 === 0;
        // the dw3 assembly row function: the same form of requantization, a plane it can address, and rows long
        // enough to repay its call (measured on person_detect: 6 pairs a row lose, 12 win)
        const dw3Row = dsp.kind === 'dw3' && !!fast && min === -128 && max === 127 && Math.floor(OW / 2) >= 8 && dw3RowFits(dsp.PW, SH, OC);
        // where the assembly computes every output, only the portable build reads the C bias and constants
        const asmOnly = pairGemm || (dw3Row && OW % 2 === 0);
        const requant = requantizer(L, multipliers, shifts, fast, outQ.zeroPoint, min, max, asmOnly ? 'portable' : 'both');
        let border = false;
        for (let oy = 0; oy < OH; oy++) for (const ox of [0, OW - 1]) {
          const [iy, ix] = [oy * SH - PT, ox * SW - PL];
          if (iy < 0 || iy + (KH - 1) * DH >= IH || ix < 0 || ix + (KW - 1) * DW >= IW) border = true;
        }
        for (const oy of [0, OH - 1]) for (let ox = 0; ox < OW; ox++) {
          const [iy, ix] = [oy * SH - PT, ox * SW - PL];
          if (iy < 0 || iy + (KH - 1) * DH >= IH || ix < 0 || ix + (KW - 1) * DW >= IW) border = true;
        }
        const names = { L, scratch: dsp.scratch ? scratchPtr(i) : '', bias: `${L}_bias`, weights: `${L}_wd`, inZeroPoint: inQ.zeroPoint, requant };
        let dspCode = '';
        // DSP loops with a doubled accumulator read the doubled bias
        let doubled = false;
        if (dsp.kind === 'gemm') {
          const rows = gemmWeights(w, g, dsp.K, dsp.K4);
          const n4 = dsp.K4 / 4;
          // doubled inputs cost one instruction per 2 inputs of a pixel and save one per output; int16 weights double for free
          const doubledInputs = !!fast && OC > K / 2 && !(pairGemm && wide.has(i));
          // packed8 where channel v's accumulator (doubled with the inputs) times 256 fits an int32
          const packedFits = Array.from({ length: OC >> 1 }, (_, p) => bounds[2 * p + 1]! * (doubledInputs ? 2 : 1) < PACKED_HIGH_BOUND).every(Boolean);
          const packed = !wide.has(i) && packedFits ? gemmWeightsPacked(rows, g.OC, dsp.K4) : undefined;
          const weights: MacWeights = wide.has(i) ? 'int16' : packed ? 'packed8' : 'int8';
          const doubledWeights = pairGemm && weights === 'int16';
          const wd = packed ?? (weights === 'int16' ? gemmWeights16(rows, g.OC, dsp.K4, doubledWeights ? 2 : 1) : gemmWeights8(rows, g.OC, dsp.K4));
          if (pairGemm) {
            const double = !doubledInputs && !doubledWeights;
            const f = double ? 1 : 2;
            const words = new Int32Array(wd.buffer, wd.byteOffset, wd.byteLength / 4);
            constArray(`${L}_gs`, 'int32_t', gemmPairStream(words, words.length / (OC / 2), folded.map((b) => b * f), fast.rq, !!packed), 'dsp');
            decls.push(`#if REPARO_DSP\nstatic const reparo_gemm_t ${L}_gp = { ${L}_gs, ${OC / 2} };\n#endif`);
            dspCode = gemmLoop(g, dsp, names, { call: `${gemmPairName(n4, weights, double, fast)}(rows, &${L}_gp, oa, ob);`, pairs: true, doubledInputs });
            asmFunctions.set(gemmPairName(n4, weights, double, fast), gemmPairFunction(n4, weights, double, fast));
          } else {
            constArray(`${L}_wd`, weights === 'int8' ? 'int8_t' : 'int32_t', wd, 'dsp');
            doubled = doubledInputs;
            if (doubled) Object.assign(names, { bias: `${L}_bias2`, requant: requant.doubled });
            dspCode = gemmLoop(g, dsp, names, { call: `${macBlockName(n4, weights)}(rows, ${L}_wd + ${{ int16: `(oc / 2) * ${dsp.K4}`, int8: `oc * ${dsp.K4}`, packed8: `(oc / 2) * ${dsp.K4 / 2}` }[weights]}, ${names.bias} + oc, acc);`, pairs: false, doubledInputs });
            asmFunctions.set(macBlockName(n4, weights), macBlockFunction(n4, weights));
          }
        } else if (dsp.kind === 'dw3') {
          doubled = !!requant.doubled;
          const dw = dw3Weights(w, g, doubled ? 2 : 1);
          if (doubled) Object.assign(names, { bias: `${L}_bias2`, requant: requant.doubled });
          if (dw3Row && fast) {
            const pairs = Math.floor(OW / 2);
            constArray(`${L}_dt`, 'int32_t', dw3RowTable(dw, folded.map((b) => 2 * b), fast.rq), 'dsp');
            helpers.push(`#if REPARO_DSP\n${dw3RowFunction(`${L}_row`, pairs, dsp.PW, SH, OC, fast)}\n#endif`);
            dspCode = dw3Loop(g, dsp, names, { fn: `${L}_row`, table: `${L}_dt`, pairs });
          } else {
            constArray(`${L}_wd`, 'int32_t', dw, 'dsp');
            dspCode = dw3Loop(g, dsp, names);
          }
        } else if (dsp.kind === 'dw4') {
          // doubled weights and bias save the doubling of every accumulator before its high multiply
          doubled = !!requant.doubled;
          constArray(`${L}_wd`, 'int32_t', dw4Weights(w, g, doubled ? 2 : 1), 'dsp');
          if (doubled) Object.assign(names, { bias: `${L}_bias2`, requant: requant.doubled });
          const loop = dw4Loop(g, names);
          helpers.push(loop.helpers);
          dspCode = loop.body;
        }
        const when = dspCode ? 'portable' : 'both';
        // without DSP (native/conv-scalar.ts): a conv (or a depthwise conv of one input channel) as the product of
        // windows and weight rows, where the scratch holds 4 gathered windows; any other depthwise conv channel by channel
        const scalarGemm = (!depthwise && GIC === IC) || (depthwise && IC === 1 && dsp.scratch >= 4 * K);
        const scalar = scalarGemm
          ? scalarConv(g, K, Math.ceil(K / 4) * 4, L, w, inQ.zeroPoint, requant, helpers, dsp.scratch ? scratchPtr(i) : '')
          : depthwise
            ? scalarDepthwiseLoop(g, { L, weights: `${L}_w`, bias: `${L}_bias`, requant, zeroPoint: inQ.zeroPoint })
            : '';
        // each build keeps one copy of the weights: the DSP loop's layout, or the portable one
        if (!scalarGemm) constArray(`${L}_w`, 'int8_t', w, dspCode ? 'portable' : 'both');
        // the gemm's mac blocks read the bias of a channel pair (DSP) or of a scalar block: zeros after the last
        const biasRow = dsp.kind === 'gemm' || scalarGemm ? scalarGemmBias(folded) : folded;
        constArray(`${L}_bias`, 'int32_t', biasRow, doubled || asmOnly ? 'portable' : 'both');
        if (doubled && !asmOnly) constArray(`${L}_bias2`, 'int32_t', biasRow.map((b) => b * 2), 'dsp');
        if (border && !scalar) constArray(`${L}_braw`, 'int32_t', bias, when);
        const wrap = (code: string) => ({ ...unary, code: dspCode ? `#if REPARO_DSP\n${dspCode}\n#else\n${code}\n#endif` : code });
        if (scalar) return wrap(scalar);
        // a grouped conv (no scalar loop takes groups): the direct loop, taps outside the image skipped and the raw bias
        const off = border ? ' + off' : '';
        const tapCheckY = border ? `if ((unsigned)iy >= ${IH}u) continue;` : '';
        const tapCheckX = border ? `if ((unsigned)ix >= ${IW}u) continue;` : '';
        return wrap(`  for (int n = 0; n < ${B}; ++n) {
    const int8_t *img = in + n * ${IH * IW * IC};
    for (int oy = 0; oy < ${OH}; ++oy) {
      const int iy0 = oy * ${SH} - ${PT};
      for (int ox = 0; ox < ${OW}; ++ox) {
        const int ix0 = ox * ${SW} - ${PL};
        int8_t *o = out + ((n * ${OH} + oy) * ${OW} + ox) * ${OC};
${
  border
    ? `        const int full = iy0 >= 0 && iy0 + ${(KH - 1) * DH} < ${IH} && ix0 >= 0 && ix0 + ${(KW - 1) * DW} < ${IW};
        const int32_t off = full ? 0 : ${inOff};`
    : ''
}
        for (int oc = 0; oc < ${OC}; ++oc) {
          const int8_t *wrow = ${L}_w + oc * ${taps * GIC}; const int8_t *xg = img + (oc / ${GOC}) * ${GIC};
          uint32_t acc = (uint32_t)${border ? `(full ? ${L}_bias[oc] : ${L}_braw[oc])` : `${L}_bias[oc]`};
          for (int ky = 0; ky < ${KH}; ++ky) {
            const int iy = iy0 + ky * ${DH};
            ${tapCheckY}
            for (int kx = 0; kx < ${KW}; ++kx) {
              const int ix = ix0 + kx * ${DW};
              ${tapCheckX}
              const int8_t *xp = xg + (iy * ${IW} + ix) * ${IC};
              { const int8_t *wp = wrow + (ky * ${KW} + kx) * ${GIC}; for (int k = 0; k < ${GIC}; ++k) acc += (uint32_t)(wp[k] * (xp[k]${off})); }
            }
          }
          ${requant('acc', 'oc', 'o[oc]')}
        }
      }
    }
  }`);
      }
      case 'FULLY_CONNECTED': {
        const [wIdx, bIdx] = [op.inputs[1], op.inputs[2] ?? -1];
        const ws = def(wIdx).shape;
        if (ws.length !== 2) fail('E_SHAPE', `weights [${ws}] must be [out, in]`, op, original[i]);
        const [OC, D] = ws;
        const rows = count(def(o).shape) / OC;
        if (def(o).shape[def(o).shape.length - 1] !== OC || count(def(x).shape) !== rows * D) fail('E_SHAPE', 'FULLY_CONNECTED shapes do not match', op, original[i]);
        const wq = def(wIdx).quantization;
        if (!wq || !wq.scale.length) fail('E_QUANT_PARAMS', 'weights have no scale', op, original[i]);
        const perChannel = wq.scale.length > 1;
        let mults: Int32Array;
        let shifts: Int32Array;
        let wOff = 0;
        if (perChannel) {
          if (wq.scale.length !== OC) fail('E_QUANT_PARAMS', 'weight scales do not match output channels', op, original[i]);
          ({ multipliers: mults, shifts } = channelMultipliers(inQ.scale, wq.scale.map((s) => Math.fround(s)), outQ.scale));
        } else {
          const wQ = quantOf(wIdx);
          if (bIdx >= 0) {
            const biasScale = Math.fround(def(bIdx).quantization?.scale[0] ?? 0);
            if (Math.abs(inQ.scale * wQ.scale - biasScale) / outQ.scale > 0.02) fail('E_QUANT_PARAMS', `bias scale ${biasScale} is not input scale × weight scale`, op, original[i]);
          }
          const m: QuantizedMultiplier = quantizeMultiplier(Math.fround(inQ.scale * wQ.scale) / outQ.scale);
          mults = new Int32Array(OC).fill(m.multiplier);
          shifts = new Int32Array(OC).fill(m.shift);
          wOff = -wQ.zeroPoint;
        }
        const w = constant(wIdx) as Int8Array;
        const wAdj = wOff ? Int16Array.from(w, (v) => v + wOff) : w;
        const bias = bIdx >= 0 ? (constant(bIdx) as Int32Array) : new Int32Array(OC);
        if (bias.length !== OC) fail('E_SHAPE', `bias has ${bias.length} values for ${OC} channels`, op, original[i]);
        const inOff = -inQ.zeroPoint;
        const { min, max } = activationRange(op.activation, outQ);
        const { folded, fast } = accumulators(bias, D, (c, k) => wAdj[c * D + k]!, inOff, mults, shifts, outQ.zeroPoint);
        const requant = requantizer(L, mults, shifts, fast, outQ.zeroPoint, min, max, 'both');
        // with an assembly block (the DSP build's own packed weights) this loop is the portable build's only
        const packed = fcBlock(op, i);
        // int8 weights without DSP: the scalar product of rows and blocks of channels (native/conv-scalar.ts)
        const scalar = !wOff;
        // the row-major weights: for the C dot loop only
        if (!(scalar && packed)) constArray(`${L}_w`, wOff ? 'int16_t' : 'int8_t', wAdj, scalar ? 'dsp' : packed ? 'portable' : 'both');
        const fcG4 = wOff || packed ? 0 : Math.floor(D / 4);
        constArray(`${L}_bias`, 'int32_t', scalar ? scalarGemmBias(folded) : folded);
        let other = '';
        if (scalar) {
          constArray(`${L}_ws`, 'int8_t', scalarGemmWeights(w, OC, D, scalarBlock(rows, OC).C), 'portable');
          const loop = scalarGemmLoop({ K: D, OC, windows: rows }, D, { L, weights: `${L}_ws`, bias: `${L}_bias`, requant }, (p) => `    const int8_t *xw = in + ${p} * ${D};`, (p) => `out + (${p}) * ${OC}`);
          helpers.push(`#if !REPARO_DSP\n${loop.helpers}\n#endif`);
          other = loop.body;
        }
        // the C dot loop: the DSP build's where no assembly block applies, every build's for int16 (offset) weights
        const dotLoop = `  for (int r = 0; r < ${rows}; ++r) {
    const int8_t *xr = in + r * ${D};
    for (int oc = 0; oc < ${OC}; ++oc) {
      const ${wOff ? 'int16_t' : 'int8_t'} *wr = ${L}_w + oc * ${D};
      uint32_t acc = (uint32_t)${L}_bias[oc];
${
  fcG4
    ? `      acc = reparo_dot_s8(xr, wr, ${fcG4}, acc);
      for (int k = ${4 * fcG4}; k < ${D}; ++k) acc += (uint32_t)(wr[k] * xr[k]);`
    : `      for (int k = 0; k < ${D}; ++k) acc += (uint32_t)(wr[k] * xr[k]);`
}
      ${requant('acc', 'oc', `out[r * ${OC} + oc]`)}
    }
  }`;
        if (!packed) return { ...unary, code: scalar ? `#if REPARO_DSP\n${dotLoop}\n#else\n${other}\n#endif` : dotLoop };
        // the DSP build: 4 channels per assembly call; the high channel of a pair is (A - B) / 256 plus its bias
        const { n4, words } = packed;
        constArray(`${L}_wf`, 'int32_t', words, 'dsp');
        asmFunctions.set(fcBlockName(n4), fcBlockFunction(n4));
        const full = Math.floor(D / 4), xs = scratchPtr(i);
        const dsp = `  int32_t *xs = (int32_t *)${xs};
  for (int r = 0; r < ${rows}; ++r) {
    const int8_t *xr = in + r * ${D};
    for (int g = 0; g < ${full}; ++g) {
      int32_t v;
      memcpy(&v, xr + 4 * g, 4);
      xs[2 * g] = __sxtb16(v);
      xs[2 * g + 1] = reparo_sxtb16_ror8(v);
    }
${D % 4 ? `    {
      int8_t t[4] = {0, 0, 0, 0};
      int32_t v;
      for (int k = 0; k < ${D % 4}; ++k) t[k] = xr[${4 * full} + k];
      memcpy(&v, t, 4);
      xs[${2 * full}] = __sxtb16(v);
      xs[${2 * full + 1}] = reparo_sxtb16_ror8(v);
    }
` : ''}    for (int oc = 0; oc < ${OC}; oc += 4) {
      int32_t ab[4];
      ${fcBlockName(n4)}(xs, ${L}_wf + oc * ${n4}, ${L}_bias + oc, ab);
      int8_t *o = out + r * ${OC} + oc;
      ${requant('ab[0]', 'oc', 'o[0]')}
      ${requant(`((uint32_t)${L}_bias[oc + 1] + (uint32_t)((int32_t)((uint32_t)ab[1] - (uint32_t)ab[0]) >> 8))`, 'oc + 1', 'o[1]')}
      ${requant('ab[2]', 'oc + 2', 'o[2]')}
      ${requant(`((uint32_t)${L}_bias[oc + 3] + (uint32_t)((int32_t)((uint32_t)ab[3] - (uint32_t)ab[2]) >> 8))`, 'oc + 3', 'o[3]')}
    }
  }`;
        const code = `#if REPARO_DSP\n${dsp}\n#else\n${other || dotLoop}\n#endif`;
        return { ...unary, code };
      }
      case 'ADD':
      case 'MUL': {
        const y = op.inputs[1];
        const yQ = quantOf(y);
        const { min, max } = activationRange(op.activation, outQ);
        const outShape = def(o).shape;
        const rank = outShape.length;
        if (rank > 4) fail('E_UNSUPPORTED_OP', `rank ${rank} broadcast`, op, original[i]);
        const strides = (shape: number[]) => {
          if (shape.length > rank) fail('E_SHAPE', `input [${shape}] has higher rank than output [${outShape}]`, op, original[i]);
          const s = new Array<number>(4).fill(0);
          let acc = 1;
          for (let k = shape.length - 1; k >= 0; k--) {
            const d = shape[k];
            const od = outShape[k + rank - shape.length];
            if (d !== od && d !== 1) fail('E_SHAPE', `[${shape}] does not broadcast to [${outShape}]`, op, original[i]);
            s[4 - shape.length + k] = d === 1 ? 0 : acc;
            acc *= d;
          }
          return s;
        };
        const dims = [...new Array<number>(4 - rank).fill(1), ...outShape];
        const sa = strides(def(x).shape);
        const sb = strides(def(y).shape);
        let element: string;
        if (op.op === 'ADD') {
          const twiceMax = 2 * Math.max(inQ.scale, yQ.scale);
          const below1 = (real: number, what: string) => {
            if (!(real > 0 && real < 1)) fail('E_QUANT_PARAMS', `${what} rescale ${real} is not in (0, 1)`, op, original[i]);
            return quantizeMultiplier(real);
          };
          const m1 = below1(inQ.scale / twiceMax, 'input 1');
          const m2 = below1(yQ.scale / twiceMax, 'input 2');
          const mo = below1(twiceMax / (2 ** 20 * outQ.scale), 'output');
          // each input's rescaled value is a function of its byte: two 256-entry tables, computed here as TFLM does
          const table = (m: QuantizedMultiplier, zp: number) => Int32Array.from({ length: 256 }, (_, k) => multiplyByQuantizedMultiplier((k - 128 - zp) * 2 ** 20, m.multiplier, m.shift));
          const [t1, t2] = [table(m1, inQ.zeroPoint), table(m2, yQ.zeroPoint)];
          constArray(`${L}_t1`, 'int32_t', t1);
          constArray(`${L}_t2`, 'int32_t', t2);
          const bound = Math.max(...t1.map(Math.abs)) + Math.max(...t2.map(Math.abs));
          element = `const int32_t s = (int32_t)((uint32_t)${L}_t1[a8 + 128] + (uint32_t)${L}_t2[b8 + 128]);
          const int32_t v = ${scalarRequant('s', bound, mo, outQ.zeroPoint)};`;
        } else {
          const m = quantizeMultiplier((inQ.scale * yQ.scale) / outQ.scale);
          const bound = Math.max(128 + inQ.zeroPoint, 127 - inQ.zeroPoint) * Math.max(128 + yQ.zeroPoint, 127 - yQ.zeroPoint);
          element = `const int32_t p = (a8 + ${-inQ.zeroPoint}) * (b8 + ${-yQ.zeroPoint});
          const int32_t v = ${scalarRequant('p', bound, m, outQ.zeroPoint)};`;
        }
        // same shapes: one flat loop (of a band's rows in a residual block)
        const n = band ? (band.b - band.a) * rowBytesOf(o) : count(outShape);
        const flat = !!band || (count(def(x).shape) === n && count(def(y).shape) === n);
        const code = flat
          ? `  for (int k = 0; k < ${n}; ++k) {
    const int32_t a8 = in1[k];
    const int32_t b8 = in2[k];
    ${element}
    ${clampStore('out[k]', 'v', min, max)}
  }`
          : `  int8_t *o = out;
  for (int d0 = 0; d0 < ${dims[0]}; ++d0)
    for (int d1 = 0; d1 < ${dims[1]}; ++d1)
      for (int d2 = 0; d2 < ${dims[2]}; ++d2)
        for (int d3 = 0; d3 < ${dims[3]}; ++d3) {
          const int32_t a8 = in1[d0 * ${sa[0]} + d1 * ${sa[1]} + d2 * ${sa[2]} + d3 * ${sa[3]}];
          const int32_t b8 = in2[d0 * ${sb[0]} + d1 * ${sb[1]} + d2 * ${sb[2]} + d3 * ${sb[3]}];
          ${element}
          ${clampStore('*o++', 'v', min, max)}
        }`;
        return { params: 'const int8_t *in1, const int8_t *in2, int8_t *out', args: [ptr(x), ptr(y), ptr(o)], code };
      }
      case 'MEAN': {
        const shape = def(x).shape;
        const axes = [...new Set(ints(op.inputs[1]).map((a) => (a < 0 ? a + shape.length : a)))].sort((a, b) => a - b);
        if (shape.length !== 4 || axes.join() !== '1,2') fail('E_UNSUPPORTED_OP', `MEAN over axes [${axes}] of rank ${shape.length} (only H,W of NHWC)`, op, original[i]);
        const [B, H, W, C] = shape;
        if (count(def(o).shape) !== B * C) fail('E_SHAPE', `output [${def(o).shape}] does not fit`, op, original[i]);
        const n = H * W;
        const base = quantizeMultiplier(inQ.scale / outQ.scale);
        const s = Math.min(31 - Math.clz32(n), 32, 31 + base.shift);
        const multiplier = Number((BigInt(base.multiplier) << BigInt(s)) / BigInt(n));
        const shift = base.shift - s;
        if (shift < -31) fail('E_UNSUPPORTED_OP', `MEAN rescale shift ${shift} is out of range`, op, original[i]);
        const code = `  for (int b = 0; b < ${B}; ++b)
    for (int c = 0; c < ${C}; ++c) {
      uint32_t sum = 0;
      const int8_t *p = in + b * ${n * C} + c;
      for (int k = 0; k < ${n}; ++k) sum += (uint32_t)(int32_t)p[k * ${C}];
      {
        const int32_t v = reparo_mbqm((int32_t)(sum - (uint32_t)${cInt((inQ.zeroPoint * n) | 0)}), ${multiplier}, ${shift}) + ${outQ.zeroPoint};
        ${clampStore(`out[b * ${C} + c]`, 'v', -128, 127)}
      }
    }`;
        return { ...unary, code };
      }
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D': {
        const [B, IH, IW, C] = def(x).shape;
        const [, OH, OW] = def(o).shape;
        if (def(x).shape.length !== 4 || def(o).shape[3] !== C) fail('E_SHAPE', 'pool shapes', op, original[i]);
        if (windowOutputSize(op.padding, IH, op.filterH, op.strideH, 1) !== OH || windowOutputSize(op.padding, IW, op.filterW, op.strideW, 1) !== OW) fail('E_SHAPE', 'pool geometry', op, original[i]);
        if (Math.abs(Math.fround(inQ.scale - outQ.scale)) > 1e-6 || inQ.zeroPoint !== outQ.zeroPoint) fail('E_QUANT_PARAMS', 'pooling input and output quantization differ', op, original[i]);
        const PT = windowPaddingBefore(IH, op.filterH, op.strideH, 1, OH);
        const PL = windowPaddingBefore(IW, op.filterW, op.strideW, 1, OW);
        const { min, max } = activationRange(op.activation, outQ);
        const avg = op.op === 'AVERAGE_POOL_2D';
        const code = `  for (int n = 0; n < ${B}; ++n)
    for (int oy = 0; oy < ${OH}; ++oy) {
      const int iy = oy * ${op.strideH} - ${PT};
      const int y0 = iy < 0 ? -iy : 0;
      const int y1 = ${IH} - iy < ${op.filterH} ? ${IH} - iy : ${op.filterH};
      for (int ox = 0; ox < ${OW}; ++ox) {
        const int ix = ox * ${op.strideW} - ${PL};
        const int x0 = ix < 0 ? -ix : 0;
        const int x1 = ${IW} - ix < ${op.filterW} ? ${IW} - ix : ${op.filterW};
        int8_t *o = out + ((n * ${OH} + oy) * ${OW} + ox) * ${C};
        ${avg ? 'const int32_t cnt = (y1 - y0) * (x1 - x0);' : ''}
        for (int c = 0; c < ${C}; ++c) {
          int32_t r = ${avg ? 0 : -128};
          for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
              const int32_t v = in[((n * ${IH} + iy + y) * ${IW} + ix + x) * ${C} + c];
              ${avg ? 'r += v;' : 'if (v > r) r = v;'}
            }
          ${avg ? 'r = r > 0 ? (r + cnt / 2) / cnt : (r - cnt / 2) / cnt;' : ''}
          ${clampStore('o[c]', 'r', min, max)}
        }
      }
    }`;
        return { ...unary, code };
      }
      case 'PAD': {
        const shape = def(x).shape;
        const outShape = def(o).shape;
        const paddings = ints(op.inputs[1]);
        const rank = shape.length;
        if (rank < 1 || rank > 4 || paddings.length !== 2 * rank || outShape.length !== rank) fail('E_SHAPE', `paddings [${paddings}] do not fit [${shape}]`, op, original[i]);
        for (let k = 0; k < rank; k++) if (paddings[2 * k] < 0 || paddings[2 * k + 1] < 0 || outShape[k] !== shape[k] + paddings[2 * k] + paddings[2 * k + 1]) fail('E_SHAPE', `paddings [${paddings}] take [${shape}] to [${outShape}]`, op, original[i]);
        let value = outQ.zeroPoint;
        const vIdx = op.inputs[2] ?? -1;
        if (vIdx >= 0) {
          const vq = quantOf(vIdx);
          if (!def(vIdx).data || count(def(vIdx).shape) !== 1 || vq.zeroPoint !== outQ.zeroPoint || vq.scale !== outQ.scale) fail('E_UNSUPPORTED_OP', 'PAD constant_values must be one constant int8 quantized like the output', op, original[i]);
          value = (constant(vIdx) as Int8Array)[0];
        }
        const s4 = [...new Array<number>(4 - rank).fill(1), ...shape];
        const o4 = [...new Array<number>(4 - rank).fill(1), ...outShape];
        const p4 = [...new Array<number>(2 * (4 - rank)).fill(0), ...paddings];
        const code = `  for (int k = 0; k < ${count(outShape)}; ++k) out[k] = ${value};
  for (int d0 = 0; d0 < ${s4[0]}; ++d0)
    for (int d1 = 0; d1 < ${s4[1]}; ++d1)
      for (int d2 = 0; d2 < ${s4[2]}; ++d2)
        memcpy(out + (((d0 + ${p4[0]}) * ${o4[1]} + d1 + ${p4[2]}) * ${o4[2]} + d2 + ${p4[4]}) * ${o4[3]} + ${p4[6]}, in + ((d0 * ${s4[1]} + d1) * ${s4[2]} + d2) * ${s4[3]}, ${s4[3]});`;
        return { ...unary, code };
      }
      case 'LOGISTIC':
      case 'HARD_SWISH':
      case 'GELU': {
        // the interpreter's own table: the output depends on the int8 input alone
        const ctx = fakeContext(op, i);
        const { table } = op.op === 'GELU' ? prepareGelu(op, ctx)
          : op.op === 'HARD_SWISH' ? prepareHardSwish(op as OpOf<'HARD_SWISH'>, ctx) : prepareLogistic(op as OpOf<'LOGISTIC'>, ctx);
        constArray(`${L}_table`, 'int8_t', table);
        return { ...unary, code: `  for (int k = 0; k < ${count(def(o).shape)}; ++k) out[k] = ${L}_table[in[k] + 128];` };
      }
      case 'CONCATENATION': {
        const { outer, chunks } = prepareConcatenation(op, fakeContext(op, i));
        const params = [...op.inputs.map((_, k) => `const int8_t *in${k}`), 'int8_t *out'].join(', ');
        const copies = chunks.map((n, k) => `    memcpy(out, in${k} + k * ${n}, ${n}); out += ${n};`).join('\n');
        return { params, args: [...op.inputs.map(ptr), ptr(o)], code: `  for (int k = 0; k < ${outer}; ++k) {\n${copies}\n  }` };
      }
      case 'RESIZE_BILINEAR':
      case 'RESIZE_NEAREST_NEIGHBOR': {
        const d = prepareResize(op, fakeContext(op, i));
        const { batches: B, inH, inW, channels: C, outH, outW } = d;
        // per output row/column: lower, upper source index and the upper weight in 1/1024
        constArray(`${L}_rows`, 'int16_t', d.rows);
        constArray(`${L}_cols`, 'int16_t', d.cols);
        const pixel = d.bilinear
          ? `const int32_t y1 = ${L}_rows[3 * y + 1], dy = ${L}_rows[3 * y + 2], x1 = ${L}_cols[3 * x + 1], dx = ${L}_cols[3 * x + 2];
        const int8_t *p00 = src + (y0 * ${inW} + x0) * ${C}, *p10 = src + (y1 * ${inW} + x0) * ${C};
        const int8_t *p01 = src + (y0 * ${inW} + x1) * ${C}, *p11 = src + (y1 * ${inW} + x1) * ${C};
        const int32_t w00 = (1024 - dy) * (1024 - dx), w10 = dy * (1024 - dx), w01 = (1024 - dy) * dx, w11 = dy * dx;
        for (int c = 0; c < ${C}; ++c) {
          /* |sum| < 2^28: int32 suffices where TFLite uses int64 */
          const int32_t s = p00[c] * w00 + p10[c] * w10 + p01[c] * w01 + p11[c] * w11;
          *out++ = (int8_t)((s + (s > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
        }`
          : `memcpy(out, src + (y0 * ${inW} + x0) * ${C}, ${C}); out += ${C};`;
        const code = `  for (int b = 0; b < ${B}; ++b) {
    const int8_t *src = in + b * ${inH * inW * C};
    for (int y = 0; y < ${outH}; ++y) {
      const int32_t y0 = ${L}_rows[3 * y];
      for (int x = 0; x < ${outW}; ++x) {
        const int32_t x0 = ${L}_cols[3 * x];
        ${pixel}
      }
    }
  }`;
        return { ...unary, code };
      }
      case 'SOFTMAX': {
        const { depth, expOfMinusDiff } = prepareSoftmax(op as Operator & { op: 'SOFTMAX' }, fakeContext(op, i));
        // above 256 classes the reciprocal exponent may pass 31, where C shifts are undefined
        if (depth > 256) fail('E_UNSUPPORTED_OP', `SOFTMAX over ${depth} > 256 classes`, op, original[i]);
        constArray(`${L}_exp`, 'int32_t', expOfMinusDiff);
        const code = `  for (int row = 0; row < ${count(def(o).shape)}; row += ${depth}) {
    const int8_t *x = in + row;
    int8_t *y = out + row;
    int32_t mx = -128;
    uint32_t sum = 0;
    for (int c = 0; c < ${depth}; ++c) if (x[c] > mx) mx = x[c];
    for (int c = 0; c < ${depth}; ++c) {
      const int32_t e = ${L}_exp[mx - x[c]];
      if (e >= 0) sum += (uint32_t)reparo_rdbypot(e, 12);
    }
    {
      const int h = reparo_clz32((uint32_t)sum);
      const int32_t scale = reparo_one_over_one_plus_x((int32_t)(((uint32_t)sum << h) - 0x80000000u));
      const int exponent = 12 - h + 23;
      for (int c = 0; c < ${depth}; ++c) {
        const int32_t e = ${L}_exp[mx - x[c]];
        int32_t v;
        if (e < 0) { y[c] = -128; continue; }
        v = reparo_rdbypot(reparo_srdhm(scale, e), exponent) - 128;
        ${clampStore('y[c]', 'v', -128, 127)}
      }
    }
  }`;
        return { ...unary, code };
      }
      default:
        fail('E_UNSUPPORTED_OP', `the native C runtime has no kernel for ${op.op}`, op, original[i]);
    }
  }

  function fakeContext(op: Operator, opIndex: number): KernelContext {
    return {
      opIndex,
      op,
      def,
      data: ((index: number) => allocateTensor(def(index), index)) as KernelContext['data'],
      constInts: (index: number) => ints(index),
      arena: undefined as never,
      fail: (message: string, code = 'E_GRAPH') => {
        throw new ReparoError(code, message, { op: op.op, node: `#${opIndex}` });
      },
    };
  }

  // ---- files
  const iq = quantOf(inT);
  const oq = quantOf(outT);
  const header = `/* Generated by reparo: native int8 runtime (no interpreter, no malloc). */
#ifndef REPARO_MODEL_H
#define REPARO_MODEL_H

#include <stdint.h>

#define REPARO_INPUT_SIZE ${count(def(inT).shape)}
#define REPARO_INPUT_RANK ${def(inT).shape.length}
#define REPARO_INPUT_SHAPE { ${def(inT).shape.join(', ')} }
#define REPARO_INPUT_SCALE ${cFloat(iq.scale)}
#define REPARO_INPUT_ZERO_POINT ${iq.zeroPoint}
#define REPARO_OUTPUT_SIZE ${count(def(outT).shape)}
#define REPARO_OUTPUT_RANK ${def(outT).shape.length}
#define REPARO_OUTPUT_SHAPE { ${def(outT).shape.join(', ')} }
#define REPARO_OUTPUT_SCALE ${cFloat(oq.scale)}
#define REPARO_OUTPUT_ZERO_POINT ${oq.zeroPoint}
#define REPARO_ARENA_SIZE ${arenaSize}
#define REPARO_LAYER_COUNT ${source.operators.length}

#ifdef __cplusplus
extern "C" {
#endif

/* Run the model: REPARO_INPUT_SIZE int8 values in, REPARO_OUTPUT_SIZE out. Not reentrant (one static arena). Returns 0. */
int reparo_invoke(const int8_t *input, int8_t *output);

/* The same run with count() read around each operator: counts[i] = count after op i - count before it
   (REPARO_LAYER_COUNT entries). For the HIL profile; reparo_invoke itself carries no probes. */
int reparo_invoke_profiled(const int8_t *input, int8_t *output, uint64_t (*count)(void), uint64_t *counts);
/* the TFLite op name of each operator, e.g. "CONV_2D" */
extern const char *const reparo_layer_ops[REPARO_LAYER_COUNT];

#ifdef __cplusplus
}
#endif

#endif
`;
  const modelC = `/* Generated by reparo from a ${source.operators.length}-op int8 model. Arena: ${arenaSize} bytes (activations without reuse: ${activationBytes}). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__ARM_ARCH)
/* measured on person_detect (Cortex-M4, QEMU instruction counts): -O3 about 3% fewer instructions than -O2, -Os 40% more */
#pragma GCC optimize("O3")
#endif
#include <stdint.h>
#include <string.h>
#include "model.h"
#include "reparo_kernels.h"

${arenaSize > 0 ? `/* words, so that the DSP loops may read their scratch as int32 (activations are bytes: char access is always allowed) */
static int32_t arena_words[${Math.ceil(arenaSize / 4)}] REPARO_ALIGN;
#define arena ((int8_t *)(void *)arena_words)` : '/* no intermediate activations: no arena */'}

${decls.join('\n\n')}
${asmFunctions.size ? `\n#if REPARO_DSP\n${[...asmFunctions.values()].join('\n\n')}\n#endif\n` : ''}
${funcs.join('\n\n')}

int reparo_invoke(const int8_t *input, int8_t *output) {
${calls.map((c) => c.code).join('\n')}
  return 0;
}

const char *const reparo_layer_ops[REPARO_LAYER_COUNT] = { ${source.operators.map((o) => JSON.stringify(o.op)).join(', ')} };

int reparo_invoke_profiled(const int8_t *input, int8_t *output, uint64_t (*count)(void), uint64_t *counts) {
  uint64_t t = count(), u;
  for (int i = 0; i < REPARO_LAYER_COUNT; ++i) counts[i] = 0;
${calls.map((c) => `${c.code}\n  u = count(); counts[${original[c.op]}] += u - t; t = u;`).join('\n')}
  return 0;
}
`;
  const bands = [
    ...segments.map((g) => ({ first: original[g.first]!, last: original[segmentEnd(g)]!, rows: g.plan.h, bands: g.plan.steps.length, extraMacs: g.plan.extraMacs, movedBytes: g.plan.movedBytes, ...(g.tail?.res.delay !== undefined && { inPlace: true }) })),
    ...[...inPlace].map(([i, p]) => ({ first: original[i]!, last: original[i]!, rows: p.h, bands: p.steps.length, extraMacs: 0, movedBytes: 0, inPlace: true })),
  ].sort((a, b) => a.first - b.first);
  // per op of the source model; a folded PAD runs inside its conv
  const ramByOp = source.operators.map((_, k) => plan.highWater(into.get(k) ?? original.indexOf(k)));
  return { files: { 'model.h': header, 'model.c': modelC, 'reparo_kernels.h': kernelsHeader(alignment) }, arenaSize, activationBytes, wideWeightBytes: wideBudget - wideLeft, bands, ramByOp };
}
