/**
 * GELU, int8: TFLite's 256-entry lookup table (gelu.cc's GeluPrepare → LUTPopulate): each int8 value
 * dequantized in float32, through GeluTransform (0.5·x·erfc(−x/√2)) or GeluTransformApproximate
 * (the tanh form) in float32, then round(y / s_out) + zp, clamped. Each float32 operation is
 * emulated with Math.fround; erfc and tanh are computed in float64 and rounded once, as a correctly
 * rounded libm would (a table entry could differ from another libm's only where y / s_out lands
 * within an ulp of a .5 boundary). TFLite Micro has no GELU kernel: the native runtime runs this.
 */
import { roundHalfAwayFromZero } from '../arithmetic.ts';
import { erfc } from '../../graph/ops.ts';
import type { Kernel, KernelContext, OpOf } from '../kernel.ts';
import { tensorQuant } from '../quant.ts';
import { evalLookup, prepareLookup, type LookupData } from './lookup.ts';

type GeluOp = OpOf<'GELU'>;

const f32 = Math.fround;
const MINUS_SQRT1_2 = f32(-Math.SQRT1_2);
const SQRT_2_OVER_PI = f32((2 / Math.sqrt(Math.PI)) * Math.SQRT1_2);
const C = f32(0.044715);

/** GeluTransform in float32. */
export function geluTransform(x: number): number {
  return f32(f32(0.5 * x) * f32(erfc(f32(x * MINUS_SQRT1_2))));
}

/** GeluTransformApproximate in float32. */
export function geluTransformApproximate(x: number): number {
  const cube = f32(f32(f32(C * x) * x) * x);
  const t = f32(Math.tanh(f32(SQRT_2_OVER_PI * f32(x + cube))));
  return f32(f32(0.5 * x) * f32(1 + t));
}

/** LUTPopulateInt8 for `transform`. */
export function geluTable(inScale: number, inZeroPoint: number, outScale: number, outZeroPoint: number, approximate: boolean): (v: number) => number {
  const transform = approximate ? geluTransformApproximate : geluTransform;
  const inverse = f32(1 / outScale);
  return (v) => {
    const y = transform(f32(inScale * (v - inZeroPoint)));
    const q = roundHalfAwayFromZero(f32(y * inverse)) + outZeroPoint;
    return q < -128 ? -128 : q > 127 ? 127 : q;
  };
}

export function prepareGelu(op: GeluOp, ctx: KernelContext): LookupData {
  const [inIdx, outIdx] = [op.inputs[0], op.outputs[0]];
  const inQ = tensorQuant(ctx, inIdx), outQ = tensorQuant(ctx, outIdx);
  return prepareLookup(ctx, inIdx, outIdx, geluTable(inQ.scale, inQ.zeroPoint, outQ.scale, outQ.zeroPoint, op.approximate));
}

export const gelu: Kernel<GeluOp, LookupData> = { prepare: prepareGelu, eval: evalLookup };
