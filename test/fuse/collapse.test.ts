import { describe, expect, it } from 'vitest';
import { NetBuilder } from '../helpers/reparam-nets.ts';
import { fuseAndCheck } from '../helpers/fusion.ts';
import { floatTensor, int64Tensor, ints, type Graph } from '../../toolkit/graph/index.ts';
import { collapseLinearRegions, fuseGraph } from '../../toolkit/fuse/index.ts';
import { checkEquivalence } from '../../toolkit/verify/index.ts';

/**
 * DBB's "pad with the BN bias" as the dynamo exporter writes it: Pad with 0, then the border rows and
 * columns overwritten per channel through Transpose + ScatterND (slice assignment).
 */
function padWithValues(nb: NetBuilder, x: string, c: number, h: number, w: number, values: Float32Array): string {
  const b = nb.b;
  const padded = b.node('Pad', [x, nb.shape([0, 0, 1, 1, 0, 0, 1, 1])]);
  const H = h + 2, W = w + 2;
  // rows: [H, W, 1, C] layout, rows 0 and H-1 set to the per-channel value
  const t1 = b.node('Transpose', [padded], { perm: ints([2, 3, 0, 1]) });
  const rowUpd = floatTensor([2, W, 1, c], Array.from({ length: 2 * W * c }, (_, i) => values[i % c]!));
  const s1 = b.node('ScatterND', [t1, b.init(`${x}.ri`, int64Tensor([2, 1], [0, H - 1])), b.init(`${x}.ru`, rowUpd)]);
  // columns: [W, H, 1, C] layout
  const t2 = b.node('Transpose', [s1], { perm: ints([1, 0, 2, 3]) });
  const colUpd = floatTensor([2, H, 1, c], Array.from({ length: 2 * H * c }, (_, i) => values[i % c]!));
  const s2 = b.node('ScatterND', [t2, b.init(`${x}.ci`, int64Tensor([2, 1], [0, W - 1])), b.init(`${x}.cu`, colUpd)]);
  return b.node('Transpose', [s2], { perm: ints([2, 3, 1, 0]) }); // [W,H,1,C] → [1,C,H,W]
}

function dbbDynamo(seed: number, c: number, h: number): Graph {
  const nb = new NetBuilder(seed, 18);
  const x = nb.b.input('x', [1, c, h, h]);
  // the 1×1 conv of the branch with its BN folded (a bias), then pad with that bias = conv(0)
  const one = nb.conv(x, c, c, 1, 1, { bias: true });
  const bias = nb.b.build().initializers.get(`${one}.bias`)!.data as Float32Array;
  const padded = padWithValues(nb, one, c, h, h, bias);
  const seq = nb.convBn(padded, c, c, 3, { pad: 0 });
  const y = nb.add(nb.convBn(x, c, c, 3), seq);
  return nb.build(nb.relu(y));
}

describe('linear region collapse (measured, then proven)', () => {
  it('collapses DBB pad-with-bias chains (Pad + Transpose + ScatterND) into one conv', async () => {
    const g = dbbDynamo(3, 3, 7);
    const r = await fuseAndCheck(g);
    expect(r.collapse.map((c) => c.reason ?? c.status)).toEqual(['collapsed']);
    expect(r.collapse.filter((c) => c.status === 'collapsed').length).toBeGreaterThan(0);
    expect(r.blocks.map((b) => [b.family, b.singlePath, b.fusedKernel])).toEqual([['dbb', true, '3x3']]);
    expect(r.after.ops.ScatterND ?? 0).toBe(0);
  });

  it('collapses ACNet crop variant (Slice before the 1×K and K×1 branches, padding 0)', async () => {
    const nb = new NetBuilder(11);
    const b = nb.b;
    const x = b.input('x', [1, 2, 9, 8]);
    const sq = nb.convBn(x, 2, 3, 3, { pad: 0 }); // 7×6
    const rows = b.node('Slice', [x, nb.shape([1]), nb.shape([8]), nb.shape([2])]);
    const cols = b.node('Slice', [x, nb.shape([1]), nb.shape([7]), nb.shape([3])]);
    const h = nb.convBn(rows, 2, 3, [1, 3], { pad: 0 });
    const v = nb.convBn(cols, 2, 3, [3, 1], { pad: 0 });
    const r = await fuseAndCheck(nb.build(nb.relu(nb.add(nb.add(sq, h), v))));
    expect(r.blocks.map((k) => [k.family, k.singlePath, k.fusedKernel])).toEqual([['acnet', true, '3x3']]);
    expect(r.after.ops.Slice ?? 0).toBe(0);
  });

  it('keeps depthwise regions depthwise', async () => {
    const nb = new NetBuilder(12);
    const b = nb.b;
    const x = b.input('x', [1, 4, 6, 6]);
    const pre = b.node('Pad', [x, nb.shape([0, 0, 1, 1, 0, 0, 1, 1])]);
    const y = nb.add(nb.convBn(pre, 4, 4, 3, { groups: 4, pad: 0 }), nb.convBn(x, 4, 4, 3, { groups: 4 }));
    const r = await fuseAndCheck(nb.build(nb.relu(y)));
    const conv = r.graph.nodes.find((n) => n.op === 'Conv')!;
    expect(conv.attrs.group).toEqual({ kind: 'int', value: 4 });
  });

  it('refuses a region that is affine but not a conv at the borders (Pad with 1.0) and leaves it as it was', async () => {
    const nb = new NetBuilder(13);
    const b = nb.b;
    const x = b.input('x', [1, 2, 6, 6]);
    const pre = b.node('Pad', [x, nb.shape([0, 0, 1, 1, 0, 0, 1, 1]), b.init('one', floatTensor([], [1]))]);
    const y = nb.add(nb.conv(pre, 2, 2, 3, 3, { bias: true }), nb.conv(x, 2, 2, 3, 3, { pads: [1, 1, 1, 1] }));
    const g = nb.build(nb.relu(y));
    const c = await collapseLinearRegions(g);
    expect(c.outcomes).toHaveLength(1);
    expect(c.outcomes[0]!.status).toBe('refused');
    expect(c.outcomes[0]!.reason).toMatch(/proof failed/);
    expect(c.graph).toBe(g);
    const f = await fuseGraph(g);
    expect((await checkEquivalence(g, f.graph)).passed).toBe(true);
    expect(f.blocks[0]!.singlePath).toBe(false);
  });
});
