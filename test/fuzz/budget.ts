/**
 * How much each fuzz suite runs. `npm test` runs a bounded count (each suite well under 30 s);
 * `npm run fuzz` sets REPARO_FUZZ_DEEP=1 for at least 10,000 inputs per parser. REPARO_FUZZ_RUNS
 * overrides the count and REPARO_FUZZ_SEED the seed; every suite prints both so a failure replays.
 */
import type { Parameters } from 'fast-check';

export const DEEP = process.env.REPARO_FUZZ_DEEP === '1';
export const DEEP_RUNS = 10_000;
/** per-suite timeout: vitest's default in bounded runs, an hour in deep ones */
export const FUZZ_TIMEOUT_MS = DEEP ? 3_600_000 : 60_000;

export function fuzzRuns(bounded: number): number {
  const forced = Number(process.env.REPARO_FUZZ_RUNS);
  if (Number.isInteger(forced) && forced > 0) return forced;
  return DEEP ? DEEP_RUNS : bounded;
}

export function fuzzSeed(fallback: number): number {
  const s = Number(process.env.REPARO_FUZZ_SEED);
  return Number.isInteger(s) ? s : fallback;
}

/** fast-check parameters: seeded, counted, and in bounded runs stopped by time (counted honestly). */
export function fuzzParams<T>(seed: number, numRuns: number, boundedMs = 20_000): Parameters<T> {
  return DEEP || process.env.REPARO_FUZZ_RUNS ? { seed, numRuns, endOnFailure: true } : { seed, numRuns, endOnFailure: true, interruptAfterTimeLimit: boundedMs, markInterruptAsFailure: false };
}

/** Counts inputs and the slowest one, so that a near-hang shows even when no timeout fires. */
export class FuzzTally {
  inputs = 0;
  slowestMs = 0;
  readonly outcomes = new Map<string, number>();
  constructor(readonly name: string, readonly seed: number) {}

  time<T>(f: () => T): T {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      this.done(performance.now() - t0);
    }
  }
  async timeAsync<T>(f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.done(performance.now() - t0);
    }
  }
  outcome(what: string): void {
    this.outcomes.set(what, (this.outcomes.get(what) ?? 0) + 1);
  }
  private done(ms: number): void {
    this.inputs++;
    this.slowestMs = Math.max(this.slowestMs, ms);
  }
  print(): void {
    const outcomes = [...this.outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`fuzz ${this.name}: seed ${this.seed}, ${this.inputs} inputs, slowest ${this.slowestMs.toFixed(0)} ms; ${outcomes} (replay: REPARO_FUZZ_SEED=${this.seed} REPARO_FUZZ_RUNS=${this.inputs})`);
  }
}
