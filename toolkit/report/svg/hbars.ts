/** Horizontal bars, one row per layer (names are long, so they go left of the bars), with an optional marker line. */
import { isNum, shortName } from '../format.ts';
import { COLORS, line, niceTicks, rect, svgDoc, text, tickLabel } from './svg.ts';

export interface HBar {
  name: string;
  /** a second, grey label (the op) */
  detail?: string;
  /** non-finite: no bar, the value text says why */
  value: number;
  valueText: string;
  fill: string;
  emphasis?: boolean;
}

export interface HBarsOptions {
  title: string;
  axisLabel: string;
  /** a vertical line at a value, e.g. a threshold */
  marker?: { value: number; label: string };
}

export const HBARS_LAYOUT = { width: 1040, nameRight: 236, detailLeft: 244, plotLeft: 360, plotWidth: 520, top: 40, row: 22, bar: 14, bottom: 44 } as const;

export function hbars(bars: readonly HBar[], o: HBarsOptions): string {
  const L = HBARS_LAYOUT;
  if (!bars.length) return svgDoc(L.width, 60, o.title, [text(0, 16, o.title, { size: 14, weight: 'bold' }), text(0, 44, 'no data', { fill: COLORS.muted })]);
  const values = bars.map((b) => b.value).filter(isNum);
  if (o.marker && isNum(o.marker.value)) values.push(o.marker.value);
  const lo = Math.min(0, ...values), hi = Math.max(0, ...values);
  const span = hi - lo > 0 ? hi - lo : 1;
  const sx = (v: number) => L.plotLeft + ((v - lo) / span) * L.plotWidth;
  const plotBottom = L.top + bars.length * L.row;
  const out: string[] = [text(0, 16, o.title, { size: 14, weight: 'bold' })];
  for (const t of niceTicks(lo, lo + span)) {
    out.push(line(sx(t), L.top - 4, sx(t), plotBottom, COLORS.grid));
    out.push(text(sx(t), plotBottom + 14, tickLabel(t), { anchor: 'middle', size: 11, fill: COLORS.muted }));
  }
  out.push(text(L.plotLeft + L.plotWidth / 2, plotBottom + 32, o.axisLabel, { anchor: 'middle', size: 11, fill: COLORS.muted }));
  bars.forEach((b, i) => {
    const y = L.top + i * L.row;
    const base = y + L.row / 2 + 4;
    const weight = b.emphasis ? 'bold' : 'normal';
    out.push(text(L.nameRight, base, shortName(b.name, 34), { anchor: 'end', weight, title: b.name }));
    if (b.detail) out.push(text(L.detailLeft, base, b.detail, { size: 10, fill: COLORS.muted }));
    let end = sx(0);
    if (isNum(b.value)) {
      const x0 = Math.min(sx(0), sx(b.value));
      end = Math.max(sx(0), sx(b.value));
      out.push(rect(x0, y + (L.row - L.bar) / 2, end - x0, L.bar, b.fill, { title: `${b.name}: ${b.valueText}` }));
    }
    out.push(text(end + 6, base, b.valueText, { size: 11, weight }));
  });
  out.push(line(sx(0), L.top - 4, sx(0), plotBottom, COLORS.axis));
  if (o.marker && isNum(o.marker.value)) {
    const x = sx(o.marker.value);
    out.push(line(x, L.top - 8, x, plotBottom, COLORS.marker, { dash: '5 3', width: 1.5 }));
    out.push(text(x, L.top - 12, o.marker.label, { anchor: 'middle', size: 11, fill: COLORS.marker }));
  }
  return svgDoc(L.width, plotBottom + L.bottom, o.title, out);
}
