import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOARDS_DIR, findBoard, loadBoards, parseBoard } from '../../toolkit/boards/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { reparo } from '../helpers/cli.ts';

describe('board registry', () => {
  it('has the virtual and the real boards the product promises, all valid', () => {
    const ids = loadBoards().map((b) => b.id);
    for (const id of ['qemu-mps2-an386', 'qemu-mps2-an386-64k', 'qemu-mps2-an500', 'qemu-mps2-an505', 'qemu-riscv32', 'qemu-netduinoplus2', 'nucleo-f446re', 'stm32f746g-disco', 'nrf52840-dk', 'nrf52-dk', 'rpi-pico', 'esp32-devkitc', 'esp32-s3-devkitc-1', 'esp32-c3-devkitm-1'])
      expect(ids).toContain(id);
  });

  it('knows the QEMU memory maps (facts seen here)', () => {
    expect(findBoard('qemu-mps2-an386').qemu).toMatchObject({ machine: 'mps2-an386', flashBase: '0x0', ramBase: '0x20000000', uart0: '0x40004000' });
    expect(findBoard('qemu-mps2-an505').qemu).toMatchObject({ flashBase: '0x10000000', ramBase: '0x38000000', uart0: '0x50200000' });
  });

  it('refuses a bad board file with the field that is wrong', () => {
    const good = JSON.parse(readFileSync(join(BOARDS_DIR, 'nucleo-f446re.json'), 'utf8'));
    const bad = { ...good, ram: { total: 1024, freeForModel: 4096 }, clockHz: -1 };
    expect(() => parseBoard(JSON.stringify(bad), 'bad.json')).toThrow(/clockHz.*|ram/);
    expect(() => parseBoard('{', 'x.json')).toThrow(ReparoError);
    const dir = mkdtempSync(join(tmpdir(), 'reparo-boards-'));
    writeFileSync(join(dir, 'other-name.json'), JSON.stringify(good));
    expect(() => loadBoards(dir)).toThrow(/does not match its file name/);
    expect(() => findBoard('no-such-board')).toThrow(/known boards: .*qemu-mps2-an386/);
  });

  it('reparo boards --json', () => {
    const r = reparo(['boards', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).length).toBeGreaterThanOrEqual(10);
  });
});
