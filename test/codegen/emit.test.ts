import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitProject } from '../../toolkit/codegen/emit.ts';
import { parseVectorOutput } from '../../toolkit/codegen/vector-app.ts';
import { findBoard } from '../../toolkit/boards/index.ts';
import { runInQemu } from '../../toolkit/build/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { quantizeInput, nchwToNhwc } from '../../toolkit/pipeline/evaluate.ts';
import { openDataset } from '../../toolkit/data/index.ts';
import { reparo } from '../helpers/cli.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const SAMPLE = new URL('../../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url).pathname;
const PERSON = new URL('../../../shared/models/person_detect.tflite', import.meta.url).pathname;

describe('reparo emit / build', () => {
  it('quantize → emit → build for the virtual Cortex-M4, and the firmware prints the interpreter\'s bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reparo-emit-'));
    const model = join(dir, 'repvgg.tflite');
    expect(reparo(['quantize', join(FIX, 'repvgg.onnx'), '--calib', SAMPLE, '--samples', '100', '-o', model]).code).toBe(0);
    const emit = reparo(['emit', model, '--board', 'qemu-mps2-an386', '-o', join(dir, 'proj'), '--data', SAMPLE, '--samples', '3']);
    expect(emit.stderr).toBe('');
    expect(emit.stdout).toMatch(/fit\s+flash .* free, RAM .* free \(arena/);
    const build = reparo(['build', join(dir, 'proj')]);
    expect(build.stderr).toBe('');
    expect(build.stdout).toMatch(/flash \(text \+ data\)/);
    const run = await runInQemu(join(dir, 'proj', 'build', 'firmware.elf'), findBoard('qemu-mps2-an386'), { timeoutMs: 30_000 });
    expect(run.exitCode).toBe(0);
    const m = readTflite(readFileSync(model));
    const interp = createInterpreter(m);
    const data = openDataset(SAMPLE, [1, 1, 28, 28]);
    const got = parseVectorOutput(run.stdout).outputs;
    for (let i = 0; i < 3; i++) expect(Array.from(got[i]!)).toEqual(Array.from(interp.invoke(quantizeInput(m, nchwToNhwc(data.input(i), [1, 28, 28, 1])))));
  }, 120_000);

  it('refuses a model too big for the board before writing anything, with the numbers and the biggest consumers', () => {
    const pd = readTflite(readFileSync(PERSON));
    const small = { ...findBoard('nucleo-f446re'), ram: { total: 64 * 1024, freeForModel: 48 * 1024 } };
    const out = join(mkdtempSync(join(tmpdir(), 'reparo-fit-')), 'proj');
    expect(() => emitProject(pd, small, out)).toThrow(/does not fit nucleo-f446re: RAM 70\.0 KiB > 48\.0 KiB free; biggest: activation arena \(after buffer reuse\) 54\.0 KiB \(ram\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('does not overwrite a folder that is not a reparo project', () => {
    const pd = readTflite(readFileSync(PERSON));
    const dir = mkdtempSync(join(tmpdir(), 'reparo-keep-'));
    mkdirSync(join(dir, 'mine'));
    expect(() => emitProject(pd, findBoard('qemu-mps2-an386'), join(dir, 'mine'))).toThrow(/not a reparo project/);
  });
});
