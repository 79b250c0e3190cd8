import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOnnx, readOnnx } from '../../toolkit/onnx/index.ts';
import { NetBuilder } from '../helpers/reparam-nets.ts';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
import { reparo } from '../helpers/cli.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reparo-cli-'));
  const nb = new NetBuilder(5);
  const x = nb.b.input('input', [1, 1, 10, 10]);
  let y = nb.repvgg(x, 1, 4, 2);
  y = nb.repvgg(y, 4, 4);
  y = nb.acnet(y, 4, 4);
  writeOnnx(join(dir, 'net.onnx'), nb.build(nb.head(y, 4, 3)));
});

describe('reparo fuse / inspect from the command line', () => {
  it('fuses, prints the summary, writes the model and the JSON report', () => {
    const r = reparo(['fuse', join(dir, 'net.onnx'), '-o', join(dir, 'fused.onnx'), '--report', join(dir, 'r.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3\/3 fused to one conv \(repvgg 2, acnet 1\)/);
    expect(r.stdout).toMatch(/EQUIVALENT/);
    const fused = readOnnx(join(dir, 'fused.onnx'));
    expect(fused.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'Conv', 'Relu', 'Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm']);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(report.written).toBe(true);
    expect(report.verify.passed).toBe(true);
  });

  it('--json prints exactly one JSON object on stdout', () => {
    const r = reparo(['fuse', join(dir, 'net.onnx'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.families).toEqual({ repvgg: 2, acnet: 1 });
    expect(j.before.macs).toBeGreaterThan(j.after.macs);
  });

  it('inspect lists ops, blocks, params and MACs', () => {
    const r = reparo(['inspect', join(dir, 'net.onnx')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/input\s+input \[1×1×10×10\]/);
    expect(r.stdout).toMatch(/acnet\s+3x3\+1x3\+3x1/);
  });

  it('bad input: clear error, non-zero exit, nothing written', () => {
    const bytes = readFileSync(join(dir, 'net.onnx'));
    writeFileSync(join(dir, 'trunc.onnx'), bytes.subarray(0, 700));
    const before = readdirSync(dir).length;
    for (const [file, pattern] of [
      ['trunc.onnx', /E_ONNX_PARSE.*trunc\.onnx.*not a valid ONNX/s],
      ['missing.onnx', /E_IO.*no such file/],
    ] as const) {
      const r = reparo(['fuse', join(dir, file), '-o', join(dir, 'out.onnx')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir).length).toBe(before);
    expect(existsSync(join(dir, 'out.onnx'))).toBe(false);
  });

  it('refuses to write when the error exceeds the tolerance, unless --force', () => {
    // fusion here is correct, so an impossible tolerance is what trips the gate
    const r = reparo(['fuse', join(dir, 'net.onnx'), '-o', join(dir, 'strict.onnx'), '--tolerance', '1e-30']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/E_TOLERANCE.*nothing written/);
    expect(existsSync(join(dir, 'strict.onnx'))).toBe(false);
    const f = reparo(['fuse', join(dir, 'net.onnx'), '-o', join(dir, 'strict.onnx'), '--tolerance', '1e-30', '--force']);
    expect(f.code).toBe(0);
    expect(existsSync(join(dir, 'strict.onnx'))).toBe(true);
  });

  it('unsupported ops and dynamic shapes: clear error naming the op or input, exit 1, nothing written', () => {
    const nb = new NetBuilder(2);
    const x = nb.b.input('input', [1, 1, 4, 4]);
    writeOnnx(join(dir, 'grid.onnx'), nb.build(nb.b.node('GridSample', [nb.conv(x, 1, 2, 3, 3, { pads: [1, 1, 1, 1] })])));
    const m = onnx.ModelProto.decode(readFileSync(join(dir, 'net.onnx')));
    m.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'batch' });
    writeFileSync(join(dir, 'dynamic.onnx'), onnx.ModelProto.encode(m).finish());
    for (const [file, pattern] of [
      ['grid.onnx', /E_UNSUPPORTED_OP.*GridSample/],
      ['dynamic.onnx', /E_DYNAMIC_SHAPE.*input 'input'.*--input-shape/s],
    ] as const) {
      const r = reparo(['fuse', join(dir, file), '-o', join(dir, 'never.onnx')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(join(dir, 'never.onnx'))).toBe(false);
    }
    const fixed = reparo(['fuse', join(dir, 'dynamic.onnx'), '--input-shape', 'input=1x1x10x10', '--json']);
    expect(fixed.code).toBe(0);
  });

  it('unknown options are usage errors', () => {
    const r = reparo(['fuse', join(dir, 'net.onnx'), '--bogus']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option/);
  });
});
