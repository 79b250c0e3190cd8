/**
 * The MLPerf Tiny DUT loop (firmware-templates/common/mlperf_dut.c) built for the host under
 * AddressSanitizer + UBSan, with the fake backend, in its float32-input + MSE configuration (ad01,
 * the widest buffer arithmetic) and its uint8 one (ic01), fed random byte streams: valid commands
 * with random arguments, damaged ones, random bytes. Each stream must end with exit 0, nothing on
 * stderr, printable reply lines only, and one m-ready per '%' after the boot lines' own.
 */
import fc from 'fast-check';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildHostFirmware, FAKE_APP_DIR } from '../hil/helpers.ts';
import { runSanitized } from './run-sanitized.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, fuzzRuns, fuzzSeed, FuzzTally } from './budget.ts';

const CONFIGS = {
  ad01: ['#define REPARO_MLPERF_INPUT_FLOAT 1', '#define REPARO_MLPERF_INPUT_UINT8 0', '#define REPARO_MLPERF_RESULT_MSE 1'],
  ic01: ['#define REPARO_MLPERF_INPUT_FLOAT 0', '#define REPARO_MLPERF_INPUT_UINT8 1', '#define REPARO_MLPERF_RESULT_MSE 0'],
};
const exes: Record<string, string> = {};

beforeAll(() => {
  for (const [model, lines] of Object.entries(CONFIGS)) {
    const app = mkdtempSync(join(tmpdir(), `reparo-dutfw-${model}-`));
    for (const f of readdirSync(FAKE_APP_DIR)) copyFileSync(join(FAKE_APP_DIR, f), join(app, f));
    const defines = ['#define REPARO_MLPERF_DUT 1', `#define REPARO_MLPERF_MODEL "${model}"`, ...lines, '#define REPARO_INPUT_SCALE 0.5f', '#define REPARO_INPUT_ZERO_POINT (-3)', '#define REPARO_OUTPUT_SCALE 0.25f', '#define REPARO_OUTPUT_ZERO_POINT (7)'];
    writeFileSync(join(app, 'dut_config.h'), defines.join('\n') + '\n');
    writeFileSync(join(app, 'main.c'), '#include "reparo_hil.h"\nint main(void) { reparo_mlperf_dut_main(); }\n');
    exes[model] = buildHostFirmware(app, ['-include', join(app, 'dut_config.h'), '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer']);
  }
}, FUZZ_TIMEOUT_MS);


const hex = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('hex'));
const num = fc.oneof(fc.nat(50), fc.constantFrom(0, 10, 40, 41, 4294967295, 4294967296), fc.nat()).map(String);
const command: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('name', 'profile', 'timestamp', 'help', 'results', 'db', 'db print', 'db load', 'infer', 'db load 10', 'db load 40', 'infer 1 0'),
  num.map((n) => `db load ${n}`),
  hex.map((h) => `db ${h}`),
  fc.tuple(num, num).map(([n, w]) => `infer ${n.slice(0, 2)} ${w.slice(0, 2)}`),
  fc.string({ unit: fc.constantFrom(...'abdefilmnoprstz019 %\r\n'.split('')), maxLength: 40 }),
);
const piece = fc.oneof(
  { weight: 6, arbitrary: command.map((c) => Buffer.from(`${c}%`)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)) },
);

describe('fuzz: mlperf_dut.c on the host under ASan + UBSan', () => {
  it.each(Object.keys(CONFIGS))('%s: random streams, no sanitizer report, one m-ready per command', async (model) => {
    const seed = fuzzSeed(4402);
    const tally = new FuzzTally(`mlperf-dut-${model}`, seed);
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 20 }), async (pieces) => {
        const input = Buffer.concat(pieces);
        const r = await tally.timeAsync(() => runSanitized(exes[model]!, input));
        expect(r.timedOut, 'the firmware hung').toBe(false);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const lines = r.stdout.split('\r\n');
        expect(lines.pop()).toBe('');
        for (const l of lines) expect(l, JSON.stringify(l)).toMatch(/^[\x20-\x7e]*$/);
        expect(lines.slice(0, 3)).toEqual(['m-timestamp-mode-performance', 'm-init-done', 'm-ready']);
        expect(lines.filter((l) => l === 'm-ready').length).toBe(1 + input.filter((b) => b === 0x25).length);
        tally.outcome('clean');
      }),
      fuzzParams(seed, fuzzRuns(100)),
    );
    tally.print();
  }, FUZZ_TIMEOUT_MS);
});
