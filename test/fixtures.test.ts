/**
 * Every PyTorch fixture (TorchScript exporter, opset 13; dynamo exporter, opset 18 with external
 * data), fused from the CLI as a new user would: single-path, and equal to PyTorch's own outputs on
 * 1000 real test images within 1e-5 of the output range.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOnnx, openInOrt } from '../toolkit/onnx/index.ts';
import { openDataset } from '../toolkit/data/index.ts';
import { reparo } from './helpers/cli.ts';

const FIX = new URL('./fixtures/', import.meta.url).pathname;
const SAMPLE = new URL('../examples/fashion-mnist/data/', import.meta.url).pathname;
const images = openDataset(join(SAMPLE, 't10k-1000-images-idx3-ubyte.gz'), [1, 1, 28, 28]);
const labels = images.labels!;
const fixtures = ['', 'dynamo/'].flatMap((d) => readdirSync(join(FIX, d)).filter((f) => f.endsWith('.onnx')).map((f) => d + f));
const out = mkdtempSync(join(tmpdir(), 'reparo-fixtures-'));

describe.each(fixtures)('fixture %s', (fixture) => {
  it('fuses to one conv per block and matches PyTorch on 1000 test images', async () => {
    const base = fixture.replace(/\.onnx$/, '');
    const meta = JSON.parse(readFileSync(join(FIX, `${base}.json`), 'utf8'));
    const fusedPath = join(out, base.replace('/', '-') + '.fused.onnx');
    const r = reparo(['fuse', join(FIX, fixture), '-o', fusedPath, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.blocks.length).toBeGreaterThanOrEqual(5);
    for (const b of report.blocks) expect(b.singlePath, `${b.output} (${b.family})`).toBe(true);
    for (const fam of meta.families.filter((f: string) => f !== 'se')) expect(report.families[fam], fam).toBeGreaterThan(0);

    const fused = readOnnx(fusedPath);
    const ops = new Set(fused.nodes.map((n) => n.op));
    expect(ops.has('BatchNormalization')).toBe(false);
    expect(ops.has('Add')).toBe(false);

    const torch = new Float32Array(readFileSync(join(FIX, `${base}.torch-out.bin`)).buffer.slice(0));
    const m = await openInOrt(fused);
    let maxAbs = 0, lo = Infinity, hi = -Infinity, correct = 0;
    try {
      for (let i = 0; i < 1000; i++) {
        const x = images.input(i);
        const y = (await m.run({ input: x })).logits!;
        let arg = 0;
        for (let k = 0; k < 10; k++) {
          const t = torch[i * 10 + k]!;
          maxAbs = Math.max(maxAbs, Math.abs(y[k]! - t));
          lo = Math.min(lo, t), hi = Math.max(hi, t);
          if (y[k]! > y[arg]!) arg = k;
        }
        if (arg === labels[i]) correct++;
      }
    } finally {
      await m.release();
    }
    expect(maxAbs / (hi - lo)).toBeLessThan(1e-5);
    expect(correct / 1000).toBeCloseTo(meta.top1_first1000, 3);
  });
});
