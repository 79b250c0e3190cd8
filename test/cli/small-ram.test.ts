/**
 * A part with 64 KiB of RAM (nRF52832, STM32L432): the virtual board qemu-mps2-an386-64k links the
 * firmware into 64 KiB. person_detect's TFLM arena and reparo's fastest plan do not fit it; `reparo deploy`
 * picks the smallest plan (conv chains in row bands), says so, and the board validates bit-exact.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reparo } from '../helpers/cli.ts';

const PERSON = new URL('../../../shared/models/person_detect.tflite', import.meta.url).pathname;
const BOARD = 'qemu-mps2-an386-64k';
process.env.REPARO_STATE_DIR = mkdtempSync(join(tmpdir(), 'reparo-state-'));

describe.skipIf(!existsSync(PERSON))('a 64 KiB RAM board: person_detect fits only in row bands', () => {
  it('TFLM and the fastest plan are refused with the numbers; deploy chooses the smallest plan and validates bit-exact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reparo-small-ram-'));
    for (const args of [['--runtime', 'tflm'], ['--memory', 'fastest']]) {
      const r = reparo(['emit', PERSON, '--board', BOARD, '-o', join(dir, 'refused'), ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/E_FIT.*RAM [\d.]+ KiB > 56\.0 KiB free/);
      expect(r.stderr).toMatch(/--memory smallest/);
      expect(existsSync(join(dir, 'refused'))).toBe(false);
    }
    const r = reparo(['deploy', PERSON, '--board', BOARD, '--out', join(dir, 'deploy'), '--samples', '3', '--runs', '2', '--warmup', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.memory.plan).toBe('smallest');
    expect(j.memory.ram_bytes).toBeLessThanOrEqual(64 * 1024);
    expect(j.memory.arena_bytes).toBeLessThan(32 * 1024);
    expect(j.validate).toEqual({ samples: 3, inputs: 'random', bit_exact: 3, device_top1: null, host_top1: null });
    // the HTML report draws RAM per layer for both planners, the banded layers marked
    const html = readFileSync(join(dir, 'deploy', 'deploy-report.html'), 'utf8');
    expect(html).toContain('RAM per layer: reparo&#39;s smallest plan against TFLM&#39;s planner');
    expect(html).toMatch(/<title>ops 0-3 in \d+ bands of \d+ rows? \([\d,]+ B of halo rows carried\)/);
  }, 180_000);
});
