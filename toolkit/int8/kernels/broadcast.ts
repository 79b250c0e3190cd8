/** NumPy-style broadcasting of two inputs of an elementwise op (TFLite's BroadcastBinaryOpSimple). */
import type { KernelContext } from '../kernel.ts';
import { elementCount } from '../quant.ts';

export interface Broadcast {
  size: number;
  /** element index of each input for every output element; null when the shapes are equal */
  index1: Int32Array | null;
  index2: Int32Array | null;
}

export function broadcast(ctx: KernelContext, shape1: number[], shape2: number[], outShape: number[]): Broadcast {
  const size = elementCount(outShape);
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (same(shape1, outShape) && same(shape2, outShape)) return { size, index1: null, index2: null };
  const rank = Math.max(shape1.length, shape2.length);
  const dim = (s: number[], i: number) => s[i - (rank - s.length)] ?? 1;
  const expected = Array.from({ length: rank }, (_, i) => {
    const a = dim(shape1, i);
    const b = dim(shape2, i);
    if (a !== b && a !== 1 && b !== 1) ctx.fail(`shapes [${shape1}] and [${shape2}] do not broadcast`, 'E_SHAPE');
    return a === 1 ? b : a;
  });
  if (!same(expected, outShape)) ctx.fail(`output [${outShape}] is not the broadcast shape [${expected}]`, 'E_SHAPE');
  return { size, index1: indexMap(shape1, outShape), index2: indexMap(shape2, outShape) };
}

/** For each output element, the flat index of the (right-aligned, size-1-stretched) input element. */
function indexMap(shape: number[], outShape: number[]): Int32Array {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  for (let i = rank - 1, s = 1; i >= rank - shape.length; i--) {
    const d = shape[i - (rank - shape.length)];
    strides[i] = d === 1 ? 0 : s;
    s *= d;
  }
  const map = new Int32Array(elementCount(outShape));
  const pos = new Array<number>(rank).fill(0);
  for (let o = 0, at = 0; o < map.length; o++) {
    map[o] = at;
    for (let i = rank - 1; i >= 0; i--) {
      at += strides[i];
      if (++pos[i] < outShape[i]) break;
      at -= strides[i] * pos[i];
      pos[i] = 0;
    }
  }
  return map;
}
