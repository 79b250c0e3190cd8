/**
 * PAD folded into the conv that reads it. Exported PyTorch nets pad explicitly before a VALID conv (a
 * stride-2 conv pads both sides, TFLite's SAME only below and right), which costs a whole padded copy of
 * the tensor, and the PAD breaks the chains the memory planner runs in bands. The native runtime's convs
 * already fill taps outside the image with the input zero point, which is what an int8 PAD writes, so
 * the conv reads the unpadded tensor with the PAD's top and left rows as its padding. Pure: the model
 * without those PADs, each op's index in the original model, and the folded convs' padding.
 */
import { allocateTensor } from '../../int8/tensors.ts';
import type { Operator, TfliteModel } from '../../tflite/model.ts';

export interface ConvPadding {
  /** rows above and columns left of the unpadded input */
  top: number;
  left: number;
  /** the padded input's height and width (the conv's VALID geometry) */
  H: number;
  W: number;
}

export interface FoldedPads {
  model: TfliteModel;
  /** original[i]: op i's index in the model before folding */
  original: number[];
  /** the padding of each conv (new index) that reads its input through a folded PAD */
  padding: Map<number, ConvPadding>;
  /** each folded PAD (original index): the conv it went into (new index) */
  into: Map<number, number>;
}

const sameQuant = (m: TfliteModel, a: number, b: number) => {
  const [qa, qb] = [m.tensors[a]?.quantization, m.tensors[b]?.quantization];
  return !!qa && !!qb && qa.scale.length === 1 && qb.scale.length === 1 && Math.fround(qa.scale[0]!) === Math.fround(qb.scale[0]!) && qa.zeroPoint[0] === qb.zeroPoint[0];
};

export function foldPads(model: TfliteModel): FoldedPads {
  const ops = model.operators;
  const readers = (t: number) => ops.filter((op) => op.inputs.includes(t));
  const fold = new Map<number, ConvPadding & { x: number; pad: number }>(); // by the conv's original index
  ops.forEach((pad, at) => {
    if (pad.op !== 'PAD' || pad.inputs.length !== 2) return;
    const [x, p] = pad.inputs as [number, number];
    const t = pad.outputs[0]!;
    const [xd, pd, td] = [model.tensors[x], model.tensors[p], model.tensors[t]];
    if (!xd || !pd?.data || !td || xd.type !== 'int8' || xd.shape.length !== 4 || xd.shape[0] !== 1 || model.outputs.includes(t) || !sameQuant(model, x, t)) return;
    const pads = Array.from(allocateTensor(pd, p) as ArrayLike<number | bigint>, Number);
    if (pads.length !== 8 || pads[0] || pads[1] || pads[6] || pads[7]) return;
    const [top, bottom, left, right] = pads.slice(2, 6) as [number, number, number, number];
    const [conv, ...others] = readers(t);
    if (!conv || others.length || (conv.op !== 'CONV_2D' && conv.op !== 'DEPTHWISE_CONV_2D') || conv.padding !== 'VALID' || conv.inputs[0] !== t || conv.inputs.indexOf(t, 1) > 0) return;
    // the kernels pad at most a window's extent less one on each side
    const ws = model.tensors[conv.inputs[1]!]?.shape ?? [];
    const [eh, ew] = [(ws[1]! - 1) * conv.dilationH, (ws[2]! - 1) * conv.dilationW];
    if (![top, bottom].every((v) => v >= 0 && v <= eh) || ![left, right].every((v) => v >= 0 && v <= ew)) return;
    fold.set(ops.indexOf(conv), { top, left, H: td.shape[1]!, W: td.shape[2]!, x, pad: at });
  });
  if (!fold.size) return { model, original: ops.map((_, i) => i), padding: new Map(), into: new Map() };
  const folded = new Set([...fold.values()].map((f) => f.pad));
  const original: number[] = [];
  const operators: Operator[] = [];
  const padding = new Map<number, ConvPadding>();
  const into = new Map<number, number>();
  ops.forEach((op, i) => {
    if (folded.has(i)) return;
    const f = fold.get(i);
    if (f) {
      padding.set(operators.length, { top: f.top, left: f.left, H: f.H, W: f.W });
      into.set(f.pad, operators.length);
    }
    original.push(i);
    operators.push(f ? ({ ...op, inputs: [f.x, ...op.inputs.slice(1)] } as Operator) : op);
  });
  return { model: { ...model, operators }, original, padding, into };
}
