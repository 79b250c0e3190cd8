/** Per-layer latency: bars in the bench's unit, each with its share of the per-layer total. */
import type { LatencyReport } from '../types.ts';
import { count, isNum, NA, pct } from '../format.ts';
import { COLORS } from './svg.ts';
import { hbars } from './hbars.ts';

/** The unit as every report must say it: QEMU -icount counts instructions, not cycles. */
export function unitLabel(unit: LatencyReport['unit']): string {
  return unit === 'instructions' ? 'instructions (QEMU -icount), not cycles' : 'cycles';
}

export function latencyChart(perLayer: NonNullable<LatencyReport['perLayer']>, unit: LatencyReport['unit']): string {
  const total = perLayer.reduce((a, l) => a + (isNum(l.count) ? l.count : 0), 0);
  const top = perLayer.reduce<number | undefined>((m, l) => (isNum(l.count) && (m === undefined || l.count > m) ? l.count : m), undefined);
  return hbars(
    perLayer.map((l) => ({
      name: l.name,
      detail: l.op,
      value: l.count,
      valueText: isNum(l.count) ? `${count(l.count)} (${total > 0 ? pct(l.count / total, 1) : NA})` : NA,
      fill: COLORS.latency,
      emphasis: l.count === top,
    })),
    { title: `Per-layer latency, one inference — ${unitLabel(unit)}`, axisLabel: unitLabel(unit) },
  );
}
