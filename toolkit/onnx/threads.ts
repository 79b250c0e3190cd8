/** Intra-op threads for onnxruntime sessions. */
import os from 'node:os';

/** The cores the heavy passes of quantization may use (REPARO_THREADS overrides). */
export function computeThreads(): number {
  const asked = Number(process.env.REPARO_THREADS);
  return Number.isInteger(asked) && asked > 0 ? asked : Math.min(8, os.availableParallelism());
}

/**
 * Session options for `threads` intra-op threads. Idle pool threads sleep rather than spin: on a
 * busy host (or beside other test workers) spinning threads take cores the work itself needs.
 * Multithreading does not change results: onnxruntime splits a MatMul's output, never its sums.
 */
export function threadOptions(threads: number): { intraOpNumThreads: number; extra?: Record<string, unknown> } {
  return threads > 1 ? { intraOpNumThreads: threads, extra: { session: { intra_op: { allow_spinning: '0' } } } } : { intraOpNumThreads: 1 };
}
