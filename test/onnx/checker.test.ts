/**
 * An independent reader of what we write: the ONNX project's own checker (Debian python3-onnx, with
 * full_check = strict shape inference) accepts the fused models, as Netron-class tools need.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOnnx, writeOnnx } from '../../toolkit/onnx/index.ts';
import { fuseGraph } from '../../toolkit/fuse/index.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const PY = '/usr/bin/python3';

function check(path: string) {
  const code = `import onnx, sys\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint(len(m.graph.node))`;
  return spawnSync(PY, ['-c', code, path], { encoding: 'utf8' });
}

describe('onnx.checker accepts the ONNX we write', () => {
  it.each(['repvgg', 'acnet', 'dbb', 'resrep', 'repvgg_se'])('fused %s (opset 13)', async (name) => {
    const g = readOnnx(join(FIX, `${name}.onnx`));
    const fused = await fuseGraph(g);
    const path = join(mkdtempSync(join(tmpdir(), 'reparo-check-')), `${name}.onnx`);
    writeOnnx(path, fused.graph);
    const r = check(path);
    expect(r.stderr, 'is Debian python3-onnx installed? (.ci/run installs it)').toBe('');
    expect(Number(r.stdout.trim())).toBe(fused.graph.nodes.length);
  });
});
