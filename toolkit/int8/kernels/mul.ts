/**
 * MUL, int8 (reference_integer_ops::MulElementwise): (x1 − zp1)(x2 − zp2) · s1·s2/sOut. The int32
 * products are formed here and rescaled by the WebAssembly output stage (one "channel", no bias).
 */
import type { Arena, Region } from '../arena.ts';
import { quantizeMultiplier } from '../arithmetic.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { activationRange, tensorQuant } from '../quant.ts';
import { createOutputStage, requantize, type OutputStage } from '../requantize.ts';
import { broadcast, type Broadcast } from './broadcast.ts';

type MulOp = OpOf<'MUL'>;

export interface MulData extends Broadcast {
  input1: Int8Array;
  input2: Int8Array;
  output: Int8Array;
  offset1: number;
  offset2: number;
  stage: OutputStage;
  arena: Arena;
  products: Region;
  out: Region;
}

export function prepareMul(op: MulOp, ctx: KernelContext): MulData {
  const [i1, i2, o] = [op.inputs[0], op.inputs[1], op.outputs[0]];
  const q1 = tensorQuant(ctx, i1);
  const q2 = tensorQuant(ctx, i2);
  const qo = tensorQuant(ctx, o);
  const { multiplier, shift } = quantizeMultiplier((q1.scale * q2.scale) / qo.scale);
  const { min, max } = activationRange(op.activation, qo);
  const shape = broadcast(ctx, ctx.def(i1).shape, ctx.def(i2).shape, ctx.def(o).shape);
  const { arena } = ctx;
  return {
    ...shape,
    input1: ctx.data(i1, 'int8'),
    input2: ctx.data(i2, 'int8'),
    output: ctx.data(o, 'int8'),
    offset1: -q1.zeroPoint,
    offset2: -q2.zeroPoint,
    stage: createOutputStage(arena, Int32Array.of(0), Int32Array.of(multiplier), Int32Array.of(shift), qo.zeroPoint, min, max),
    arena,
    products: arena.shared('sums', 4 * shape.size),
    out: arena.shared('output', shape.size),
  };
}

export function evalMul(d: MulData): void {
  const { input1, input2, index1, index2, offset1, offset2, arena, size } = d;
  const products = arena.i32;
  const at = d.products.at / 4;
  for (let i = 0; i < size; i++) products[at + i] = (input1[index1 ? index1[i] : i] + offset1) * (input2[index2 ? index2[i] : i] + offset2);
  requantize(arena, d.stage, d.products.at, 4, 0, 1, size, d.out.at, 1);
  d.output.set(arena.i8.subarray(d.out.at, d.out.at + size));
}

export const mul: Kernel<MulOp, MulData> = { prepare: prepareMul, eval: evalMul };
