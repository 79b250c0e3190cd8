/** Plain-text tables and number formatting for the CLI's human summaries. */
import { describeBand, type BandReport } from '../toolkit/codegen/index.ts';
export function table(rows: (string | number)[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all[0]!.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r: (string | number)[]) => r.map((v, c) => (typeof v === 'number' ? String(v).padStart(widths[c]!) : String(v).padEnd(widths[c]!))).join('  ').trimEnd();
  const out = all.map(line);
  if (header) out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n');
}

export const count = (n: number) => n.toLocaleString('en-US');
export const sci = (x: number | undefined) => (x === undefined ? '-' : x === 0 ? '0' : x.toExponential(2));

/** the native memory plan in a line: which plan, and its banded segments */
export function memoryPlanLine(memory: { plan: string; bands: BandReport[] }): string {
  if (!memory.bands.length) return `${memory.plan} plan: every tensor whole, layer by layer`;
  return `${memory.plan} plan: ${memory.bands.map(describeBand).join('; ')}`;
}
