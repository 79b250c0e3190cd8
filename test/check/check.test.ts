/**
 * `reparo check` (toolkit/check): third-party and own models pass; each quantization rule, the
 * activation bound and the window bound fire on a model broken in exactly that way, naming where;
 * the CLI exits 1 on a failed check; emitProject refuses a model that fails it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModel, checkTfliteModel } from '../../toolkit/check/index.ts';
import { findBoard } from '../../toolkit/boards/index.ts';
import { emitProject } from '../../toolkit/codegen/emit.ts';
import { writeTflite, type TfliteModel } from '../../toolkit/tflite/index.ts';
import { reparo } from '../helpers/cli.ts';
import { everyOpModel, PERSON_DETECT } from '../tflite/models.ts';
import { nativeChainModel } from '../fuzz/models.ts';

const edit = (f: (m: TfliteModel) => void): TfliteModel => {
  const m = structuredClone(nativeChainModel());
  f(m);
  return m;
};
const tensor = (m: TfliteModel, name: string) => m.tensors.find((t) => t.name === name)!;

describe('checkModel', () => {
  it('passes person_detect and the ONNX fixtures, summarising ops and tensors', () => {
    const r = checkModel(PERSON_DETECT.pathname);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ format: 'tflite', ok: true, ops: { CONV_2D: 14, DEPTHWISE_CONV_2D: 14, AVERAGE_POOL_2D: 1, RESHAPE: 1, SOFTMAX: 1 } });
    expect(r.tensors!.inputs).toEqual([{ name: expect.any(String), type: 'int8', shape: [1, 96, 96, 1] }]);
    const o = checkModel(new URL('../fixtures/repvgg.onnx', import.meta.url).pathname);
    expect(o).toMatchObject({ format: 'onnx', ok: true });
    expect(o.ops.Conv).toBeGreaterThan(0);
  });

  it('names each broken quantization rule where it is broken', () => {
    const where = (m: TfliteModel) => checkTfliteModel(m).problems.map((p) => `${p.code} ${p.where}: ${p.what}`);
    expect(where(edit((m) => (tensor(m, 'cv').quantization!.scale[0] = -0.04)))).toEqual([expect.stringMatching(/^E_QUANT_PARAMS tensor \d+ 'cv': scale\[0\] is -0\.04; scales must be > 0/)]);
    expect(where(edit((m) => (tensor(m, 'dw').quantization!.zeroPoint[0] = 128)))).toEqual([expect.stringMatching(/'dw': zero_point\[0\] is 128; int8 zero points must be in \[-128, 127\]/)]);
    expect(where(edit((m) => (tensor(m, 'c_b').quantization!.zeroPoint[2] = 1)))).toEqual([expect.stringMatching(/'c_b': zero_point\[2\] is 1; int32 zero points must be 0/)]);
    expect(where(edit((m) => (tensor(m, 'c_w').quantization!.zeroPoint[0] = 2)))).toEqual([expect.stringMatching(/operator 2 \(CONV_2D\): weights tensor \d+ 'c_w' have a non-zero zero point/)]);
    // the every-op test model gives biases the weights' scales instead of input × weight
    expect(checkTfliteModel(everyOpModel()).problems.map((p) => p.where)).toEqual(['operator 0 (CONV_2D)', 'operator 5 (FULLY_CONNECTED)']);
    expect(where(nativeChainModel())).toEqual([]);
  });

  it('refuses crafted shapes and strides before the interpreter allocates for them', () => {
    const huge = checkTfliteModel(edit((m) => (tensor(m, 'xp').shape = [1, 10, 10, 3_000_000])));
    expect(huge.problems[0]).toMatchObject({ code: 'E_TFLITE_INVALID', where: expect.stringMatching(/'xp'/), what: expect.stringMatching(/activation tensors need \d+ bytes/) });
    const strided = checkTfliteModel(edit((m) => { (m.operators[1] as { dilationH: number }).dilationH = 1 << 28; }));
    expect(strided.problems[0]).toMatchObject({ code: 'E_SHAPE', where: 'operator 1 (DEPTHWISE_CONV_2D)' });
  });

  it('reports unreadable files, truncated files and other formats as problems, not exceptions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reparo-check-'));
    const cut = join(dir, 'cut.tflite');
    writeFileSync(cut, writeTflite(nativeChainModel()).subarray(0, 100));
    expect(checkModel(cut).problems[0]).toMatchObject({ code: 'E_TFLITE_PARSE', where: expect.stringMatching(/^byte \d+$/) });
    expect(checkModel(join(dir, 'missing.onnx')).problems[0]!.code).toBe('E_IO');
    expect(checkModel(new TextEncoder().encode('hello world')).problems[0]!.code).toBe('E_USAGE');
  });

  it('emitProject refuses a model that fails the check, writing nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'reparo-check-emit-')), 'proj');
    const bad = edit((m) => (tensor(m, 'cv').quantization!.scale[0] = 0));
    expect(() => emitProject(bad, findBoard('qemu-mps2-an386'), out)).toThrow(/not emitting a project for qemu-mps2-an386: the model check failed at tensor \d+ 'cv': scale\[0\] is 0/);
  });

  it('reparo check exits 0 on a sound model and 1 on a broken one, with --json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reparo-check-cli-'));
    const bad = join(dir, 'bad.tflite');
    writeFileSync(bad, writeTflite(everyOpModel()));
    const r = reparo(['check', bad, '--runtime', 'none', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, problems: [{ code: 'E_QUANT_PARAMS' }, { code: 'E_QUANT_PARAMS' }] });
    const good = reparo(['check', PERSON_DETECT.pathname, '--runtime', 'none']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/ok\s+the model passes every check/);
  });
});
