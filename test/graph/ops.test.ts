import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GraphBuilder, floatTensor, int64Tensor, ints, int, inferValues } from '../../toolkit/graph/index.ts';
import { bothEngines, maxAbsDiff } from '../helpers/ort.ts';
import { NetBuilder } from '../helpers/reparam-nets.ts';

// reparo's float kernels measure linear regions and fold constants; onnxruntime is the oracle for them.
describe('float reference ops agree with onnxruntime', () => {
  it('Conv with random channels, groups, strides, kernels and pads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ g: fc.constantFrom(1, 2, 4), ci: fc.integer({ min: 1, max: 3 }), co: fc.integer({ min: 1, max: 3 }), kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 3 }), p: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), h: fc.integer({ min: 5, max: 11 }), seed: fc.nat() }),
        async ({ g, ci, co, kh, kw, s, p, h, seed }) => {
          const nb = new NetBuilder(seed);
          const x = nb.b.input('x', [1, ci * g, h, h + 1]);
          const y = nb.conv(x, ci * g, co * g, kh, kw, { stride: s, pads: p, groups: g, bias: true });
          const r = await bothEngines(nb.build(y), seed);
          expect(maxAbsDiff(r.ort, r.ours)).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });

  it('pooling, BN, Pad, Slice, Transpose, ScatterND, Concat, ReduceMean, Gemm', async () => {
    const nb = new NetBuilder(5, 18);
    const b = nb.b;
    const x = b.input('x', [1, 3, 8, 9]);
    const avg = b.node('AveragePool', [x], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) });
    const avgInc = b.node('AveragePool', [x], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), count_include_pad: int(1) });
    const mx = b.node('MaxPool', [x], { kernel_shape: ints([2, 2]), strides: ints([2, 2]), ceil_mode: int(1) });
    const bn = nb.bn(x, 3);
    const padded = b.node('Pad', [bn, b.init('pads', int64Tensor([8], [0, 0, 1, 2, 0, 0, 2, 1])), b.init('pv', floatTensor([], [0.25]))]);
    const sl = b.node('Slice', [padded, b.init('st', int64Tensor([2], [1, -9])), b.init('en', int64Tensor([2], [100, -1])), b.init('ax', int64Tensor([2], [2, 3])), b.init('sp', int64Tensor([2], [2, 1]))]);
    const tr = b.node('Transpose', [sl], { perm: ints([2, 3, 0, 1]) });
    const sc = b.node('ScatterND', [tr, b.init('idx', int64Tensor([2, 1], [0, 2])), b.init('upd', nb.randn([2, 8, 1, 3]))]);
    const back = b.node('Transpose', [sc], { perm: ints([2, 3, 0, 1]) });
    const r1 = b.node('ReduceMean', [back, b.init('axes', int64Tensor([2], [2, 3]))], { keepdims: int(0) });
    const r2 = b.node('ReduceMean', [b.node('Concat', [avg, avgInc, mx], { axis: int(1) }), b.init('axes2', int64Tensor([2], [2, 3]))], { keepdims: int(0) });
    const cat = b.node('Concat', [r1, r2], { axis: int(1) });
    const y = b.node('Gemm', [cat, b.init('w', nb.randn([4, 12])), b.init('c', nb.randn([4]))], { transB: int(1) });
    const g = nb.build(b.node('Softmax', [y], { axis: int(1) }));
    expect(inferValues(g).get(back)!.dims).toEqual([1, 3, 5, 8]);
    const r = await bothEngines(g);
    expect(maxAbsDiff(r.ort, r.ours)).toBeLessThan(1e-5);
  });
});

describe('ops of the exporters’ index arithmetic and of mobile nets agree with onnxruntime', () => {
  const s = (v: string) => ({ kind: 'string' as const, value: v });

  it.each([
    ['nearest', 'asymmetric', 'floor', [1, 1, 2, 2]],
    ['nearest', 'half_pixel', 'round_prefer_floor', [1, 1, 2, 3]],
    ['nearest', 'pytorch_half_pixel', 'round_prefer_ceil', [1, 1, 0.5, 0.5]],
    ['nearest', 'asymmetric', 'ceil', [1, 1, 1.5, 2]],
    ['linear', 'half_pixel', '', [1, 1, 2, 2]],
    ['linear', 'pytorch_half_pixel', '', [1, 1, 1.5, 0.5]],
    ['linear', 'align_corners', '', [1, 1, 2.5, 2]],
    ['linear', 'asymmetric', '', [1, 1, 0.5, 3]],
  ] as const)('Resize %s / %s %s by scales %j (opsets 11, 13, 18)', async (mode, coord, nearest, scales) => {
    for (const opset of [11, 13, 18]) {
      const nb = new NetBuilder(7, opset);
      const b = nb.b;
      const x = b.input('x', [1, 2, 5, 6]);
      const attrs = { mode: s(mode), coordinate_transformation_mode: s(coord), ...(nearest ? { nearest_mode: s(nearest) } : {}) };
      const roi = opset < 13 ? b.init('roi', floatTensor([0], [])) : '';
      const y = b.node('Resize', [x, roi, b.init('scales', floatTensor([4], [...scales]))], attrs);
      const r = await bothEngines(nb.build(y));
      expect(maxAbsDiff(r.ort, r.ours), `opset ${opset}`).toBeLessThan(1e-6);
    }
  });

  it('Resize to sizes, Split, Tile, Range, variadic Min/Max/Sum/Mean, reductions, Pow, comparisons, Where, Erf, N-D MatMul', async () => {
    const nb = new NetBuilder(8, 13);
    const b = nb.b;
    const x = b.input('x', [1, 4, 3, 4]);
    const up = b.node('Resize', [x, '', '', b.init('sizes', int64Tensor([4], [1, 4, 7, 5]))], { mode: s('linear'), coordinate_transformation_mode: s('align_corners') });
    const p0 = b.node('Split', [x, b.init('split', int64Tensor([2], [1, 3]))], { axis: int(1) }, 'split_node', 2), p1 = `${p0}:1`;
    const tiled = b.node('Tile', [p0, b.init('reps', int64Tensor([4], [1, 3, 1, 1]))]);
    const r = b.node('Cast', [b.node('Range', [b.init('r0', int64Tensor([], [2])), b.init('r1', int64Tensor([], [14])), b.init('r2', int64Tensor([], [3]))])], { to: int(1) });
    const mixed = b.node('Mean', [b.node('Max', [tiled, p1, b.node('Reshape', [r, nb.shape([1, 1, 1, 4])])]), b.node('Min', [p1, tiled]), b.node('Sum', [tiled, p1])]);
    const red = b.node('Add', [b.node('ReduceSum', [mixed, b.init('ax', int64Tensor([1], [3]))], { keepdims: int(1) }), b.node('ReduceMax', [mixed], { axes: ints([3]), keepdims: int(1) })]);
    const gate = b.node('Where', [b.node('Less', [red, b.init('zero', floatTensor([], [0]))]), b.node('Pow', [red, b.init('two', floatTensor([], [2]))]), b.node('Erf', [red])]);
    const att = b.node('MatMul', [b.node('Reshape', [up, nb.shape([1, 4, 7, 5])]), b.init('m', nb.randn([5, 3]))]);
    const out = b.node('Add', [b.node('ReduceMean', [att], { axes: ints([1, 2]), keepdims: int(0) }), b.node('ReduceMin', [gate], { axes: ints([2, 3]), keepdims: int(0) })]);
    const q = b.node('MatMul', [b.node('Reshape', [mixed, nb.shape([1, 3, 3, 4])]), b.node('Transpose', [b.node('Reshape', [mixed, nb.shape([1, 3, 3, 4])])], { perm: ints([0, 1, 3, 2]) })]);
    const g = nb.build(b.node('Concat', [out, b.node('Flatten', [q], { axis: int(1) })], { axis: int(1) }));
    const res = await bothEngines(g);
    expect(maxAbsDiff(res.ort, res.ours)).toBeLessThan(1e-4);
  });

  it('Gelu (opset 20) exact and tanh, Erf to float precision', async () => {
    const nb = new NetBuilder(9, 20);
    const x = nb.b.input('x', [1, 3, 4, 4]);
    const scaled = nb.b.node('Mul', [x, nb.b.init('k', floatTensor([], [8]))]);
    const y = nb.b.node('Add', [nb.b.node('Gelu', [scaled]), nb.b.node('Gelu', [scaled], { approximate: s('tanh') })]);
    const r = await bothEngines(nb.build(nb.b.node('Add', [y, nb.b.node('Erf', [x])])));
    expect(maxAbsDiff(r.ort, r.ours)).toBeLessThan(1e-5);
  });

  it('a Resize whose scales are computed at run time names the node and what to do', () => {
    const nb = new NetBuilder(10, 13);
    const b = nb.b;
    const x = b.input('x', [1, 1, 4, 4]);
    const sc = b.node('ReduceMax', [x], { keepdims: int(0) });
    const scales = b.node('Concat', [b.init('ones', floatTensor([3], [1, 1, 1])), b.node('Unsqueeze', [sc, b.init('a0', int64Tensor([1], [0]))])], { axis: int(0) });
    const g = nb.build(b.node('Resize', [x, '', scales], { mode: s('nearest') }, 'up'));
    expect(() => inferValues(g)).toThrow(/node 'up'.*Resize's scales .* computed at run time.*constant output size or scale_factor/s);
  });
});
