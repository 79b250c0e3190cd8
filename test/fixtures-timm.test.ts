/**
 * timm's re-param families (small variants built from timm's own classes, BN statistics and layer
 * scales randomised, exported by torch 1.13's TorchScript exporter; examples/timm/export_timm.py),
 * fused from the CLI as a user would: no more convs than timm's own reparameterize_model() gives, and
 * equal to PyTorch's training-time logits within 1e-4 of their range.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOnnx, openInOrt } from '../toolkit/onnx/index.ts';
import { reparo } from './helpers/cli.ts';

const FIX = new URL('./fixtures/timm/', import.meta.url).pathname;
const fixtures = readdirSync(FIX).filter((f) => f.endsWith('.onnx')).map((f) => f.replace(/\.onnx$/, ''));
const out = mkdtempSync(join(tmpdir(), 'reparo-timm-'));
const floats = (file: string) => {
  const b = readFileSync(join(FIX, file)); // small files share Node's buffer pool: copy exactly their bytes
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

describe.each(fixtures)('timm fixture %s', (name) => {
  it('fuses from the CLI as single-path as timm’s deploy form, equal to PyTorch', async () => {
    const meta = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8'));
    const fusedPath = join(out, `${name}.fused.onnx`);
    const r = reparo(['fuse', join(FIX, `${name}.onnx`), '-o', fusedPath, '--json'], { timeout: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.collapse.filter((c: { status: string }) => c.status === 'collapsed')).toEqual([]); // the rules did it

    const fused = readOnnx(fusedPath);
    // a BN that folds into nothing (FastViT's attention norm) stays a BN in timm's form, a 1×1 depthwise conv in ours
    const deploy = meta.deploy_convs + (meta.deploy_onnx_ops.BatchNormalization ?? 0);
    const convs = fused.nodes.filter((n) => n.op === 'Conv').length;
    expect(convs, `fused convs (timm's deploy form: ${meta.deploy_convs} convs + BNs)`).toBeLessThanOrEqual(deploy);
    expect(fused.nodes.some((n) => n.op === 'BatchNormalization')).toBe(false);

    const [N, C, H, W] = meta.inputs_shape as number[];
    const inputs = floats(meta.inputs_file), torch = floats(meta.torch_out_file);
    const classes = torch.length / N!;
    const m = await openInOrt(fused);
    let maxAbs = 0;
    try {
      for (let i = 0; i < N!; i++) {
        const plane = C! * H! * W!;
        const y = (await m.run({ [meta.input_name]: inputs.subarray(i * plane, (i + 1) * plane) }))[meta.output_name]!;
        for (let k = 0; k < classes; k++) maxAbs = Math.max(maxAbs, Math.abs(y[k]! - torch[i * classes + k]!));
      }
    } finally {
      await m.release();
    }
    expect(maxAbs / meta.logit_range).toBeLessThan(1e-4);
  });
});
