/**
 * An estimate of the tensor arena TFLite Micro needs for a model (what
 * MicroInterpreter::arena_used_bytes() reports after AllocateTensors, on a 32-bit MCU with the
 * reference kernels), so that the project can size its arena before anything is built.
 *
 * Two parts, as TFLM's MicroAllocator splits the arena:
 *   planned (head): the activation tensors and kernel scratch buffers, placed by a planner that
 *     mirrors GreedyMemoryPlanner, with TFLM's lifetimes (micro_allocation_info.cc: subgraph inputs
 *     live from scope 0, op i runs in scope i+1, subgraph outputs live to the last scope) and every
 *     size rounded up to 16 (MicroArenaBufferAlignment);
 *   persistent (tail): allocator objects, one TfLiteEvalTensor per tensor, one NodeAndRegistration
 *     plus builtin options and kernel op data per operator, the per-channel multiplier/shift arrays
 *     of conv and depthwise conv, and the TfLiteTensor structs of the model's inputs and outputs.
 *     These are struct sizes that change between TFLM versions, so they are modelled (32-bit
 *     pointers) rather than derived, and the estimate adds a margin on top of them.
 * It is an estimate: CMSIS-NN kernels request extra scratch (not modelled), and the margin covers
 * version drift of the persistent structs. The firmware reports the real number (HIL `arena=`).
 */
import type { TensorType, TfliteModel } from '../../tflite/model.ts';
import { createTflmGreedyPlanner } from './arena-planner.ts';

const ALIGN = 16;
const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const TYPE_BYTES: Record<TensorType, number> = { float32: 4, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, bool: 1 };

/** Persistent (tail) costs on a 32-bit target, in bytes; see the file comment. */
export const TFLM_PERSISTENT = {
  /** SingleArenaBufferAllocator, MicroAllocator, GreedyMemoryPlanner, builtin-data allocator, subgraph tables */
  fixed: 512,
  /** sizeof(TfLiteEvalTensor): data pointer, dims pointer, type */
  perTensor: 12,
  /** NodeAndRegistration + builtin options + kernel op data, each 16-aligned */
  perOperator: 112,
  /** conv / depthwise: int32 multiplier and int32 shift per output channel */
  perOutputChannel: 8,
  /** a TfLiteTensor (plus its quantization) for each model input and output */
  perIoTensor: 96,
};

/** Relative margin on the persistent part (struct drift between TFLM versions), and a floor. */
export const TFLM_PERSISTENT_MARGIN = { relative: 0.25, minimum: 256 };

export interface TflmArenaEstimate {
  /** activations + scratch as TFLM's planner places them */
  planned: number;
  /** modelled persistent allocations */
  persistent: number;
  /** the margin added for what the model does not capture */
  margin: number;
  /** planned + persistent + margin, rounded up to 16: the arena size to compile in */
  total: number;
  /** every planned buffer: tensor index (or scratch of op k), size and offset */
  buffers: { what: string; size: number; first: number; last: number; offset: number }[];
  /** per op, the highest planned byte in use while it runs (op k is allocation scope k + 1) */
  inUseByOp: number[];
}

function tensorBytes(model: TfliteModel, i: number): number {
  const t = model.tensors[i]!;
  return t.shape.reduce((a, b) => a * b, 1) * TYPE_BYTES[t.type];
}

/** Scratch buffers the reference kernels request in Prepare (kernels/*_common.cc), in request order. */
function scratchRequests(model: TfliteModel): { op: number; bytes: number }[] {
  const out: { op: number; bytes: number }[] = [];
  model.operators.forEach((o, k) => {
    if (o.op !== 'MEAN') return;
    const input = model.tensors[o.inputs[0]!]!, axis = model.tensors[o.inputs[1]!]!;
    const outElems = model.tensors[o.outputs[0]!]!.shape.reduce((a, b) => a * b, 1);
    const axisCount = axis.shape.reduce((a, b) => a * b, 1);
    // reduce_common.cc PrepareMeanOrSumHelper, int8: accumulator, input index iterator, resolved axes
    if (input.type === 'int8' || input.type === 'int16') out.push({ op: k, bytes: 4 * outElems });
    out.push({ op: k, bytes: 4 * input.shape.length }, { op: k, bytes: 4 * axisCount });
  });
  return out;
}

export function estimateTflmArena(model: TfliteModel): TflmArenaEstimate {
  const n = model.tensors.length;
  const first = new Array<number>(n).fill(-1), last = new Array<number>(n).fill(-1);
  const touch = (i: number, scope: number, create: boolean) => {
    if (i < 0) return;
    if (create && first[i] === -1) first[i] = scope;
    last[i] = scope;
  };
  for (const i of model.inputs) touch(i, 0, true);
  model.operators.forEach((o, k) => {
    for (const i of o.outputs) if (first[i] === -1) first[i] = k + 1;
    for (const i of o.inputs) touch(i, k + 1, false);
    for (const i of o.outputs) touch(i, k + 1, false);
  });
  for (const i of model.outputs) touch(i, model.operators.length, true);

  const planner = createTflmGreedyPlanner();
  const entries: { what: string; size: number; first: number; last: number; id: number }[] = [];
  model.tensors.forEach((t, i) => {
    const bytes = tensorBytes(model, i);
    // constants live in the flatbuffer; unused tensors (no lifetime) are never allocated
    if (t.data || bytes === 0 || first[i] === -1) return;
    const size = alignUp(bytes);
    entries.push({ what: `tensor ${i} ${t.name}`, size, first: first[i]!, last: last[i]!, id: planner.addBuffer(size, first[i]!, last[i]!) });
  });
  for (const s of scratchRequests(model)) {
    const size = alignUp(s.bytes);
    entries.push({ what: `scratch of op ${s.op}`, size, first: s.op + 1, last: s.op + 1, id: planner.addBuffer(size, s.op + 1, s.op + 1) });
  }
  const planned = alignUp(planner.arenaSize());

  const p = TFLM_PERSISTENT;
  let channels = 0;
  for (const o of model.operators)
    if (o.op === 'CONV_2D' || o.op === 'DEPTHWISE_CONV_2D') {
      const filter = model.tensors[o.inputs[1]!]!;
      channels += alignUp(4 * (o.op === 'CONV_2D' ? filter.shape[0]! : filter.shape[3]!)) / 4;
    }
  const persistent =
    p.fixed + alignUp(p.perTensor * n) + p.perOperator * model.operators.length + p.perOutputChannel * channels + p.perIoTensor * (model.inputs.length + model.outputs.length);
  const margin = Math.max(TFLM_PERSISTENT_MARGIN.minimum, Math.ceil(persistent * TFLM_PERSISTENT_MARGIN.relative));
  return {
    planned,
    persistent,
    margin,
    total: alignUp(planned + persistent + margin),
    buffers: entries.map((e) => ({ what: e.what, size: e.size, first: e.first, last: e.last, offset: planner.offsetOf(e.id) })),
    inUseByOp: model.operators.map((_, k) => planner.highWater(k + 1)),
  };
}
