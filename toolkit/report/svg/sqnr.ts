/** Per-layer int8 error: SQNR bars in dB, a threshold line, the worst layer labelled. */
import type { LayerSqnr } from '../types.ts';
import { isNum, NA } from '../format.ts';
import { COLORS } from './svg.ts';
import { hbars } from './hbars.ts';

export function sqnrChart(layers: readonly LayerSqnr[], thresholdDb: number): string {
  const finite = layers.filter((l) => isNum(l.sqnrDb));
  const worst = finite.length ? finite.reduce((a, b) => (b.sqnrDb < a.sqnrDb ? b : a)) : undefined;
  return hbars(
    layers.map((l) => ({
      name: l.tensor,
      detail: l.op,
      value: l.sqnrDb,
      valueText: (isNum(l.sqnrDb) ? `${l.sqnrDb.toFixed(1)} dB` : NA) + (l === worst ? '  ← worst' : ''),
      fill: isNum(l.sqnrDb) && l.sqnrDb < thresholdDb ? COLORS.barBad : COLORS.bar,
      emphasis: l === worst,
    })),
    {
      title: 'Per-layer int8 error: SQNR of the int8 activations against float (dB, higher is better)',
      axisLabel: 'SQNR (dB)',
      marker: { value: thresholdDb, label: `threshold ${thresholdDb} dB` },
    },
  );
}
