/** Small N-d helpers shared by the shape rules and the float kernels. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** NumPy-style broadcast of several shapes. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes)
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === 1) continue;
      if (out[o] !== 1 && out[o] !== d) throw new RangeError(`shapes [${shapes.map((x) => x.join('x')).join('], [')}] do not broadcast`);
      out[o] = d;
    }
  return out;
}

/** Strides of `dims` seen through the broadcast to `outDims` (0 where a dimension is repeated). */
export function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const s = stridesOf(dims);
  return outDims.map((_, o) => {
    const i = o - (outDims.length - dims.length);
    return i < 0 || dims[i] === 1 ? 0 : s[i]!;
  });
}

/** Calls fn(flatOutIndex, offsets) for every element of outDims, with offsets into each strided input. */
export function forEachIndex(outDims: readonly number[], strides: readonly (readonly number[])[], fn: (o: number, offs: number[]) => void): void {
  const rank = outDims.length;
  const n = outDims.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(rank).fill(0);
  const offs = strides.map(() => 0);
  for (let o = 0; o < n; o++) {
    fn(o, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < strides.length; k++) offs[k]! += strides[k]![d]!;
      if (idx[d]! < outDims[d]!) break;
      for (let k = 0; k < strides.length; k++) offs[k]! -= strides[k]![d]! * outDims[d]!;
      idx[d] = 0;
    }
  }
}
