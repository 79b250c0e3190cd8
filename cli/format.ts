/** Plain-text tables and number formatting for the CLI's human summaries. */
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
export function memoryPlanLine(memory: { plan: string; bands: { first: number; last: number; rows: number; bands: number; extraMacs: number; inPlace?: boolean }[] }): string {
  if (!memory.bands.length) return `${memory.plan} plan: every tensor whole, layer by layer`;
  const segs = memory.bands.map((b) =>
    b.inPlace ? `op ${b.first} in place (${b.bands} bands of ${b.rows} rows)` : `ops ${b.first}-${b.last} in ${b.bands} bands of ${b.rows} rows (+${count(b.extraMacs)} MACs)`,
  );
  return `${memory.plan} plan: ${segs.join('; ')}`;
}
