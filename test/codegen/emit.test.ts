import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitProject } from '../../toolkit/codegen/emit.ts';
import { findBoard } from '../../toolkit/boards/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';

const PERSON = new URL('../../../shared/models/person_detect.tflite', import.meta.url).pathname;

describe('reparo emit / build', () => {
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
