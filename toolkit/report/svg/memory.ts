/**
 * The memory map against the board: flash and RAM as stacked bars over the board's total, with the
 * "free for model" line. Model parts are often a sliver of a big board, so a second bar enlarges the
 * used part whenever it is under a quarter of the total.
 */
import type { MemoryBar, SegmentKind } from '../memory-layout.ts';
import { kib, pct } from '../format.ts';
import { COLORS, line, rect, svgDoc, text } from './svg.ts';

export const SEGMENT_COLORS: Record<SegmentKind, string> = {
  weights: '#3b6fb6',
  code: '#7b8a9a',
  data: '#9cc3a5',
  arena: '#2e8b57',
  bss: '#b6a2d6',
  stack: '#e8a33d',
};

export const MEMORY_LAYOUT = { width: 1040, left: 130, barWidth: 800, bar: 28, detail: 20 } as const;

/** Draws `segments` from `x` with `scale` px per byte; labels inside segments wide enough for them. */
function stacked(bar: MemoryBar, x: number, y: number, h: number, scale: number, inline: boolean): string[] {
  const out: string[] = [];
  for (const s of bar.segments) {
    const w = s.bytes * scale;
    out.push(rect(x, y, w, h, SEGMENT_COLORS[s.kind], { title: `${bar.name} ${s.label}: ${s.bytes} bytes (${kib(s.bytes)})` }));
    const t = `${s.label} ${kib(s.bytes)}`;
    if (inline && w > t.length * 6.2 + 10) out.push(text(x + w / 2, y + h / 2 + 4, t, { anchor: 'middle', size: 11, fill: '#ffffff' }));
    x += w;
  }
  return out;
}

function memoryRow(bar: MemoryBar, y: number): { svg: string[]; height: number } {
  const L = MEMORY_LAYOUT;
  const used = bar.segments.reduce((a, s) => a + s.bytes, 0);
  const full = Math.max(bar.total, used, 1);
  const scale = L.barWidth / full, sx = (b: number) => L.left + b * scale;
  const out: string[] = [];
  const over = used > bar.total;
  out.push(text(0, y + 14, `${bar.name}: ${kib(used)} used of ${kib(bar.total)} (${pct(used / Math.max(bar.total, 1), 1)})${bar.estimate ? ' — estimate from the fit check, before the build' : ''}`, { size: 13, weight: 'bold', fill: over ? COLORS.barBad : COLORS.text }));
  const by = y + 26;
  out.push(text(L.left - 8, by + L.bar / 2 + 4, 'whole', { anchor: 'end', size: 11, fill: COLORS.muted }));
  out.push(rect(L.left, by, L.barWidth, L.bar, COLORS.free, { stroke: '#c5cad1', title: `${bar.name}: ${bar.total - used} bytes free` }));
  out.push(...stacked(bar, L.left, by, L.bar, scale, true));
  const ffm = sx(Math.min(bar.freeForModel, full));
  out.push(line(ffm, by - 6, ffm, by + L.bar + 6, COLORS.marker, { dash: '4 3', width: 1.5 }));
  // the label reads leftwards from the line, unless the line sits too near the bar's start
  out.push(text(ffm, by + L.bar + 18, `free for model ${kib(bar.freeForModel)}`, { anchor: ffm - L.left > 200 ? 'end' : 'start', size: 11, fill: COLORS.marker }));
  out.push(text(sx(bar.total), by - 8, `board total ${kib(bar.total)}`, { anchor: 'end', size: 11, fill: over ? COLORS.barBad : COLORS.muted }));
  if (over) out.push(line(sx(bar.total), by - 4, sx(bar.total), by + L.bar + 4, COLORS.barBad, { width: 2 }));
  let yy = by + L.bar + 26;
  if (used > 0 && used < full / 4) {
    out.push(text(L.left - 8, yy + L.detail / 2 + 4, 'used, enlarged', { anchor: 'end', size: 11, fill: COLORS.muted }));
    out.push(...stacked(bar, L.left, yy, L.detail, L.barWidth / used, true));
    yy += L.detail + 10;
  }
  let lx = L.left;
  for (const s of bar.segments) {
    const t = `${s.label} ${kib(s.bytes)} (${pct(s.bytes / used, 0)})`;
    out.push(rect(lx, yy + 3, 10, 10, SEGMENT_COLORS[s.kind]));
    out.push(text(lx + 14, yy + 12, t, { size: 11 }));
    lx += 14 + t.length * 6.2 + 16;
  }
  return { svg: out, height: yy + 24 - y };
}

export function memoryMap(bars: readonly MemoryBar[], boardName: string): string {
  const title = `Memory map on ${boardName}`;
  const out: string[] = [text(0, 16, title, { size: 14, weight: 'bold' })];
  if (!bars.length) return svgDoc(MEMORY_LAYOUT.width, 60, title, [...out, text(0, 44, 'no memory figures (the deploy stopped before emit)', { fill: COLORS.muted })]);
  let y = 28;
  for (const b of bars) {
    const r = memoryRow(b, y);
    out.push(...r.svg);
    y += r.height + 12;
  }
  return svgDoc(MEMORY_LAYOUT.width, y, title, out);
}
