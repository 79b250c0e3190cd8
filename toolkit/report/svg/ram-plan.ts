/**
 * RAM over the layer sequence: per op, the arena in use while it runs under reparo's plan and under
 * TFLM's greedy planner, side by side; the ops of each banded segment (row bands) marked at the left.
 */
import type { MemoryPlanReport } from '../../codegen/emit.ts';
import { describeBand } from '../../codegen/native.ts';
import { kib } from '../format.ts';
import { COLORS, line, niceTicks, rect, svgDoc, text, tickLabel } from './svg.ts';

export const RAM_PLAN_LAYOUT = { width: 1040, name: 150, plotLeft: 260, plotWidth: 640, top: 56, row: 22, bar: 8, bottom: 44 } as const;
const REPARO = '#2e8b57';
const TFLM = '#9aa5b1';
const BAND = '#d9822b';

export function ramPlanChart(m: MemoryPlanReport): string {
  const L = RAM_PLAN_LAYOUT;
  const title = `RAM per layer: reparo's ${m.plan} plan against TFLM's planner`;
  const hi = Math.max(1, ...m.ramByOp, ...m.tflmRamByOp);
  const sx = (v: number) => L.plotLeft + (v / hi) * L.plotWidth;
  const bottom = L.top + m.ops.length * L.row;
  const out: string[] = [
    text(0, 16, title, { size: 14, weight: 'bold' }),
    rect(L.plotLeft, 26, 12, 10, REPARO), text(L.plotLeft + 16, 35, 'reparo arena', { size: 11 }),
    rect(L.plotLeft + 120, 26, 12, 10, TFLM), text(L.plotLeft + 136, 35, 'TFLM planner (its arena also holds the input and output)', { size: 11 }),
    rect(L.plotLeft + 470, 26, 12, 10, BAND), text(L.plotLeft + 486, 35, 'run in row bands', { size: 11 }),
  ];
  for (const t of niceTicks(0, hi)) {
    out.push(line(sx(t), L.top - 4, sx(t), bottom, COLORS.grid));
    out.push(text(sx(t), bottom + 14, tickLabel(t), { anchor: 'middle', size: 11, fill: COLORS.muted }));
  }
  out.push(text(L.plotLeft + L.plotWidth / 2, bottom + 32, 'bytes in use', { anchor: 'middle', size: 11, fill: COLORS.muted }));
  m.ops.forEach((op, i) => {
    const y = L.top + i * L.row;
    const band = m.bands.find((b) => b.first <= i && i <= b.last);
    if (band) out.push(rect(0, y + 3, 4, L.row - 6, BAND, { title: describeBand(band) }));
    out.push(text(10, y + L.row / 2 + 4, `#${i} ${op}`, { size: 11 }));
    if (band && i === band.first) out.push(text(L.name, y + L.row / 2 + 4, `${band.bands} bands × ${band.rows} rows`, { size: 10, fill: BAND }));
    const r = m.ramByOp[i] ?? 0, t = m.tflmRamByOp[i] ?? 0;
    out.push(rect(L.plotLeft, y + 2, sx(r) - L.plotLeft, L.bar, REPARO, { title: `#${i} ${op}: reparo ${r} bytes (${kib(r)})` }));
    out.push(rect(L.plotLeft, y + 3 + L.bar, sx(t) - L.plotLeft, L.bar, TFLM, { title: `#${i} ${op}: TFLM ${t} bytes (${kib(t)})` }));
    out.push(text(Math.max(sx(r), sx(t)) + 6, y + L.row / 2 + 4, `${kib(r)} / ${kib(t)}`, { size: 10, fill: COLORS.muted }));
  });
  out.push(line(L.plotLeft, L.top - 4, L.plotLeft, bottom, COLORS.axis));
  return svgDoc(L.width, bottom + L.bottom, title, out);
}
