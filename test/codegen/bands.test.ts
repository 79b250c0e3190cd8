import { describe, expect, it } from 'vitest';
import { bandSteps, planChain, planSegment, type BandLayer } from '../../toolkit/codegen/native/bands.ts';

// a 3x3 stride-1 SAME conv on 8 rows, then a 3x3 stride-2 SAME conv to 4 rows (TFLite pads 0 above, 1 below)
const conv = (IH: number, OH: number, SH: number, PT: number, rowBytes: number, rowMacs: number): BandLayer => ({ IH, OH, KH: 3, SH, DH: 1, PT, rowBytes, rowMacs, scratch: () => 0 });
const l1 = conv(8, 8, 1, 1, 100, 1000);
const l2 = conv(8, 4, 2, 0, 50, 500);

describe('row bands', () => {
  it('computes each layer\'s rows of a band backwards from the last layer (receptive fields, padding)', () => {
    // bands of 2 output rows of l2: rows 0-1 need l2 input rows 0..4 (row 1's window is rows 2-4), which l1
    // computes from its input rows 0..5 with 1 padding row above; rows 2-3 need 4..7 (row 8 is padding),
    // from l1 input rows 3..7
    expect(bandSteps([l1, l2], 2)).toEqual([
      [{ a: 0, b: 5, c: 0, d: 6, pt: 1 }, { a: 0, b: 2, c: 0, d: 5, pt: 0 }],
      [{ a: 4, b: 8, c: 3, d: 8, pt: 0 }, { a: 2, b: 4, c: 4, d: 8, pt: 0 }],
    ]);
    // one row per band: l1 recomputes the row it shares with the band before (halo)
    const steps = bandSteps([l1, l2], 1);
    expect(steps.map((s) => [s[0]!.a, s[0]!.b])).toEqual([[0, 3], [2, 5], [4, 7], [6, 8]]);
  });

  it('sizes the band buffers and counts the recomputed MACs', () => {
    const p = planSegment([l1, l2], 1);
    // l1's band buffer holds its largest band (3 rows); l1 computes 2 + 3 + 3 + 3 = 11 rows for its 8
    expect(p.bandBytes).toEqual([300]);
    expect(p.extraMacs).toBe(3 * 1000);
    expect(p.macs).toBe(8 * 1000 + 4 * 500);
  });

  it('chooses segments and heights for the smallest peak within the MAC budget', () => {
    // tensors: the chain input is the model input (0 bytes in the arena), l1's output 800 B, l2's 200 B
    const tensors = [0, 800, 200];
    // no budget: every tensor whole, peak l1 (0 + 800) = 800 and l2 (800 + 200) = 1000
    expect(planChain([l1, l2], tensors, 0)).toMatchObject({ segments: [], peak: 1000 });
    // every height recomputes at least one l1 row (1000 MACs): half of that buys nothing
    expect(planChain([l1, l2], tensors, 500)).toMatchObject({ segments: [], peak: 1000 });
    // one row: 2 bands (l1 buffer 5 rows: peak 200 + 500) beat 3 rows a band (l1 buffer 7 rows)
    const two = planChain([l1, l2], tensors, 1000);
    expect(two.peak).toBe(700);
    expect(two.segments.map((s) => [s.first, s.last, s.plan.h, s.plan.extraMacs])).toEqual([[0, 1, 2, 1000]]);
    // a budget of 3 recomputed rows allows one-row bands: 200 + 300
    const one = planChain([l1, l2], tensors, 3000);
    expect([one.peak, one.extraMacs, one.segments[0]!.plan.h]).toEqual([500, 3000, 1]);
    // a tensor alive beside the chain counts toward every peak
    expect(planChain([l1, l2], tensors, 3000, () => 1000).peak).toBe(1500);
  });
});
