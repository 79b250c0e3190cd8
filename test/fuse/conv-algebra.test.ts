import { describe, expect, it } from 'vitest';
import { convAlgebra as A } from '../../toolkit/fuse/index.ts';

const conv = (o: Partial<A.ConvParams> & Pick<A.ConvParams, 'O' | 'I' | 'kh' | 'kw' | 'W'>): A.ConvParams => ({
  groups: 1, strides: [1, 1], pads: [Math.floor(o.kh / 2), Math.floor(o.kw / 2), Math.floor(o.kh / 2), Math.floor(o.kw / 2)], b: new Float64Array(o.O), ...o,
});

// Hand-derived: every number below was worked out on paper from the formulas in DESIGN.md §3.
describe('conv algebra, hand-derived kernels', () => {
  it('folds BN: σ=√(3+1)=2, t=γ/σ=1.5, K′=2·1.5=3, b′=β+(b−μ)t=0.5+(1−1)·1.5', () => {
    const bn = { scale: Float64Array.of(3 / Math.sqrt(3 + 1)), shift: Float64Array.of(0.5 - 1 * (3 / 2)) };
    const f = A.foldBatchNormInto(conv({ O: 1, I: 1, kh: 1, kw: 1, W: Float64Array.of(2), b: Float64Array.of(1) }), bn);
    expect([...f.W]).toEqual([3]);
    expect([...f.b]).toEqual([0.5]);
  });

  it('RepVGG: 3×3 ones + 1×1 (2) + identity → centre 1+2+1 = 4', () => {
    const k3 = conv({ O: 1, I: 1, kh: 3, kw: 3, W: new Float64Array(9).fill(1), b: Float64Array.of(0.5) });
    const k1 = conv({ O: 1, I: 1, kh: 1, kw: 1, W: Float64Array.of(2), b: Float64Array.of(0.25) });
    const id = A.channelAffineConv([1], [0.125]);
    const m = A.addParallel(A.addParallel(k3, k1, 6, 6)!, id, 6, 6)!;
    expect([m.kh, m.kw, ...m.pads]).toEqual([3, 3, 1, 1, 1, 1]);
    expect([...m.W]).toEqual([1, 1, 1, 1, 4, 1, 1, 1, 1]);
    expect([...m.b]).toEqual([0.875]);
  });

  it('RepVGG identity with groups: K[o, o mod (C/g), centre] = 1', () => {
    // 4 channels, groups 2 → per-group input 2; identity expressed with 2 groups
    const id = A.regroup(A.channelAffineConv([1, 1, 1, 1], [0, 0, 0, 0]), 2);
    expect(id.I).toBe(2);
    expect([...id.W]).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
  });

  it('ACNet: 1×3 [a b c] and 3×1 [d e f]ᵀ add into the centre row and column of 3×3', () => {
    const sq = conv({ O: 1, I: 1, kh: 3, kw: 3, W: new Float64Array(9) });
    const h = conv({ O: 1, I: 1, kh: 1, kw: 3, W: Float64Array.of(1, 2, 3), pads: [0, 1, 0, 1] });
    const v = conv({ O: 1, I: 1, kh: 3, kw: 1, W: Float64Array.of(4, 5, 6), pads: [1, 0, 1, 0] });
    const m = A.addParallel(A.addParallel(sq, h, 5, 5)!, v, 5, 5)!;
    expect([...m.W]).toEqual([0, 4, 0, 1, 2 + 5, 3, 0, 6, 0]);
  });

  it('DBB 1×1 → K×K: K[o,i] = Σm K2[o,m]·K1[m,i], bias Σ K2[o,m,:,:]·b1[m] + b2', () => {
    // 1×1: 1 → 2 channels, weights [2, 3], bias [1, -1]; K×K (1×2 taps for brevity): 2 → 1
    const a = conv({ O: 2, I: 1, kh: 1, kw: 1, W: Float64Array.of(2, 3), b: Float64Array.of(1, -1), pads: [0, 0, 0, 0] });
    const b = conv({ O: 1, I: 2, kh: 1, kw: 2, W: Float64Array.of(1, 10, 100, 1000), b: Float64Array.of(7), pads: [0, 0, 0, 0] });
    const r = A.composeSequential(a, b)!;
    expect(r.exactBorders).toBe(true);
    expect([...r.conv.W]).toEqual([2 * 1 + 3 * 100, 2 * 10 + 3 * 1000]);
    expect([...r.conv.b]).toEqual([7 + (1 + 10) * 1 + (100 + 1000) * -1]);
    // with zero padding in b the border would see 0 instead of a's bias: not exact
    expect(A.composeSequential(a, { ...b, pads: [0, 1, 0, 0] })!.exactBorders).toBe(false);
  });

  it('ResRep compactor: K′[j] = Σd Q[j,d]·K[d], b′ = Q·b', () => {
    const k = conv({ O: 2, I: 1, kh: 1, kw: 2, W: Float64Array.of(1, 2, 3, 4), b: Float64Array.of(5, 6), pads: [0, 0, 0, 0] });
    const q = conv({ O: 1, I: 2, kh: 1, kw: 1, W: Float64Array.of(10, 100), pads: [0, 0, 0, 0] });
    const r = A.composeSequential(k, q)!;
    expect([...r.conv.W]).toEqual([10 + 300, 20 + 400]);
    expect([...r.conv.b]).toEqual([50 + 600]);
  });

  it('refuses to add convs with different strides or output sizes', () => {
    const a = conv({ O: 1, I: 1, kh: 3, kw: 3, W: new Float64Array(9) });
    expect(A.addParallel(a, { ...a, strides: [2, 2] }, 8, 8)).toBeNull();
    expect(A.addParallel(a, { ...a, pads: [0, 0, 0, 0] }, 8, 8)).toBeNull();
  });
});
