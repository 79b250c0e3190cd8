import { describe, expect, it } from 'vitest';
import { NetBuilder } from '../helpers/reparam-nets.ts';
import { fuseAndCheck } from '../helpers/fusion.ts';

import { pruneCompactors } from '../../toolkit/fuse/index.ts';

/** K×K-BN → 1×1 compactor whose listed rows are zero (or tiny). */
function compactor(nb: NetBuilder, x: string, cin: number, c: number, deadRows: number[], tiny = 0): string {
  const y = nb.convBn(x, cin, c, 3);
  const q = nb.randn([c, c, 1, 1], 0.5);
  for (const r of deadRows) for (let i = 0; i < c; i++) (q.data as Float32Array)[r * c + i] = i === 0 ? tiny : 0;
  const w = nb.b.init(`${y}.compactor`, q);
  return nb.b.node('Conv', [y, w], { kernel_shape: { kind: 'ints', value: [1, 1] } });
}

describe('ResRep: compactor rows below the threshold are removed and the next layer loses those inputs', () => {
  it('next layer a conv, then a GAP + Gemm head; stride 2 included', async () => {
    const nb = new NetBuilder(21);
    const x = nb.b.input('x', [1, 2, 10, 10]);
    const a = nb.relu(compactor(nb, x, 2, 6, [1, 4]));
    const b = nb.relu(compactor(nb, nb.relu(nb.convBn(a, 6, 6, 3, { stride: 2 })), 6, 5, [0, 2, 3]));
    const g = nb.build(nb.head(b, 5, 4));
    const r = await fuseAndCheck(g);
    expect(r.resrep.map((p) => [p.rows, p.removed])).toEqual([[6, 2], [5, 3]]);
    expect(r.blocks.filter((k) => k.family === 'resrep').map((k) => k.singlePath)).toEqual([true, true]);
    const widths = r.graph.nodes.filter((n) => n.op === 'Conv').map((n) => r.graph.initializers.get(n.inputs[1]!)!.dims.slice(0, 2));
    expect(widths).toEqual([[4, 2], [6, 4], [2, 6]]);
    expect(r.graph.initializers.get(r.graph.nodes.find((n) => n.op === 'Gemm')!.inputs[1]!)!.dims).toEqual([4, 2]);
    expect(r.after.params).toBeLessThan(r.before.params);
  });

  it('the threshold is configurable: rows of norm 1e-3 stay at the default and go at 1e-2', async () => {
    const build = () => {
      const nb = new NetBuilder(22);
      const x = nb.b.input('x', [1, 2, 6, 6]);
      const y = nb.relu(compactor(nb, x, 2, 4, [3], 1e-3));
      return nb.build(nb.conv(y, 4, 2, 3, 3, { pads: [1, 1, 1, 1] }));
    };
    expect(pruneCompactors(build()).outcomes).toEqual([]);
    const pruned = pruneCompactors(build(), 1e-2);
    expect(pruned.outcomes.map((o) => o.removed)).toEqual([1]);
  });

  it('keeps rows whose channel reaches something that is not a linear layer, and says why', () => {
    const nb = new NetBuilder(23);
    const x = nb.b.input('x', [1, 2, 6, 6]);
    const y = compactor(nb, x, 2, 3, [1]);
    const g = nb.build(nb.b.node('Sigmoid', [y]));
    const r = pruneCompactors(g);
    expect(r.outcomes[0]!.removed).toBe(0);
    expect(r.outcomes[0]!.kept).toMatch(/Sigmoid|graph output/);
    expect(r.graph).toBe(g);
  });

});
