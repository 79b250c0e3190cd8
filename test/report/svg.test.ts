import { describe, expect, test } from 'vitest';
import { fusionDiagram, latencyChart, memoryLayout, memoryMap, sqnrChart, weightBytes } from '../../toolkit/report/index.ts';
import { checkFit } from '../../toolkit/codegen/emit.ts';
import { findBoard } from '../../toolkit/boards/index.ts';
import { COLORS } from '../../toolkit/report/svg/svg.ts';
import { ramPlanChart } from '../../toolkit/report/svg/ram-plan.ts';
import { SEGMENT_COLORS } from '../../toolkit/report/svg/memory.ts';
import { ModelBuilder } from '../int8/model-builder.ts';
import { fullReport, LAYER_COUNTS, sampleFuse, SIZE, SQNR_DB } from './sample-report.ts';
import { assertWellFormed, badAttributes, count, titledRects } from './svg-check.ts';

const layers = (values: number[]) => values.map((sqnrDb, i) => ({ tensor: `/blocks/blocks.${i}/relu/Relu_output_0`, op: 'CONV_2D', sqnrDb }));

/** Well-formed, no NaN/Infinity/undefined in any attribute, every bar and segment inside the picture. */
function sane(svg: string): string {
  assertWellFormed(svg);
  expect(badAttributes(svg)).toEqual([]);
  const width = Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1]), height = Number(/<svg[^>]* height="([\d.]+)"/.exec(svg)![1]);
  for (const r of titledRects(svg)) {
    expect(r.x).toBeGreaterThanOrEqual(0);
    expect(r.y).toBeGreaterThanOrEqual(0);
    expect(r.x + r.width).toBeLessThanOrEqual(width);
    expect(r.y + r.height).toBeLessThanOrEqual(height);
  }
  return svg;
}

/** widths[i] = k·|values[i]| for one k, up to the 0.1 px rounding of coordinates. */
function expectProportional(widths: number[], values: number[]): void {
  const i = values.findIndex((v) => v !== 0);
  const k = widths[i]! / Math.abs(values[i]!);
  expect(k).toBeGreaterThan(0);
  widths.forEach((w, j) => expect(Math.abs(w - k * Math.abs(values[j]!))).toBeLessThan(0.2));
}

const attr = (tag: string, name: string) => Number(new RegExp(`${name}="([-\\d.]+)"`).exec(tag)![1]);

describe('sqnrChart', () => {
  test('bars proportional to the dB values, every layer labelled, threshold line at its value, worst layer marked', () => {
    const svg = sane(sqnrChart(layers(SQNR_DB), 20));
    const bars = titledRects(svg);
    expect(bars).toHaveLength(SQNR_DB.length);
    expectProportional(bars.map((b) => b.width), SQNR_DB);
    // all bars start at the zero line and have the same height, in row order
    expect(new Set(bars.map((b) => b.x)).size).toBe(1);
    expect(bars.every((b, i) => i === 0 || b.y > bars[i - 1]!.y)).toBe(true);
    for (let i = 0; i < SQNR_DB.length; i++) expect(svg).toContain(`>blocks/blocks.${i}/relu/Relu<`);
    const k = bars[0]!.width / SQNR_DB[0]!;
    const marker = /<line [^>]*stroke="#c8413b"[^>]*stroke-dasharray[^>]*\/>/.exec(svg)![0];
    expect(attr(marker, 'x1')).toBeCloseTo(bars[0]!.x + 20 * k, 0);
    expect(svg).toContain('threshold 20 dB');
    // the worst (lowest) layer is index 5 at 28.5 dB: its value says so and its name is bold
    expect(count(svg, '← worst</text>')).toBe(1);
    expect(svg).toContain('28.5 dB  ← worst');
    expect(svg).toMatch(/font-weight="bold"[^>]*>(<title>[^<]*<\/title>)?blocks\/blocks\.5\/relu\/Relu</);
    expect(bars.every((b) => b.fill === COLORS.bar)).toBe(true);
  });

  test('layers under the threshold are drawn in the warning colour', () => {
    const bars = titledRects(sane(sqnrChart(layers([10, 25, 19.9]), 20)));
    expect(bars.map((b) => b.fill)).toEqual([COLORS.barBad, COLORS.bar, COLORS.barBad]);
  });

  test('negative SQNR extends left of the zero line, still proportional', () => {
    const bars = titledRects(sane(sqnrChart(layers([-5, 10]), 20)));
    expectProportional(bars.map((b) => b.width), [-5, 10]);
    expect(bars[0]!.x + bars[0]!.width).toBeCloseTo(bars[1]!.x, 1);
  });

  test('empty, all-zero and non-finite data (null after a JSON round trip) draw without NaN', () => {
    expect(sane(sqnrChart([], 20))).toContain('no data');
    const zeros = titledRects(sane(sqnrChart(layers([0, 0, 0]), 20)));
    expect(zeros.map((b) => b.width)).toEqual([0, 0, 0]);
    const odd = sane(sqnrChart(layers([NaN, null as unknown as number, -Infinity, 30]), 20));
    expect(titledRects(odd)).toHaveLength(1);
    expect(count(odd, '>n/a')).toBe(3);
    expect(odd).toContain('30.0 dB  ← worst');
  });

  test('long names are shortened on the label and kept whole in the tooltip', () => {
    const long = `/backbone/${'stage'.repeat(20)}/conv/Conv_output_0`;
    const svg = sane(sqnrChart([{ tensor: long, op: 'CONV_2D', sqnrDb: 30 }], 20));
    expect(svg).toContain(`<title>${long}</title>`);
    expect(svg).toMatch(/>…[^<]{33}</);
  });
});

describe('latencyChart', () => {
  const perLayer = LAYER_COUNTS.map((c, i) => ({ name: `layer${i}`, op: 'CONV_2D', count: c }));
  const total = LAYER_COUNTS.reduce((a, b) => a + b, 0);

  test('bars proportional to the counts, each with its share of the total, unit spelled out', () => {
    const svg = sane(latencyChart(perLayer, 'instructions'));
    const bars = titledRects(svg);
    expectProportional(bars.map((b) => b.width), LAYER_COUNTS);
    for (const c of LAYER_COUNTS) expect(svg).toContain(`${c.toLocaleString('en-US')} (${((c / total) * 100).toFixed(1)}%)`);
    const shares = [...svg.matchAll(/\((\d+\.\d)%\)<\/text>/g)].map((m) => +m[1]!);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    expect(svg).toContain('instructions (QEMU -icount), not cycles');
  });

  test('cycles are called cycles', () => {
    const svg = sane(latencyChart(perLayer, 'cycles'));
    expect(svg).toContain('— cycles');
    expect(svg).not.toContain('instructions');
  });

  test('empty and all-zero data', () => {
    expect(sane(latencyChart([], 'cycles'))).toContain('no data');
    const svg = sane(latencyChart(perLayer.map((l) => ({ ...l, count: 0 })), 'instructions'));
    expect(titledRects(svg).map((b) => b.width)).toEqual(LAYER_COUNTS.map(() => 0));
    expect(count(svg, '0 (n/a)</text>')).toBe(LAYER_COUNTS.length);
  });
});

describe('fusionDiagram', () => {
  test('one row per block: its branches side by side, one fused conv, its error', () => {
    const f = sampleFuse();
    const svg = sane(fusionDiagram(f.blocks, 1e-4));
    const rects = titledRects(svg);
    const chips = rects.filter((r) => r.title.includes(': branch '));
    expect(chips).toHaveLength(f.blocks.reduce((a, b) => a + b.kernels.length, 0));
    // the branches of a block share its row and sit side by side
    for (const b of f.blocks) {
      const own = chips.filter((c) => c.title.startsWith(`${b.output}:`));
      expect(own.map((c) => c.title.split('branch ')[1])).toEqual(b.kernels);
      expect(new Set(own.map((c) => c.y)).size).toBe(1);
      own.forEach((c, i) => i && expect(c.x).toBeGreaterThanOrEqual(own[i - 1]!.x + own[i - 1]!.width));
    }
    expect(rects.filter((r) => r.fill === COLORS.fused)).toHaveLength(6);
    expect(count(svg, '>3x3 conv<')).toBe(6);
    for (const b of f.blocks) expect(svg).toContain(`>${b.maxRel!.toExponential(2)}<`);
    expect(svg).toContain('6 of 6 blocks became one conv');
  });

  test('a block left multi-path is red, an error over the tolerance is red, a lost error (null) says n/a', () => {
    const f = sampleFuse();
    f.blocks[1] = { ...f.blocks[1]!, singlePath: false, fusedKernel: undefined };
    f.blocks[2] = { ...f.blocks[2]!, maxRel: 3e-3 };
    f.blocks[3] = { ...f.blocks[3]!, maxRel: null as unknown as number };
    const svg = sane(fusionDiagram(f.blocks, 1e-4));
    expect(titledRects(svg).filter((r) => r.fill === COLORS.notFused)).toHaveLength(1);
    expect(svg).toContain('>not fused<');
    expect(svg).toContain(`fill="${COLORS.barBad}">3.00e-3<`);
    expect(svg).toContain(`fill="${COLORS.barBad}">n/a<`);
    expect(svg).toContain('5 of 6 blocks');
  });

  test('22 blocks (RepVGG-A0) stay readable: separate rows, nothing outside the picture (sane), many branches widen it', () => {
    const f = sampleFuse();
    const blocks = Array.from({ length: 22 }, (_, i) => ({ ...f.blocks[0]!, output: `/stage${i >> 2}/block${i}/Add_output_0`, kernels: i === 7 ? Array(12).fill('1x1') : ['3x3', '1x1', 'id'] }));
    const svg = sane(fusionDiagram(blocks, 1e-4));
    const fusedBoxes = titledRects(svg).filter((r) => r.fill === COLORS.fused);
    expect(fusedBoxes).toHaveLength(22);
    fusedBoxes.forEach((r, i) => i && expect(r.y - fusedBoxes[i - 1]!.y).toBeGreaterThanOrEqual(20));
    expect(Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1])).toBeGreaterThan(1040);
    expect(Math.min(...[...svg.matchAll(/font-size="(\d+)"/g)].map((m) => +m[1]!))).toBeGreaterThanOrEqual(10);
  });

  test('no blocks', () => {
    expect(sane(fusionDiagram([], 1e-4))).toContain('no re-parameterizable blocks');
  });
});

describe('memory', () => {
  const board = findBoard('qemu-mps2-an386');
  const fit = fullReport().stages.emit!.fit;

  test('weightBytes counts what checkFit lists as weights: every constant tensor of a real model', () => {
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 6], { scale: 0.03, zeroPoint: 2 });
    const w = b.int8('w', [4, 6], { scale: 0.02 }, Array.from({ length: 24 }, (_, i) => i - 12));
    const bias = b.int32('b', [4], [1, -2, 3, -4], { scale: 0.0006 });
    const y = b.int8('y', [1, 4], { scale: 0.01, zeroPoint: -4 });
    b.op({ op: 'FULLY_CONNECTED', inputs: [x, w, bias], outputs: [y], activation: 'NONE', keepNumDims: false });
    const model = b.build([x], [y]);
    const constBytes = model.tensors.reduce((a, t) => a + (t.data?.length ?? 0), 0);
    expect(constBytes).toBe(24 + 16);
    expect(weightBytes(checkFit(model, board))).toBe(constBytes);
  });

  test('after a build the segments add up to the linker sizes', () => {
    const bars = memoryLayout(board, fit, 6736, SIZE);
    const sum = (i: number) => bars[i]!.segments.reduce((a, s) => a + s.bytes, 0);
    expect(bars.map((b) => b.name)).toEqual(['flash', 'RAM']);
    expect(sum(0)).toBe(SIZE.flashUsed);
    expect(sum(1)).toBe(SIZE.ramUsed);
    expect(bars[0]!.segments.find((s) => s.kind === 'weights')!.bytes).toBe(4 * 9216 + 4608 + 2304 + 320);
    expect(bars[1]!.segments.find((s) => s.kind === 'arena')!.bytes).toBe(6736);
    expect(bars[1]!.segments.find((s) => s.kind === 'stack')!.bytes).toBe(16384);
    expect(bars.every((b) => !b.estimate)).toBe(true);
  });

  test('before a build (stopped at emit) the fit check is the estimate', () => {
    const bars = memoryLayout(board, fit, 6736);
    expect(bars.map((b) => b.segments.reduce((a, s) => a + s.bytes, 0))).toEqual([fit.flash.needed, fit.ram.needed]);
    expect(bars.every((b) => b.estimate)).toBe(true);
    expect(sane(memoryMap(bars, board.name))).toContain('estimate from the fit check');
    expect(memoryLayout(board)).toEqual([]);
  });

  test('stacked bars: segment widths proportional to bytes over the board total, the enlarged bar over the used part, free-for-model line', () => {
    const bars = memoryLayout(board, fit, 6736, SIZE);
    const svg = sane(memoryMap(bars, board.name));
    const rects = titledRects(svg);
    for (const [i, bar] of bars.entries()) {
      const segs = rects.filter((r) => r.title.startsWith(`${bar.name} `) && !r.title.includes('free'));
      // whole bar, then the enlarged one: each segment twice
      expect(segs).toHaveLength(2 * bar.segments.length);
      const whole = segs.slice(0, bar.segments.length), zoom = segs.slice(bar.segments.length);
      const bytes = bar.segments.map((s) => s.bytes);
      expectProportional(whole.map((r) => r.width), bytes);
      expectProportional(zoom.map((r) => r.width), bytes);
      const frame = rects.find((r) => r.title === `${bar.name}: ${bar.total - bytes.reduce((a, b) => a + b, 0)} bytes free`)!;
      expect(frame.fill).toBe(COLORS.free);
      expect(whole.reduce((a, r) => a + r.width, 0)).toBeCloseTo((frame.width * bytes.reduce((a, b) => a + b, 0)) / bar.total, 0);
      expect(zoom.reduce((a, r) => a + r.width, 0)).toBeCloseTo(frame.width, 0);
      // segments follow each other without gaps
      zoom.forEach((r, j) => j && expect(r.x).toBeCloseTo(zoom[j - 1]!.x + zoom[j - 1]!.width, 0));
      const lines = [...svg.matchAll(/<line [^>]*stroke-dasharray="4 3"[^>]*\/>/g)].map((m) => m[0]);
      expect(attr(lines[i]!, 'x1')).toBeCloseTo(frame.x + (frame.width * bar.freeForModel) / bar.total, 0);
      expect(whole.map((r) => r.fill)).toEqual(bar.segments.map((s) => SEGMENT_COLORS[s.kind]));
    }
    expect(svg).toContain('free for model 3.94 MiB');
    expect(svg).toContain('board total 4.00 MiB');
    expect(svg).toContain('weights 43.1 KiB');
  });

  test('an image bigger than the board scales to what it needs and says so; empty and zero data draw without NaN', () => {
    const over = [{ name: 'flash' as const, total: 1000, freeForModel: 800, estimate: false, segments: [{ kind: 'weights' as const, label: 'weights', bytes: 1500 }] }];
    const svg = sane(memoryMap(over, 'tiny'));
    const seg = titledRects(svg).find((r) => r.title.startsWith('flash weights'))!;
    const frame = titledRects(svg).find((r) => r.title.includes('free'))!;
    expect(seg.width).toBeCloseTo(frame.width, 0);
    expect(svg).toContain(`fill="${COLORS.barBad}">flash: 1.5 KiB used of 1000 B (150.0%)`);
    expect(sane(memoryMap([], 'x'))).toContain('no memory figures');
    sane(memoryMap([{ name: 'RAM', total: 4096, freeForModel: 2048, estimate: true, segments: [] }], 'x'));
  });
});

describe('ramPlanChart', () => {
  test('per op two bars proportional to the bytes (reparo, TFLM), banded ops marked, from a real plan', () => {
    const plan = {
      plan: 'smallest' as const,
      ops: ['CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'AVERAGE_POOL_2D'],
      bands: [{ first: 0, last: 2, rows: 3, bands: 8, extraMacs: 0, movedBytes: 1234 }],
      ramByOp: [5000, 7000, 6000, 1000],
      tflmRamByOp: [20000, 32000, 30000, 4000],
    };
    const svg = sane(ramPlanChart(plan));
    const rects = titledRects(svg);
    const bars = (who: string) => rects.filter((r) => r.title.includes(`: ${who} `));
    expectProportional([...bars('reparo'), ...bars('TFLM')].map((r) => r.width), [...plan.ramByOp, ...plan.tflmRamByOp]);
    expect(bars('reparo').map((r) => r.title.split(':')[0])).toEqual(['#0 CONV_2D', '#1 DEPTHWISE_CONV_2D', '#2 CONV_2D', '#3 AVERAGE_POOL_2D']);
    // three ops carry the band marker, the pool does not; the first says how the segment runs
    expect(rects.filter((r) => r.title === 'ops 0-2 in 8 bands of 3 rows (1,234 B of halo rows carried)')).toHaveLength(3);
    expect(svg).toContain('8 bands × 3 rows');
  });
});
