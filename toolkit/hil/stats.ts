/** Latency statistics over per-run counts (instructions under QEMU -icount, cycles on real boards). */
export type CountUnit = 'instructions' | 'cycles';

export interface LatencyStats {
  unit: CountUnit;
  runs: number;
  min: number;
  median: number;
  p90: number;
  max: number;
  /** every run took the same count (expected under QEMU -icount) */
  identical: boolean;
  /** wall time from the board's clock; only for cycles (instructions have no duration) */
  us?: { min: number; median: number; p90: number };
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new RangeError('percentile of no values');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function latencyStats(counts: readonly number[], unit: CountUnit, clockHz: number): LatencyStats {
  const s = [...counts].sort((a, b) => a - b);
  const stats: LatencyStats = {
    unit,
    runs: s.length,
    min: s[0]!,
    median: percentile(s, 50),
    p90: percentile(s, 90),
    max: s.at(-1)!,
    identical: s[0] === s.at(-1),
  };
  if (unit === 'cycles') {
    const us = (c: number) => (c / clockHz) * 1e6;
    stats.us = { min: us(stats.min), median: us(stats.median), p90: us(stats.p90) };
  }
  return stats;
}
