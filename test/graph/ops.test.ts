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
