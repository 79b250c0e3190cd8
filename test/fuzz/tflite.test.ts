/**
 * `reparo check` on mutated .tflite files — reparo's own (a chain of every op the native runtime runs,
 * checked for that runtime too) and TFLite Micro's person_detect — flipped, truncated, overwritten with edge-case
 * 32-bit values and spliced: every input gets a report (never an exception other than a bug, never a
 * hang), a failed check names where and what, and a passing one decodes to a model the writer takes back.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkModel, type CheckOptions } from '../../toolkit/check/index.ts';
import { NATIVE_RUNTIME } from '../../toolkit/codegen/native.ts';
import { readTflite, writeTflite } from '../../toolkit/tflite/index.ts';
import { PERSON_DETECT } from '../tflite/models.ts';
import { nativeChainModel } from './models.ts';
import { resizeConcat } from '../int8/mobile-models.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, fuzzRuns, fuzzSeed, FuzzTally } from './budget.ts';
import { applyMutation, mutation } from './mutate.ts';

const SLOWEST_MS = 5_000;

function fuzzFile(name: string, bytes: Uint8Array, opts: CheckOptions, seed: number, bounded: number): void {
  const tally = new FuzzTally(name, seed);
  fc.assert(
    fc.property(mutation(bytes.length), (m) => {
      const input = applyMutation(bytes, m);
      const report = tally.time(() => checkModel(input, opts));
      expect(report.ok).toBe(report.problems.every((p) => p.severity !== 'error'));
      if (!report.ok) {
        tally.outcome(report.problems[0]!.code);
        for (const p of report.problems) expect(p.where && p.what, JSON.stringify(p)).toBeTruthy();
        return;
      }
      tally.outcome('ok');
      const written = writeTflite(readTflite(input));
      expect(Buffer.compare(writeTflite(readTflite(written)), written)).toBe(0);
    }),
    fuzzParams(fuzzSeed(seed), fuzzRuns(bounded)),
  );
  tally.print();
  expect(tally.slowestMs).toBeLessThan(SLOWEST_MS);
  expect(tally.inputs).toBeGreaterThan(0);
}

describe('fuzz: reparo check on mutated .tflite files', () => {
  it('reparo\'s own chain of every native op (native runtime checked too)', () => {
    fuzzFile('tflite/native-chain', writeTflite(nativeChainModel()), { runtime: NATIVE_RUNTIME }, 1101, 1500);
  }, FUZZ_TIMEOUT_MS);

  it('the mobile-net ops: HARD_SWISH, every resize mode, CONCATENATION (native runtime checked too)', () => {
    fuzzFile('tflite/mobile-ops', writeTflite(resizeConcat([11, 9])), { runtime: NATIVE_RUNTIME }, 1103, 1000);
  }, FUZZ_TIMEOUT_MS);

  it('TFLite Micro\'s person_detect', () => {
    fuzzFile('tflite/person_detect', new Uint8Array(readFileSync(PERSON_DETECT)), {}, 1102, 250);
  }, FUZZ_TIMEOUT_MS);
});
