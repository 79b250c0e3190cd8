import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetBuilder } from '../helpers/reparam-nets.ts';
import { fuseAndCheck } from '../helpers/fusion.ts';

const GROUPS = fc.constantFrom(1, 2, 4);

describe('RepVGG / ACNet / DBB blocks fuse to one conv, equal in onnxruntime (property tests)', () => {
  it('RepVGG: random channels, groups, strides, sizes, BN stats', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ g: GROUPS, ci: fc.integer({ min: 1, max: 3 }), co: fc.integer({ min: 1, max: 3 }), s: fc.constantFrom(1, 2), h: fc.integer({ min: 4, max: 11 }), seed: fc.nat() }), async ({ g, ci, co, s, h, seed }) => {
        const nb = new NetBuilder(seed);
        const x = nb.b.input('x', [1, ci * g, h, h]);
        const y1 = nb.repvgg(x, ci * g, co * g, s, g);
        const y2 = nb.repvgg(y1, co * g, co * g, 1, g); // identity branch
        const r = await fuseAndCheck(nb.build(y2));
        expect(r.blocks.map((b) => [b.family, b.singlePath, b.fusedKernel])).toEqual([['repvgg', true, '3x3'], ['repvgg', true, '3x3']]);
        expect(r.after.ops.BatchNormalization ?? 0).toBe(0);
        expect(r.after.ops.Add ?? 0).toBe(0);
      }),
      { numRuns: 12, seed: 1 },
    );
  });

  it('ACNet: K ∈ {3,5}, stride 1–2', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ k: fc.constantFrom(3, 5), c: fc.integer({ min: 1, max: 4 }), s: fc.constantFrom(1, 2), h: fc.integer({ min: 6, max: 11 }), seed: fc.nat() }), async ({ k, c, s, h, seed }) => {
        const nb = new NetBuilder(seed);
        const x = nb.b.input('x', [1, c, h, h]);
        const r = await fuseAndCheck(nb.build(nb.acnet(x, c, c + 1, k, s)));
        expect(r.blocks.map((b) => [b.family, b.singlePath, b.fusedKernel])).toEqual([['acnet', true, `${k}x${k}`]]);
      }),
      { numRuns: 10, seed: 2 },
    );
  });

  it('DBB with a zero-bias 1×1 → K×K branch and AVG → BN', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ k: fc.constantFrom(3, 5), c: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 6, max: 10 }), seed: fc.nat() }), async ({ k, c, h, seed }) => {
        const nb = new NetBuilder(seed);
        const x = nb.b.input('x', [1, c, h, h]);
        const r = await fuseAndCheck(nb.build(nb.dbbSimple(x, c, k)));
        expect(r.blocks.map((b) => [b.family, b.singlePath, b.fusedKernel])).toEqual([['dbb', true, `${k}x${k}`]]);
      }),
      { numRuns: 8, seed: 3 },
    );
  });

  it('an identity branch without BN: Add(x, conv(x))', async () => {
    const nb = new NetBuilder(9);
    const x = nb.b.input('x', [1, 3, 6, 6]);
    const r = await fuseAndCheck(nb.build(nb.relu(nb.add(x, nb.convBn(x, 3, 3, 3)))));
    expect(r.blocks[0]!.singlePath).toBe(true);
  });

  it('a bottleneck 1×1 → 3×3 is left alone: one conv would cost more MACs', async () => {
    const nb = new NetBuilder(4);
    const x = nb.b.input('x', [1, 16, 8, 8]);
    const y = nb.convBn(nb.conv(x, 16, 2, 1, 1), 2, 16, 3);
    const r = await fuseAndCheck(nb.build(y));
    expect(r.after.ops.Conv).toBe(2);
  });

  it('non-linear parts (an SE block) pass through unchanged', async () => {
    const nb = new NetBuilder(6);
    const b = nb.b;
    const x = b.input('x', [1, 4, 6, 6]);
    const y = nb.repvgg(x, 4, 4);
    const s = b.node('Sigmoid', [nb.conv(nb.relu(nb.conv(b.node('GlobalAveragePool', [y]), 4, 2, 1, 1, { bias: true })), 2, 4, 1, 1, { bias: true })]);
    const r = await fuseAndCheck(nb.build(b.node('Mul', [y, s])));
    expect(r.blocks.filter((k) => k.family === 'repvgg').map((k) => k.singlePath)).toEqual([true]);
    expect(r.after.ops).toMatchObject({ Sigmoid: 1, Mul: 1, GlobalAveragePool: 1, Relu: 2, Conv: 3 });
  });
});
