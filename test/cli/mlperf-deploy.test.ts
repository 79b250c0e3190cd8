/**
 * A third-party model and no data set, as a new user has them: `reparo deploy` of each of the five
 * MLPerf Tiny reference models onto the virtual Cortex-M4 validates the board bit-exact on seeded
 * random inputs and says so. The oracle: the host int8 interpreter, itself byte for byte with real
 * TFLite Micro on these models (test/int8/mlperf.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reparo } from '../helpers/cli.ts';

const MLPERF = new URL('../../../shared/models/mlperf/', import.meta.url).pathname;
process.env.REPARO_STATE_DIR = mkdtempSync(join(tmpdir(), 'reparo-state-'));

describe.skipIf(!existsSync(MLPERF))('reparo deploy of the MLPerf Tiny models without data (needs shared/models/mlperf)', () => {
  // vww's 27 KB input takes a few seconds per sample over the HIL line: fewer samples for it
  it.each([
    ['ad01_int8', 20],
    ['kws_ref_model', 20],
    ['str_ww_ref_model', 20],
    ['pretrainedResnet_quant', 8],
    ['vww_96_int8', 3],
  ])('%s: validated bit-exact on %i seeded random inputs', (name, samples) => {
    const out = mkdtempSync(join(tmpdir(), `reparo-${name}-`));
    const args = ['deploy', join(MLPERF, `${name}.tflite`), '--board', 'qemu-mps2-an386', '--out', out, '--runs', '2', '--warmup', '0', '--json'];
    const r = reparo(samples === 20 ? args : [...args, '--samples', String(samples)]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.validate).toEqual({ samples, inputs: 'random', bit_exact: samples, device_top1: null, host_top1: null });
    const report = JSON.parse(readFileSync(join(out, 'deploy-report.json'), 'utf8'));
    expect(report.stages.validate.inputs).toEqual({ kind: 'random', seed: 1 });
    expect(readFileSync(join(out, 'deploy-report.html'), 'utf8')).toMatch(/seeded random int8 inputs, no data given/);
  }, 180_000);

  it('the text summary says the inputs were random', () => {
    const out = mkdtempSync(join(tmpdir(), 'reparo-ad01-text-'));
    const r = reparo(['deploy', join(MLPERF, 'ad01_int8.tflite'), '--board', 'qemu-mps2-an386', '--out', out, '--runs', '2', '--samples', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/validate\s+4\/4 outputs bit-exact with the host int8 reference\n/);
    expect(r.stdout).toMatch(/inputs\s+4 seeded random int8 inputs, no data given \(seed 1: all −128, all 127, then uniform\): bit-exactness only, no accuracy/);
  }, 180_000);
});
