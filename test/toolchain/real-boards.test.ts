/**
 * The real-board firmware bases (firmware-templates/cortex-m-boards) compile and link with the QEMU
 * base's startup.c and hello app for each board's core, with the memory map of its board file.
 * Compiled only: nothing here has run on hardware.
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard, type Board } from '../../toolkit/boards/index.ts';
import { buildFirmware, HELLO_APP_DIR } from '../../toolkit/toolchain/index.ts';
import { emitProject } from '../../toolkit/codegen/emit.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { crc32Mpeg2, withBoot2Checksum } from '../../toolkit/flash/tools/index.ts';

const hasGcc = spawnSync('arm-none-eabi-gcc', ['--version']).error === undefined;

/** The hello app built by buildFirmware for a real board, and its symbols. */
function build(id: string): { elf: string; symbols: Map<string, number>; board: Board } {
  const board = findBoard(id);
  const { elf } = buildFirmware(HELLO_APP_DIR, board, { outDir: mkdtempSync(join(tmpdir(), `reparo-real-${id}-`)) });
  const nm = spawnSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' }).stdout;
  const symbols = new Map(nm.split('\n').filter((l) => /^[0-9a-f]{8} /.test(l)).map((l) => [l.split(' ')[2]!, Number.parseInt(l.slice(0, 8), 16)] as const));
  return { elf, symbols, board };
}

describe.skipIf(!hasGcc)('real-board firmware bases compile and link with the hello app (not run on hardware)', () => {
  for (const id of ['nucleo-f446re', 'stm32f746g-disco', 'nrf52840-dk', 'nrf52-dk']) {
    test(`${id}: vector table at the flash base, stack at the top of the board's RAM, DWT counter`, () => {
      const { elf, symbols, board } = build(id);
      const dwtCyccnt = Buffer.from([0x00, 0x10, 0x00, 0xe0]); // DWT at 0xE0001000, in a literal pool
      expect(readFileSync(elf).includes(dwtCyccnt)).toBe(true);
      const flashBase = Number.parseInt(board.memory!.flashBase, 16);
      expect(symbols.get('vector_table')).toBe(flashBase);
      expect(symbols.get('_estack')).toBe(Number.parseInt(board.memory!.ramBase, 16) + board.ram.total);
      for (const s of ['board_uart_init', 'reparo_uart_rx_handler', 'reparo_counter_ticks', 'reparo_semihost_exit', 'reparo_systick_handler']) expect(symbols.has(s), s).toBe(true);
    });
  }

  test('rpi-pico (cortex-m0plus, no FPU): boot2 at the flash base, the vector table 256 bytes on, SysTick counter', () => {
    const { elf, symbols } = build('rpi-pico');
    expect(symbols.get('reparo_boot2')).toBe(0x10000000);
    expect(symbols.get('vector_table')).toBe(0x10000100);
    expect(symbols.get('_estack')).toBe(0x20000000 + 264 * 1024);
    const attrs = spawnSync('arm-none-eabi-readelf', ['-A', elf], { encoding: 'utf8' }).stdout;
    expect(attrs).toMatch(/Tag_CPU_arch: v6S-M/);
    expect(attrs).not.toMatch(/Tag_FP_arch/);
    const bin = join(elf, '..', 'hello.bin');
    expect(spawnSync('arm-none-eabi-objcopy', ['-O', 'binary', elf, bin]).status).toBe(0);
    const image = readFileSync(bin);
    expect(image.readUInt32LE(252)).toBe(0); // the linker leaves the CRC word for the host
    const fixed = Buffer.from(withBoot2Checksum(image));
    expect(fixed.readUInt32LE(252)).toBe(crc32Mpeg2(image.subarray(0, 252)));
    // the image's reset vector (what boot2 jumps to) is Reset_Handler, Thumb bit set
    expect(fixed.readUInt32LE(0x104)).toBe(symbols.get('Reset_Handler')! | 1);
  });

  test('the HIL firmware of an emitted project builds for every real Cortex-M board and counts cycles', () => {
    const model = readTflite(readFileSync(new URL('../../../shared/models/person_detect.tflite', import.meta.url).pathname));
    for (const id of ['nucleo-f446re', 'stm32f746g-disco', 'nrf52840-dk', 'nrf52-dk', 'rpi-pico']) {
      const board = findBoard(id);
      const dir = join(mkdtempSync(join(tmpdir(), `reparo-real-hil-${id}-`)), 'proj');
      emitProject(model, board, dir);
      const { elf, size } = buildFirmware(join(dir, 'app'), board, { outDir: join(dir, 'build') });
      expect(size.flashUsed).toBeLessThanOrEqual(board.flash.total);
      // the loaded image (not the debug info) names the unit the counts are in
      const bin = join(dir, 'build', 'firmware.bin');
      expect(spawnSync('arm-none-eabi-objcopy', ['-O', 'binary', elf, bin]).status).toBe(0);
      const strings = readFileSync(bin).toString('latin1');
      expect(strings, id).toContain('cycles');
      expect(strings, id).not.toContain('instructions');
      expect(spawnSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' }).stdout).toMatch(/ T reparo_hil_main\n/);
    }
  }, 120_000);
});
