import { describe, expect, it } from 'vitest';
import { bandSteps, planChain, planResidual, planSegment, type BandLayer } from '../../toolkit/codegen/native/bands.ts';

// a 3x3 stride-1 SAME conv on 8 rows, then a 3x3 stride-2 SAME conv to 4 rows (TFLite pads 0 above, 1 below)
const conv = (IH: number, OH: number, SH: number, PT: number, rowBytes: number, rowMacs: number, KH = 3): BandLayer => ({ IH, OH, KH, SH, DH: 1, PT, rowBytes, rowMacs, scratch: () => 0 });
const l1 = conv(8, 8, 1, 1, 100, 1000);
const l2 = conv(8, 4, 2, 0, 50, 500);

describe('row bands', () => {
  it('computes each layer\'s rows of a band backwards from the last layer, carrying the rows the band before computed', () => {
    // bands of 2 output rows of l2: rows 0-1 need l2 input rows 0..4 (row 1's window is rows 2-4), which l1
    // computes from its input rows 0..5 with 1 padding row above; rows 2-3 need 4..7 (row 8 is padding):
    // l1 has row 4 from the band before and computes rows 5..7 from its input rows 4..7
    expect(bandSteps([l1, l2], 2)).toEqual([
      [{ from: 0, a: 0, b: 5, c: 0, d: 6, pt: 1 }, { from: 0, a: 0, b: 2, c: 0, d: 5, pt: 0 }],
      [{ from: 4, a: 5, b: 8, c: 4, d: 8, pt: 0 }, { from: 2, a: 2, b: 4, c: 4, d: 8, pt: 0 }],
    ]);
    // one row per band: l1's buffer holds rows [2k, 2k + 3), of which it computes the ones not yet computed
    const steps = bandSteps([l1, l2], 1);
    expect(steps.map((s) => [s[0]!.from, s[0]!.a, s[0]!.b])).toEqual([[0, 0, 3], [2, 3, 5], [4, 5, 7], [6, 7, 8]]);
  });

  it('computes nothing in a layer whose consumer needs no new rows, and keeps its rows', () => {
    // two 3x3 stride-1 SAME convs: the last band's row 7 needs rows 6..7 of the first, both computed before
    const a = conv(8, 8, 1, 1, 10, 100);
    const steps = bandSteps([a, a], 1);
    expect(steps[7]).toEqual([{ from: 6, a: 8, b: 8, c: 0, d: 0, pt: 0 }, { from: 7, a: 7, b: 8, c: 6, d: 8, pt: 0 }]);
    // every row of the first layer computed once: no extra MACs; band 1 still starts at row 0 (nothing moves),
    // bands 2..7 move 2 rows of 10 B up; the first layer computes in bands 0..6, the second in all 8
    const p = planSegment([a, a], 1);
    expect([p.extraMacs, p.movedBytes, p.calls]).toEqual([0, 6 * 20, 7 + 8]);
  });

  it('sizes the band buffers, counts no recomputed MACs and the bytes carried', () => {
    const p = planSegment([l1, l2], 1);
    // l1's band buffer holds 3 rows; it computes 3 + 2 + 2 + 1 = 8 rows, each once; bands 1..3 move 1 row up
    expect(p.bandBytes).toEqual([300]);
    expect(p.extraMacs).toBe(0);
    expect(p.movedBytes).toBe(3 * 100);
    expect(p.macs).toBe(8 * 1000 + 4 * 500);
  });

  it('chooses segments and heights for the smallest peak within the cost budget', () => {
    // tensors: the chain input is the model input (0 bytes in the arena), l1's output 800 B, l2's 200 B
    const tensors = [0, 800, 200];
    // no budget: every tensor whole, peak l1 (0 + 800) = 800 and l2 (800 + 200) = 1000
    expect(planChain([l1, l2], tensors, 0)).toMatchObject({ segments: [], peak: 1000 });
    // bands of 2 rows: 2 bands, 4 calls of 200 and 100 B moved; peak 200 + l1's buffer of 5 rows
    const two = planChain([l1, l2], tensors, 900);
    expect(two.peak).toBe(700);
    expect(two.segments.map((s) => [s.first, s.last, s.plan.h, s.plan.extraMacs])).toEqual([[0, 1, 2, 0]]);
    // one row: 8 calls and 300 B moved, l1 buffer 3 rows: 200 + 300
    const one = planChain([l1, l2], tensors, 8 * 200 + 300);
    expect([one.peak, one.cost, one.segments[0]!.plan.h]).toEqual([500, 1900, 1]);
    // a tensor alive beside the chain counts toward every peak
    expect(planChain([l1, l2], tensors, 1900, () => 1000).peak).toBe(1500);
    // a layer alone may need less than its tensors (in place): l2 alone in 300 B beats no bands
    expect(planChain([l1, l2], tensors, 0, () => 0, (k) => (k === 0 ? 800 : 300))).toMatchObject({ segments: [], peak: 800 });
  });

  it('runs a residual block over its input where no later band reads the rows a band writes', () => {
    // identity: two 3x3 stride-1 convs on 8 rows of 10 B; band k writes rows [k, k + 1), band k + 1 reads
    // the input from row k + 1 (the first conv's new row k + 2 needs rows k + 1..k + 3, the ADD row k + 1)
    const a = conv(8, 8, 1, 1, 10, 100);
    const id = planResidual([a, a], undefined, 1, { xRow: 10, oRow: 10, inPlace: true });
    expect(id.delay).toBe(0);
    // the first conv's buffer of 3 rows, one output band
    expect(id.bytes).toBe(30 + 10);
    // a shortcut 1x1 conv reading row k of the input for output row k: band k + 1 reads row k + 1, safe
    const sc = conv(8, 8, 1, 0, 10, 10, 1);
    expect(planResidual([a, a], sc, 1, { xRow: 10, oRow: 10, inPlace: true })).toMatchObject({ delay: 0, bytes: 30 + 10 + 10 });
    // a 5x5 conv in 2-row bands: band k writes rows [2k, 2k + 2), band k + 1 reads from row 2k (its halo), band
    // k + 2 from row 2k + 2: each band waits one band, in the second of two output band buffers
    const wide = conv(8, 8, 1, 2, 10, 100, 5);
    const two = planResidual([wide], undefined, 2, { xRow: 10, oRow: 10, inPlace: true });
    expect(two.delay).toBe(1);
    expect(two.bytes).toBe(2 * 20);
    // not allowed in place: the ADD writes its own tensor, no output band buffer
    expect(planResidual([a, a], undefined, 1, { xRow: 10, oRow: 10, inPlace: false })).toMatchObject({ delay: undefined, bytes: 30 });
  });
});
