/**
 * Elementwise int8 ops whose output depends on the int8 input alone (LOGISTIC, HARD_SWISH, GELU):
 * prepare tabulates all 256 results with the op's own arithmetic, eval looks them up. The native
 * runtime emits the same table, so host and device agree by construction.
 */
import type { KernelContext } from '../kernel.ts';
import { elementCount } from '../quant.ts';

export interface LookupData {
  input: Int8Array;
  output: Int8Array;
  /** output for input value v at [v + 128] */
  table: Int8Array;
}

/** The op's table from `f` (int8 in → int8 out), bound to its input and output tensors. */
export function prepareLookup(ctx: KernelContext, inIdx: number, outIdx: number, f: (v: number) => number): LookupData {
  if (elementCount(ctx.def(inIdx).shape) !== elementCount(ctx.def(outIdx).shape)) ctx.fail('input and output sizes differ', 'E_SHAPE');
  const table = new Int8Array(256);
  for (let v = -128; v < 128; v++) table[v + 128] = f(v);
  return { input: ctx.data(inIdx, 'int8'), output: ctx.data(outIdx, 'int8'), table };
}

export function evalLookup(d: LookupData): void {
  for (let i = 0; i < d.input.length; i++) d.output[i] = d.table[d.input[i] + 128];
}
