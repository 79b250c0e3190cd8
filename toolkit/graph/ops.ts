/**
 * Reference semantics of the ONNX ops reparo reads: a static shape rule and a float64 kernel per op,
 * parameters named after the ONNX attributes with ONNX's defaults. The kernels serve constant folding
 * and the measurement of linear regions; onnxruntime stays the independent oracle for whole graphs.
 */
import { ReparoError } from '../errors.ts';
import { attrInt, attrInts, attrFloat, attrString, type Node } from './graph.ts';
import type { DType } from './tensor.ts';
import { broadcastShapes, broadcastStrides, forEachIndex, normAxis, stridesOf } from './ndarray.ts';

/** A value inside the evaluator: every dtype carried as float64 (indices and shapes are small ints). */
export interface Val {
  dtype: DType;
  dims: number[];
  data: Float64Array;
}

/** What a shape rule sees of an input: its shape, and its value when it is a constant. */
export interface ShapeIn {
  dtype: DType;
  dims: number[];
  value?: Val;
}
export interface ShapeOut {
  dtype: DType;
  dims: number[];
}

interface OpDef {
  shape(node: Node, ins: ShapeIn[], opset: number): ShapeOut[];
  run(node: Node, ins: Val[], opset: number): Val[];
}

const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
const val = (dtype: DType, dims: number[], data?: Float64Array): Val => ({ dtype, dims, data: data ?? new Float64Array(size(dims)) });
const ints = (v: Val | undefined): number[] => (v ? Array.from(v.data) : []);

function needConst(node: Node, ins: ShapeIn[], i: number, what: string): number[] {
  const v = ins[i]?.value;
  if (!v)
    throw new ReparoError('E_DYNAMIC_SHAPE', `${what} (input ${i}) is computed at run time; reparo needs static shapes`, {
      node: node.name,
      op: node.op,
      hint: 'export the model with fixed input sizes (no dynamic_axes) and constant folding enabled',
    });
  return ints(v);
}

// ---------- elementwise ----------
function unary(f: (x: number) => number, outType?: DType): OpDef {
  return {
    shape: (_n, [a]) => [{ dtype: outType ?? a!.dtype, dims: [...a!.dims] }],
    run: (_n, [a]) => [val(outType ?? a!.dtype, [...a!.dims], a!.data.map(f))],
  };
}

function binary(f: (a: number, b: number) => number, outType?: DType): OpDef {
  return {
    shape: (_n, [a, b]) => [{ dtype: outType ?? a!.dtype, dims: broadcastShapes([a!.dims, b!.dims]) }],
    run: (_n, [a, b]) => {
      const dims = broadcastShapes([a!.dims, b!.dims]);
      const out = val(outType ?? a!.dtype, dims);
      const isInt = out.dtype === 'int64' || out.dtype === 'int32';
      forEachIndex(dims, [broadcastStrides(a!.dims, dims), broadcastStrides(b!.dims, dims)], (o, [ia, ib]) => {
        const r = f(a!.data[ia!]!, b!.data[ib!]!);
        out.data[o] = isInt ? Math.trunc(r) : r;
      });
      return [out];
    },
  };
}

const where: OpDef = {
  shape: (_n, [c, x, y]) => [{ dtype: x!.dtype, dims: broadcastShapes([c!.dims, x!.dims, y!.dims]) }],
  run: (_n, [c, x, y]) => {
    const dims = broadcastShapes([c!.dims, x!.dims, y!.dims]);
    const out = val(x!.dtype, dims);
    forEachIndex(dims, [c!, x!, y!].map((v) => broadcastStrides(v.dims, dims)), (o, [ic, ix, iy]) => {
      out.data[o] = c!.data[ic!] ? x!.data[ix!]! : y!.data[iy!]!;
    });
    return [out];
  },
};

const clip: OpDef = {
  shape: (_n, [a]) => [{ dtype: a!.dtype, dims: [...a!.dims] }],
  run: (n, [a, lo, hi], opset) => {
    const min = opset >= 11 ? (lo ? lo.data[0]! : -Infinity) : attrFloat(n, 'min', -Infinity);
    const max = opset >= 11 ? (hi ? hi.data[0]! : Infinity) : attrFloat(n, 'max', Infinity);
    return [val(a!.dtype, [...a!.dims], a!.data.map((x) => Math.min(max, Math.max(min, x))))];
  },
};

// ---------- convolution and pooling ----------
export interface Window2d {
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilations: [number, number];
}

function window2d(node: Node, inDims: readonly number[], kernel: [number, number], ceil = false): Window2d & { out: [number, number] } {
  if (inDims.length !== 4) throw new ReparoError('E_SHAPE', `only 2-D (NCHW) inputs are supported, got rank ${inDims.length}`, { node: node.name, op: node.op });
  const strides = attrInts(node, 'strides', [1, 1]) as [number, number];
  const dilations = attrInts(node, 'dilations', [1, 1]) as [number, number];
  let pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const [h, w] = [inDims[2]!, inDims[3]!];
  const ek = [0, 1].map((i) => (kernel[i]! - 1) * dilations[i]! + 1);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [h, w].map((x, i) => Math.max(0, (Math.ceil(x / strides[i]!) - 1) * strides[i]! + ek[i]! - x));
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t, i) => t - small[i]!);
    pads = autoPad === 'SAME_UPPER' ? [small[0]!, small[1]!, big[0]!, big[1]!] : [big[0]!, big[1]!, small[0]!, small[1]!];
  } else if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  const round = ceil ? Math.ceil : Math.floor;
  const out = [h, w].map((x, i) => round((x + pads[i]! + pads[i + 2]! - ek[i]!) / strides[i]!) + 1) as [number, number];
  if (out[0] < 1 || out[1] < 1) throw new ReparoError('E_SHAPE', `window larger than its input [${inDims}]`, { node: node.name, op: node.op });
  return { kernel, strides, dilations, pads: pads as Window2d['pads'], out };
}

export function convWindow(node: Node, inDims: readonly number[], wDims: readonly number[]) {
  const k = attrInts(node, 'kernel_shape', [wDims[2]!, wDims[3]!]) as [number, number];
  return window2d(node, inDims, k);
}

const conv: OpDef = {
  shape: (n, [x, w]) => {
    const win = convWindow(n, x!.dims, w!.dims);
    return [{ dtype: x!.dtype, dims: [x!.dims[0]!, w!.dims[0]!, ...win.out] }];
  },
  run: (n, [x, w, b]) => {
    const { kernel, strides, pads, dilations, out: [oh, ow] } = convWindow(n, x!.dims, w!.dims);
    const g = attrInt(n, 'group', 1);
    const [N, C, H, W] = x!.dims as [number, number, number, number];
    const O = w!.dims[0]!;
    const cg = C / g, og = O / g;
    if (w!.dims[1] !== cg) throw new ReparoError('E_SHAPE', `weight has ${w!.dims[1]} input channels per group, input gives ${cg}`, { node: n.name, op: n.op });
    const y = val(x!.dtype, [N, O, oh, ow]);
    const [kh, kw] = kernel;
    const [sy, sx] = strides, [dy, dx] = dilations;
    // output rows/cols whose input tap stays inside the image, per kernel offset (no bounds checks inside)
    const range = (k: number, s: number, d: number, p: number, n: number, out: number): [number, number] => {
      const lo = Math.max(0, Math.ceil((p - k * d) / s));
      const hi = Math.min(out, Math.floor((n - 1 + p - k * d) / s) + 1);
      return [lo, hi];
    };
    for (let nb = 0; nb < N; nb++)
      for (let o = 0; o < O; o++) {
        const gi = Math.floor(o / og);
        const yBase = (nb * O + o) * oh * ow;
        if (b) y.data.fill(b.data[o]!, yBase, yBase + oh * ow);
        for (let c = 0; c < cg; c++) {
          const xBase = (nb * C + gi * cg + c) * H * W;
          for (let ky = 0; ky < kh; ky++) {
            const [y0, y1] = range(ky, sy, dy, pads[0], H, oh);
            for (let kx = 0; kx < kw; kx++) {
              const wv = w!.data[((o * cg + c) * kh + ky) * kw + kx]!;
              if (wv === 0) continue; // embedded and depthwise-expanded kernels are mostly zeros
              const [x0, x1] = range(kx, sx, dx, pads[1], W, ow);
              for (let oy = y0; oy < y1; oy++) {
                const xRow = xBase + (oy * sy - pads[0] + ky * dy) * W - pads[1] + kx * dx;
                const yRow = yBase + oy * ow;
                for (let ox = x0; ox < x1; ox++) y.data[yRow + ox] += wv * x!.data[xRow + ox * sx]!;
              }
            }
          }
        }
      }
    return [y];
  },
};

function pool(kind: 'avg' | 'max'): OpDef {
  const geometry = (n: Node, dims: readonly number[]) =>
    window2d(n, dims, attrInts(n, 'kernel_shape', []) as [number, number], attrInt(n, 'ceil_mode', 0) === 1);
  return {
    shape: (n, [x]) => [{ dtype: x!.dtype, dims: [x!.dims[0]!, x!.dims[1]!, ...geometry(n, x!.dims).out] }],
    run: (n, [x]) => {
      const { kernel: [kh, kw], strides, pads, dilations, out: [oh, ow] } = geometry(n, x!.dims);
      const includePad = attrInt(n, 'count_include_pad', 0) === 1;
      const [N, C, H, W] = x!.dims as [number, number, number, number];
      const y = val(x!.dtype, [N, C, oh, ow]);
      for (let p = 0; p < N * C; p++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++) {
            let acc = kind === 'max' ? -Infinity : 0;
            let count = 0;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * strides[0] - pads[0] + ky * dilations[0];
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * strides[1] - pads[1] + kx * dilations[1];
                const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
                // count_include_pad counts the explicit pads, not the ceil_mode overhang
                if (inside || (includePad && iy < H + pads[2] && ix < W + pads[3])) count++;
                if (!inside) continue;
                const v = x!.data[p * H * W + iy * W + ix]!;
                acc = kind === 'max' ? Math.max(acc, v) : acc + v;
              }
            }
            y.data[(p * oh + oy) * ow + ox] = kind === 'max' ? acc : acc / count;
          }
      return [y];
    },
  };
}

const globalAveragePool: OpDef = {
  shape: (_n, [x]) => [{ dtype: x!.dtype, dims: [...x!.dims.slice(0, 2), ...x!.dims.slice(2).map(() => 1)] }],
  run: (_n, [x]) => {
    const [N, C] = x!.dims as [number, number];
    const hw = size(x!.dims.slice(2));
    const y = val(x!.dtype, [N, C, ...x!.dims.slice(2).map(() => 1)]);
    for (let p = 0; p < N * C; p++) {
      let s = 0;
      for (let i = 0; i < hw; i++) s += x!.data[p * hw + i]!;
      y.data[p] = s / hw;
    }
    return [y];
  },
};

const batchNorm: OpDef = {
  shape: (_n, [x]) => [{ dtype: x!.dtype, dims: [...x!.dims] }],
  run: (n, [x, scale, bias, mean, variance]) => {
    const eps = attrFloat(n, 'epsilon', 1e-5);
    const [N, C] = x!.dims as [number, number];
    const hw = size(x!.dims.slice(2));
    const y = val(x!.dtype, [...x!.dims]);
    for (let c = 0; c < C; c++) {
      const t = scale!.data[c]! / Math.sqrt(variance!.data[c]! + eps);
      const s = bias!.data[c]! - mean!.data[c]! * t;
      for (let nb = 0; nb < N; nb++) {
        const base = (nb * C + c) * hw;
        for (let i = 0; i < hw; i++) y.data[base + i] = x!.data[base + i]! * t + s;
      }
    }
    return [y];
  },
};

// ---------- reductions, matrices ----------
/** Run-time inputs seen as constant shape inputs, so that one argument parser serves shape and run. */
const asConst = (ins: Val[]): ShapeIn[] => ins.map((v) => ({ ...v, value: v }));

/** Reduction axes: an attribute before `inputSince` (13 for ReduceSum, 18 for the rest), then input 1. */
function reduceAxes(n: Node, ins: ShapeIn[], opset: number, rank: number, inputSince = 18): number[] | null {
  const axes = opset >= inputSince ? (ins[1] ? needConst(n, ins, 1, 'axes') : []) : attrInts(n, 'axes', []);
  if (axes.length === 0) return attrInt(n, 'noop_with_empty_axes', 0) ? null : [...Array(rank).keys()];
  return axes.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
}

/** A reduction: `step` folds each value into the accumulator (starting at `init`), `finish` sees the count. */
function reduce(init: number, step: (acc: number, x: number) => number, finish: (acc: number, count: number) => number = (a) => a, inputSince = 18): OpDef {
  const geometry = (n: Node, ins: ShapeIn[], opset: number) => {
    const x = ins[0]!;
    const axes = reduceAxes(n, ins, opset, x.dims.length, inputSince);
    const keep = attrInt(n, 'keepdims', 1) === 1;
    const kept = axes ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : [...x.dims];
    const dims = axes ? x.dims.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d])) : [...x.dims];
    return { axes, kept, dims };
  };
  return {
    shape: (n, ins, opset) => [{ dtype: ins[0]!.dtype, dims: geometry(n, ins, opset).dims }],
    run: (n, ins, opset) => {
      const x = ins[0]!;
      const { axes, kept, dims } = geometry(n, asConst(ins), opset);
      if (!axes) return [{ ...x, dims: [...x.dims] }];
      const y = val(x.dtype, kept, new Float64Array(size(kept)).fill(init));
      forEachIndex(x.dims, [broadcastStrides(kept, x.dims)], (i, [o]) => {
        y.data[o!] = step(y.data[o!]!, x.data[i]!);
      });
      const count = axes.reduce((a, i) => a * x.dims[i]!, 1);
      return [{ ...y, dims, data: y.data.map((v) => finish(v, count)) }];
    },
  };
}

const reduceMean = reduce(0, (a, x) => a + x, (a, count) => a / count);

const gemm: OpDef = {
  shape: (n, [a, b]) => {
    const m = attrInt(n, 'transA', 0) ? a!.dims[1]! : a!.dims[0]!;
    const k = attrInt(n, 'transB', 0) ? b!.dims[0]! : b!.dims[1]!;
    return [{ dtype: a!.dtype, dims: [m, k] }];
  },
  run: (n, [a, b, c]) => {
    const tA = attrInt(n, 'transA', 0), tB = attrInt(n, 'transB', 0);
    const alpha = attrFloat(n, 'alpha', 1), beta = attrFloat(n, 'beta', 1);
    const [M, K] = tA ? [a!.dims[1]!, a!.dims[0]!] : [a!.dims[0]!, a!.dims[1]!];
    const N = tB ? b!.dims[0]! : b!.dims[1]!;
    if ((tB ? b!.dims[1] : b!.dims[0]) !== K) throw new ReparoError('E_SHAPE', `Gemm inner dimensions differ`, { node: n.name, op: n.op });
    const y = val(a!.dtype, [M, N]);
    const cs = c ? broadcastStrides(c.dims, [M, N]) : [0, 0];
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a!.data[tA ? k * M + i : i * K + k]! * b!.data[tB ? j * K + k : k * N + j]!;
        y.data[i * N + j] = alpha * s + (c ? beta * c.data[i * cs[0]! + j * cs[1]!]! : 0);
      }
    return [y];
  },
};

/** numpy matmul: 1-D operands get a 1 prepended (a) or appended (b), leading dims broadcast. */
function matMulGeometry(n: Node, a: readonly number[], b: readonly number[]) {
  const A = a.length === 1 ? [1, a[0]!] : [...a], B = b.length === 1 ? [b[0]!, 1] : [...b];
  const [M, K] = A.slice(-2) as [number, number], [K2, N] = B.slice(-2) as [number, number];
  if (K !== K2) throw new ReparoError('E_SHAPE', `MatMul of [${a}] and [${b}]: inner dimensions differ`, { node: n.name, op: n.op });
  const batch = broadcastShapes([A.slice(0, -2), B.slice(0, -2)]);
  const dims = [...batch, ...(a.length === 1 ? [] : [M]), ...(b.length === 1 ? [] : [N])];
  return { A, B, M, K, N, batch, dims };
}
const matMul: OpDef = {
  shape: (n, [a, b]) => [{ dtype: a!.dtype, dims: matMulGeometry(n, a!.dims, b!.dims).dims }],
  run: (n, [a, b]) => {
    const { A, B, M, K, N, batch, dims } = matMulGeometry(n, a!.dims, b!.dims);
    const y = val(a!.dtype, dims);
    const sa = broadcastStrides(A.slice(0, -2), batch), sb = broadcastStrides(B.slice(0, -2), batch);
    forEachIndex(batch, [sa, sb], (o, [ia, ib]) => {
      const ao = ia! * M * K, bo = ib! * K * N, yo = o * M * N;
      for (let i = 0; i < M; i++)
        for (let k = 0; k < K; k++) {
          const av = a!.data[ao + i * K + k]!;
          if (av === 0) continue;
          for (let j = 0; j < N; j++) y.data[yo + i * N + j]! += av * b!.data[bo + k * N + j]!;
        }
    });
    return [y];
  },
};

// ---------- layout ----------
function reshapeDims(n: Node, inDims: number[], shape: number[]): number[] {
  const allowZero = attrInt(n, 'allowzero', 0) === 1;
  const dims = shape.map((d, i) => (d === 0 && !allowZero ? inDims[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = dims.map((d) => (d === -1 ? size(inDims) / known : d));
  if (size(out) !== size(inDims) || !out.every(Number.isInteger))
    throw new ReparoError('E_SHAPE', `cannot reshape [${inDims}] to [${shape}]`, { node: n.name, op: n.op });
  return out;
}

const reshape: OpDef = {
  shape: (n, ins) => [{ dtype: ins[0]!.dtype, dims: reshapeDims(n, ins[0]!.dims, needConst(n, ins, 1, 'the target shape')) }],
  run: (n, [x, s]) => [{ ...x!, dims: reshapeDims(n, x!.dims, ints(s)) }],
};

const flattenDims = (n: Node, d: number[]) => {
  const axis = normAxis(attrInt(n, 'axis', 1), d.length + 1);
  return [size(d.slice(0, axis)), size(d.slice(axis))];
};
const flatten: OpDef = {
  shape: (n, [x]) => [{ dtype: x!.dtype, dims: flattenDims(n, x!.dims) }],
  run: (n, [x]) => [{ ...x!, dims: flattenDims(n, x!.dims) }],
};

function axesOf(n: Node, ins: ShapeIn[], opset: number, sinceInput: number): number[] | undefined {
  if (opset >= sinceInput) return ins[1] ? needConst(n, ins, 1, 'axes') : undefined;
  return n.attrs.axes ? attrInts(n, 'axes', []) : undefined;
}

const squeezeDims = (n: Node, dims: number[], axes: number[] | undefined) => {
  const ax = (axes ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, dims.length));
  return dims.filter((_, i) => !ax.includes(i));
};
const unsqueezeDims = (dims: number[], axes: number[]) => {
  const rank = dims.length + axes.length;
  const ax = axes.map((a) => normAxis(a, rank));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : dims[k++]!);
  return out;
};
const squeeze: OpDef = {
  shape: (n, ins, opset) => [{ dtype: ins[0]!.dtype, dims: squeezeDims(n, ins[0]!.dims, axesOf(n, ins, opset, 13)) }],
  run: (n, ins, opset) => [{ ...ins[0]!, dims: squeezeDims(n, ins[0]!.dims, axesOf(n, asConst(ins), opset, 13)) }],
};
const unsqueeze: OpDef = {
  shape: (n, ins, opset) => [{ dtype: ins[0]!.dtype, dims: unsqueezeDims(ins[0]!.dims, axesOf(n, ins, opset, 13) ?? []) }],
  run: (n, ins, opset) => [{ ...ins[0]!, dims: unsqueezeDims(ins[0]!.dims, axesOf(n, asConst(ins), opset, 13) ?? []) }],
};

const transposePerm = (n: Node, rank: number) => attrInts(n, 'perm', [...Array(rank).keys()].reverse());
const transpose: OpDef = {
  shape: (n, [x]) => [{ dtype: x!.dtype, dims: transposePerm(n, x!.dims.length).map((p) => x!.dims[p]!) }],
  run: (n, [x]) => {
    const perm = transposePerm(n, x!.dims.length);
    const dims = perm.map((p) => x!.dims[p]!);
    const s = stridesOf(x!.dims);
    const y = val(x!.dtype, dims);
    forEachIndex(dims, [perm.map((p) => s[p]!)], (o, [i]) => (y.data[o] = x!.data[i!]!));
    return [y];
  },
};

const concat: OpDef = {
  shape: (n, ins) => {
    const axis = normAxis(attrInt(n, 'axis', 0), ins[0]!.dims.length);
    const dims = [...ins[0]!.dims];
    dims[axis] = ins.reduce((a, v) => a + v.dims[axis]!, 0);
    return [{ dtype: ins[0]!.dtype, dims }];
  },
  run: (n, ins) => {
    const axis = normAxis(attrInt(n, 'axis', 0), ins[0]!.dims.length);
    const dims = concat.shape(n, ins, 0)[0]!.dims;
    const outer = size(dims.slice(0, axis));
    const y = val(ins[0]!.dtype, dims);
    let off = 0;
    for (let o = 0; o < outer; o++)
      for (const v of ins) {
        const chunk = size(v.dims.slice(axis));
        y.data.set(v.data.subarray(o * chunk, (o + 1) * chunk), off);
        off += chunk;
      }
    return [y];
  },
};

interface SliceSpec {
  starts: number[];
  steps: number[];
  dims: number[];
}
function sliceSpec(n: Node, dims: number[], starts: number[], ends: number[], axes?: number[], steps?: number[]): SliceSpec {
  const st = dims.map(() => 0), sp = dims.map(() => 1), out = [...dims];
  (axes ?? starts.map((_, i) => i)).forEach((a0, k) => {
    const a = normAxis(a0, dims.length);
    const d = dims[a]!, step = steps?.[k] ?? 1;
    if (step === 0) throw new ReparoError('E_GRAPH', 'Slice step 0', { node: n.name, op: n.op });
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + d : v));
    const s = step > 0 ? clamp(starts[k]!, 0, d) : clamp(starts[k]!, -1, d - 1);
    const e = step > 0 ? clamp(ends[k]!, 0, d) : clamp(ends[k]!, -1, d - 1);
    st[a] = s;
    sp[a] = step;
    out[a] = Math.max(0, Math.ceil((e - s) / step));
  });
  return { starts: st, steps: sp, dims: out };
}
function sliceArgs(n: Node, ins: ShapeIn[], opset: number): SliceSpec {
  const dims = ins[0]!.dims;
  if (opset < 10) return sliceSpec(n, dims, attrInts(n, 'starts', []), attrInts(n, 'ends', []), n.attrs.axes ? attrInts(n, 'axes', []) : undefined);
  const opt = (i: number, what: string) => (ins[i] ? needConst(n, ins, i, what) : undefined);
  return sliceSpec(n, dims, needConst(n, ins, 1, 'starts'), needConst(n, ins, 2, 'ends'), opt(3, 'axes'), opt(4, 'steps'));
}
const slice: OpDef = {
  shape: (n, ins, opset) => [{ dtype: ins[0]!.dtype, dims: sliceArgs(n, ins, opset).dims }],
  run: (n, ins, opset) => {
    const x = ins[0]!;
    const spec = sliceArgs(n, asConst(ins), opset);
    const s = stridesOf(x.dims);
    const base = spec.starts.reduce((a, st, i) => a + st * s[i]!, 0);
    const y = val(x.dtype, spec.dims);
    forEachIndex(spec.dims, [spec.steps.map((st, i) => st * s[i]!)], (o, [i]) => (y.data[o] = x.data[base + i!]!));
    return [y];
  },
};

function padArgs(n: Node, ins: ShapeIn[], opset: number) {
  const rank = ins[0]!.dims.length;
  let pads = opset >= 11 ? needConst(n, ins, 1, 'pads') : attrInts(n, 'pads', []);
  const mode = attrString(n, 'mode', 'constant');
  if (mode !== 'constant') throw new ReparoError('E_UNSUPPORTED_OP', `Pad mode '${mode}' is not supported (only constant)`, { node: n.name, op: n.op });
  if (opset >= 18 && ins[3]) {
    const axes = needConst(n, ins, 3, 'axes').map((a) => normAxis(a, rank));
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, k) => ((full[a] = pads[k]!), (full[a + rank] = pads[k + axes.length]!)));
    pads = full;
  }
  const value = opset >= 11 ? (ins[2]?.value?.data[0] ?? 0) : attrFloat(n, 'value', 0);
  const dims = ins[0]!.dims.map((d, i) => d + pads[i]! + pads[i + rank]!);
  return { pads, value, dims };
}
const pad: OpDef = {
  shape: (n, ins, opset) => [{ dtype: ins[0]!.dtype, dims: padArgs(n, ins, opset).dims }],
  run: (n, ins, opset) => {
    const x = ins[0]!;
    const { pads, value, dims } = padArgs(n, asConst(ins), opset);
    const y = val(x.dtype, dims, new Float64Array(size(dims)).fill(value));
    const ys = stridesOf(dims);
    forEachIndex(x.dims, [stridesOf(x.dims)], (_o, [i]) => {
      let rem = i!, off = 0;
      for (let d = 0; d < x.dims.length; d++) {
        const inner = size(x.dims.slice(d + 1));
        const c = Math.floor(rem / inner) + pads[d]!;
        rem %= inner;
        if (c < 0 || c >= dims[d]!) return;
        off += c * ys[d]!;
      }
      y.data[off] = x.data[i!]!;
    });
    return [y];
  },
};

const scatterND: OpDef = {
  shape: (_n, [x]) => [{ dtype: x!.dtype, dims: [...x!.dims] }],
  run: (n, [x, idx, upd]) => {
    if (attrString(n, 'reduction', 'none') !== 'none') throw new ReparoError('E_UNSUPPORTED_OP', 'ScatterND with reduction', { node: n.name, op: n.op });
    const y = val(x!.dtype, [...x!.dims], x!.data.slice());
    const k = idx!.dims[idx!.dims.length - 1]!;
    const s = stridesOf(x!.dims);
    const chunk = size(x!.dims.slice(k));
    const count = size(idx!.dims.slice(0, -1));
    for (let i = 0; i < count; i++) {
      let off = 0;
      for (let j = 0; j < k; j++) {
        const v = idx!.data[i * k + j]!;
        off += (v < 0 ? v + x!.dims[j]! : v) * s[j]!;
      }
      y.data.set(upd!.data.subarray(i * chunk, (i + 1) * chunk), off);
    }
    return [y];
  },
};

const gather: OpDef = {
  shape: (n, [x, idx]) => {
    const axis = normAxis(attrInt(n, 'axis', 0), x!.dims.length);
    return [{ dtype: x!.dtype, dims: [...x!.dims.slice(0, axis), ...idx!.dims, ...x!.dims.slice(axis + 1)] }];
  },
  run: (n, [x, idx]) => {
    const axis = normAxis(attrInt(n, 'axis', 0), x!.dims.length);
    const dims = gather.shape(n, [x!, idx!], 0)[0]!.dims;
    const outer = size(x!.dims.slice(0, axis)), inner = size(x!.dims.slice(axis + 1)), d = x!.dims[axis]!;
    const y = val(x!.dtype, dims);
    let o = 0;
    for (let a = 0; a < outer; a++)
      for (const i0 of idx!.data) {
        const i = i0 < 0 ? i0 + d : i0;
        y.data.set(x!.data.subarray((a * d + i) * inner, (a * d + i + 1) * inner), o);
        o += inner;
      }
    return [y];
  },
};

const expand: OpDef = {
  shape: (n, ins) => [{ dtype: ins[0]!.dtype, dims: broadcastShapes([ins[0]!.dims, needConst(n, ins, 1, 'shape')]) }],
  run: (_n, [x, s]) => {
    const dims = broadcastShapes([x!.dims, ints(s)]);
    const y = val(x!.dtype, dims);
    forEachIndex(dims, [broadcastStrides(x!.dims, dims)], (o, [i]) => (y.data[o] = x!.data[i!]!));
    return [y];
  },
};

const softmax: OpDef = {
  shape: (_n, [x]) => [{ dtype: x!.dtype, dims: [...x!.dims] }],
  run: (n, [x], opset) => {
    const axis = normAxis(attrInt(n, 'axis', opset >= 13 ? -1 : 1), x!.dims.length);
    const inner = opset >= 13 ? size(x!.dims.slice(axis + 1)) : 1;
    const d = opset >= 13 ? x!.dims[axis]! : size(x!.dims.slice(axis));
    const outer = size(x!.dims) / (d * inner);
    const y = val(x!.dtype, [...x!.dims]);
    for (let a = 0; a < outer; a++)
      for (let b = 0; b < inner; b++) {
        const at = (k: number) => (a * d + k) * inner + b;
        let m = -Infinity, s = 0;
        for (let k = 0; k < d; k++) m = Math.max(m, x!.data[at(k)]!);
        for (let k = 0; k < d; k++) s += y.data[at(k)] = Math.exp(x!.data[at(k)]! - m);
        for (let k = 0; k < d; k++) y.data[at(k)]! /= s;
      }
    return [y];
  },
};

const shapeOp: OpDef = {
  shape: (_n, [x]) => [{ dtype: 'int64', dims: [x!.dims.length] }],
  run: (_n, [x]) => [val('int64', [x!.dims.length], Float64Array.from(x!.dims))],
};

const ONNX_DTYPES: Record<number, DType> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };
export function onnxDType(code: number, where: { node?: string; file?: string } = {}): DType {
  const t = ONNX_DTYPES[code];
  if (!t) throw new ReparoError('E_UNSUPPORTED_OP', `ONNX data type ${code} is not supported`, where);
  return t;
}
export const ONNX_DTYPE_CODE: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };

const cast: OpDef = {
  shape: (n, [x]) => [{ dtype: onnxDType(attrInt(n, 'to', 1), { node: n.name }), dims: [...x!.dims] }],
  run: (n, [x]) => {
    const dtype = onnxDType(attrInt(n, 'to', 1), { node: n.name });
    const f = dtype === 'float32' || dtype === 'float64' ? (v: number) => v : dtype === 'bool' ? (v: number) => +(v !== 0) : Math.trunc;
    return [val(dtype, [...x!.dims], x!.data.map(f))];
  },
};

const constantOfShape: OpDef = {
  shape: (n, ins) => [{ dtype: n.attrs.value?.kind === 'tensor' ? n.attrs.value.value.dtype : 'float32', dims: needConst(n, ins, 0, 'shape') }],
  run: (n, [s]) => {
    const v = n.attrs.value?.kind === 'tensor' ? n.attrs.value.value : undefined;
    const dims = ints(s);
    return [val(v?.dtype ?? 'float32', dims, new Float64Array(size(dims)).fill(v ? Number(v.data[0]) : 0))];
  },
};

// ---------- ops of the exporters' index arithmetic and of mobile nets ----------
/** erf to float64 precision: its Taylor series near 0, the continued fraction of erfc beyond. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x, sum = x;
    for (let n = 1; n < 60 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (a > 6) return Math.sign(x);
  let f = a;
  for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** erfc with relative accuracy where erfc is small (the continued fraction), 1 − erf elsewhere. */
export function erfc(x: number): number {
  if (x < 2.5) return 1 - erf(x);
  if (x > 27) return 0;
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export const gelu = (x: number, approximate: string) =>
  approximate === 'tanh' ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))) : 0.5 * x * (1 + erf(x / Math.SQRT2));

const geluOp: OpDef = {
  shape: (_n, [x]) => [{ dtype: x!.dtype, dims: [...x!.dims] }],
  run: (n, [x]) => {
    const approximate = attrString(n, 'approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh') throw new ReparoError('E_UNSUPPORTED_OP', `Gelu approximate='${approximate}'`, { node: n.name, op: n.op });
    return [val(x!.dtype, [...x!.dims], x!.data.map((v) => gelu(v, approximate)))];
  },
};

/** Min, Max, Sum, Mean: any number of inputs, broadcast together. */
function variadic(f: (a: number, b: number) => number, finish: (acc: number, count: number) => number = (a) => a): OpDef {
  return {
    shape: (_n, ins) => [{ dtype: ins[0]!.dtype, dims: broadcastShapes(ins.map((v) => v.dims)) }],
    run: (_n, ins) => {
      const dims = broadcastShapes(ins.map((v) => v.dims));
      const out = val(ins[0]!.dtype, dims);
      forEachIndex(dims, ins.map((v) => broadcastStrides(v.dims, dims)), (o, idx) => {
        let acc = ins[0]!.data[idx[0]!]!;
        for (let k = 1; k < ins.length; k++) acc = f(acc, ins[k]!.data[idx[k]!]!);
        out.data[o] = finish(acc, ins.length);
      });
      return [out];
    },
  };
}

const range: OpDef = {
  shape: (n, ins) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => needConst(n, ins, i, ['start', 'limit', 'delta'][i]!)[0]!);
    if (delta === 0) throw new ReparoError('E_GRAPH', 'Range with delta 0', { node: n.name, op: n.op });
    return [{ dtype: ins[0]!.dtype, dims: [Math.max(0, Math.ceil((limit! - start!) / delta!))] }];
  },
  run: (n, ins) => {
    const [start, , delta] = ins.map((v) => v.data[0]!);
    const len = range.shape(n, asConst(ins), 0)[0]!.dims[0]!;
    return [val(ins[0]!.dtype, [len], Float64Array.from({ length: len }, (_, i) => start! + i * delta!))];
  },
};

const tile: OpDef = {
  shape: (n, ins) => {
    const reps = needConst(n, ins, 1, 'repeats');
    return [{ dtype: ins[0]!.dtype, dims: ins[0]!.dims.map((d, i) => d * reps[i]!) }];
  },
  run: (n, ins) => {
    const x = ins[0]!;
    const dims = tile.shape(n, asConst(ins), 0)[0]!.dims;
    const y = val(x.dtype, dims);
    const xs = stridesOf(x.dims), ys = stridesOf(dims);
    for (let o = 0; o < y.data.length; o++) {
      let i = 0;
      for (let d = 0; d < dims.length; d++) i += (Math.floor(o / ys[d]!) % dims[d]! % x.dims[d]!) * xs[d]!;
      y.data[o] = x.data[i]!;
    }
    return [y];
  },
};

function splitSizes(n: Node, ins: ShapeIn[], opset: number): { axis: number; sizes: number[] } {
  const x = ins[0]!;
  const axis = normAxis(attrInt(n, 'axis', 0), x.dims.length);
  const d = x.dims[axis]!;
  const given = opset >= 13 ? (ins[1] ? needConst(n, ins, 1, 'split') : undefined) : n.attrs.split ? attrInts(n, 'split', []) : undefined;
  const count = opset >= 18 && n.attrs.num_outputs ? attrInt(n, 'num_outputs', 1) : n.outputs.length;
  // equal parts; opset 18's num_outputs makes the last one smaller when they do not divide
  const sizes = given ?? Array.from({ length: count }, (_, k) => Math.min(Math.ceil(d / count), Math.max(0, d - k * Math.ceil(d / count))));
  if (sizes.reduce((a, b) => a + b, 0) !== d || sizes.length !== n.outputs.length)
    throw new ReparoError('E_SHAPE', `Split of ${d} into [${sizes}] for ${n.outputs.length} outputs`, { node: n.name, op: n.op });
  return { axis, sizes };
}
const split: OpDef = {
  shape: (n, ins, opset) => {
    const { axis, sizes } = splitSizes(n, ins, opset);
    return sizes.map((s) => ({ dtype: ins[0]!.dtype, dims: ins[0]!.dims.map((d, i) => (i === axis ? s : d)) }));
  },
  run: (n, ins, opset) => {
    const x = ins[0]!;
    const { axis, sizes } = splitSizes(n, asConst(ins), opset);
    const outer = size(x.dims.slice(0, axis)), inner = size(x.dims.slice(axis + 1)), d = x.dims[axis]!;
    let start = 0;
    return sizes.map((s) => {
      const y = val(x.dtype, x.dims.map((v, i) => (i === axis ? s : v)));
      for (let o = 0; o < outer; o++) y.data.set(x.data.subarray((o * d + start) * inner, (o * d + start + s) * inner), o * s * inner);
      start += s;
      return y;
    });
  },
};

// ---------- Resize ----------
// onnxruntime (the oracle) knows these; tf_half_pixel_for_nearest and tf_crop_and_resize are refused
const RESIZE_COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
interface ResizeSpec {
  dims: number[];
  scales: number[];
}
function resizeSpec(n: Node, ins: ShapeIn[], opset: number): ResizeSpec {
  const x = ins[0]!, rank = x.dims.length;
  const mode = attrString(n, 'mode', 'nearest'), coord = attrString(n, 'coordinate_transformation_mode', 'half_pixel');
  const refuse = (what: string, hint?: string): never => {
    throw new ReparoError('E_UNSUPPORTED_OP', `Resize ${what} is not supported`, { node: n.name, op: n.op, hint });
  };
  if (mode !== 'nearest' && mode !== 'linear') refuse(`mode '${mode}'`, "export with mode 'nearest' or 'bilinear' (linear)");
  if (!RESIZE_COORDS.includes(coord)) refuse(`coordinate_transformation_mode '${coord}'`);
  if (attrInt(n, 'antialias', 0)) refuse('with antialias');
  if (attrString(n, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') refuse(`keep_aspect_ratio_policy '${attrString(n, 'keep_aspect_ratio_policy', '')}'`);
  const axes = n.attrs.axes ? attrInts(n, 'axes', []).map((a) => normAxis(a, rank)) : [...Array(rank).keys()];
  const present = (i: number) => !!n.inputs[i] && (ins[i]?.dims.length ? size(ins[i]!.dims) > 0 : false);
  const dynamic = (i: number) => {
    if (!ins[i]?.value)
      throw new ReparoError('E_DYNAMIC_SHAPE', `Resize's ${i === 2 ? 'scales' : 'sizes'} (input ${i}) are computed at run time`, {
        node: n.name, op: n.op,
        hint: 'export with a fixed input size and a constant output size or scale_factor (constant folding on), or pass --input-shape',
      });
    return ints(ins[i]!.value);
  };
  const scales = x.dims.map(() => 1), dims = [...x.dims];
  if (present(3)) {
    const sizes = dynamic(3);
    axes.forEach((a, k) => ((dims[a] = sizes[k]!), (scales[a] = sizes[k]! / x.dims[a]!)));
  } else if (present(2)) {
    const sc = dynamic(2);
    axes.forEach((a, k) => ((scales[a] = sc[k]!), (dims[a] = Math.floor(x.dims[a]! * sc[k]!))));
  } else refuse('without scales or sizes');
  if (rank !== 4 || dims[0] !== x.dims[0] || dims[1] !== x.dims[1]) refuse(`of [${x.dims}] to [${dims}]: only the spatial axes of an NCHW tensor`);
  if (dims.some((d) => d < 1)) throw new ReparoError('E_SHAPE', `Resize to [${dims}]`, { node: n.name, op: n.op });
  return { dims, scales };
}

/** The input coordinate of output coordinate `x` along an axis (ONNX's coordinate_transformation_mode). */
function sourceCoord(coord: string, x: number, scale: number, inLen: number, outLen: number): number {
  switch (coord) {
    case 'pytorch_half_pixel': return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1);
    case 'asymmetric': return x / scale;
    default: return (x + 0.5) / scale - 0.5;
  }
}

function nearestIndex(mode: string, v: number, inLen: number): number {
  const half = Math.abs(v - Math.floor(v) - 0.5) < 1e-9;
  const i = mode === 'floor' ? Math.floor(v) : mode === 'ceil' ? Math.ceil(v) : half ? (mode === 'round_prefer_ceil' ? Math.ceil(v) : Math.floor(v)) : Math.round(v);
  return Math.min(inLen - 1, Math.max(0, i));
}

const resize: OpDef = {
  shape: (n, ins, opset) => [{ dtype: ins[0]!.dtype, dims: resizeSpec(n, ins, opset).dims }],
  run: (n, ins, opset) => {
    const x = ins[0]!;
    const { dims, scales } = resizeSpec(n, asConst(ins), opset);
    const mode = attrString(n, 'mode', 'nearest'), coord = attrString(n, 'coordinate_transformation_mode', 'half_pixel');
    const nearestMode = attrString(n, 'nearest_mode', 'round_prefer_floor');
    const [N, C, H, W] = x.dims as [number, number, number, number];
    const [, , OH, OW] = dims as [number, number, number, number];
    const y = val(x.dtype, dims);
    // per output row/column: the input taps and their weights
    const taps = (outLen: number, inLen: number, scale: number) =>
      Array.from({ length: outLen }, (_, o) => {
        const v = sourceCoord(coord, o, scale, inLen, outLen);
        if (mode === 'nearest') return [[nearestIndex(nearestMode, v, inLen), 1]] as [number, number][];
        const c = Math.min(inLen - 1, Math.max(0, v)), lo = Math.floor(c), hi = Math.min(inLen - 1, lo + 1);
        return [[lo, 1 - (c - lo)], [hi, c - lo]] as [number, number][];
      });
    const ty = taps(OH, H, scales[2]!), tx = taps(OW, W, scales[3]!);
    for (let p = 0; p < N * C; p++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let acc = 0;
          for (const [iy, wy] of ty[oy]!) for (const [ix, wx] of tx[ox]!) acc += wy * wx * x.data[(p * H + iy) * W + ix]!;
          y.data[(p * OH + oy) * OW + ox] = acc;
        }
    return [y];
  },
};

const identity = unary((x) => x);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const OPS: Record<string, OpDef> = {
  Identity: identity,
  Dropout: { shape: (n, ins, o) => identity.shape(n, ins.slice(0, 1), o), run: (n, ins, o) => identity.run(n, ins.slice(0, 1), o) },
  Relu: unary((x) => Math.max(0, x)),
  Sigmoid: unary(sigmoid),
  Tanh: unary(Math.tanh),
  Exp: unary(Math.exp),
  Sqrt: unary(Math.sqrt),
  Neg: unary((x) => -x),
  Reciprocal: unary((x) => 1 / x),
  HardSigmoid: { shape: (n, i, o) => identity.shape(n, i, o), run: (n, [x]) => [val(x!.dtype, [...x!.dims], x!.data.map((v) => Math.min(1, Math.max(0, attrFloat(n, 'alpha', 0.2) * v + attrFloat(n, 'beta', 0.5)))))] },
  HardSwish: unary((x) => x * Math.min(1, Math.max(0, x / 6 + 0.5))),
  LeakyRelu: { shape: (n, i, o) => identity.shape(n, i, o), run: (n, [x]) => [val(x!.dtype, [...x!.dims], x!.data.map((v) => (v >= 0 ? v : attrFloat(n, 'alpha', 0.01) * v)))] },
  Clip: clip,
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary((a, b) => a / b),
  Equal: binary((a, b) => +(a === b), 'bool'),
  Where: where,
  Conv: conv,
  BatchNormalization: batchNorm,
  AveragePool: pool('avg'),
  MaxPool: pool('max'),
  GlobalAveragePool: globalAveragePool,
  ReduceMean: reduceMean,
  Gemm: gemm,
  MatMul: matMul,
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Pad: pad,
  ScatterND: scatterND,
  Gather: gather,
  Expand: expand,
  Softmax: softmax,
  Shape: shapeOp,
  Cast: cast,
  ConstantOfShape: constantOfShape,
  Erf: unary(erf),
  Gelu: geluOp,
  Abs: unary(Math.abs),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  // half to even, as ONNX says
  Round: unary((x) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x))),
  Sign: unary(Math.sign),
  Log: unary(Math.log),
  Softplus: unary((x) => (x > 30 ? x : Math.log1p(Math.exp(x)))),
  Not: unary((x) => +!x, 'bool'),
  Pow: binary((a, b) => a ** b),
  Less: binary((a, b) => +(a < b), 'bool'),
  Greater: binary((a, b) => +(a > b), 'bool'),
  LessOrEqual: binary((a, b) => +(a <= b), 'bool'),
  GreaterOrEqual: binary((a, b) => +(a >= b), 'bool'),
  And: binary((a, b) => +(!!a && !!b), 'bool'),
  Or: binary((a, b) => +(!!a || !!b), 'bool'),
  Xor: binary((a, b) => +(!!a !== !!b), 'bool'),
  Min: variadic(Math.min),
  Max: variadic(Math.max),
  Sum: variadic((a, b) => a + b),
  Mean: variadic((a, b) => a + b, (a, k) => a / k),
  ReduceSum: reduce(0, (a, x) => a + x, undefined, 13),
  ReduceMax: reduce(-Infinity, Math.max),
  ReduceMin: reduce(Infinity, Math.min),
  ReduceProd: reduce(1, (a, x) => a * x),
  Range: range,
  Tile: tile,
  Split: split,
  Resize: resize,
};
