/**
 * The real-board firmware bases (firmware-templates/cortex-m-boards) compile and link with the QEMU
 * base's startup.c and hello app for each board's core, with the memory map of its board file.
 * Compiled only: nothing here has run on hardware.
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard, type Board } from '../../toolkit/boards/index.ts';
import { coreFlags } from '../../toolkit/build/index.ts';
import { crc32Mpeg2, withBoot2Checksum } from '../../toolkit/flash/tools/index.ts';

const TEMPLATES = new URL('../../firmware-templates/', import.meta.url).pathname;
const BOARDS_DIR = join(TEMPLATES, 'cortex-m-boards');
const families = JSON.parse(readFileSync(join(BOARDS_DIR, 'families.json'), 'utf8')) as Record<
  string,
  { sources: string[]; linker: string; clockHz: number; uartRxIrq: number }
>;
const hasGcc = spawnSync('arm-none-eabi-gcc', ['--version']).error === undefined;

function flagsFor(core: Board['core']): { flags: string[]; fpu: boolean } {
  // the M0+ has no FPU; -masm-syntax-unified because GCC reads Thumb-1 inline asm as divided syntax otherwise
  if (core === 'cortex-m0plus') return { flags: ['-mcpu=cortex-m0plus', '-mthumb', '-mfloat-abi=soft', '-masm-syntax-unified'], fpu: false };
  return coreFlags(core);
}

function build(id: string): { elf: string; symbols: Map<string, number>; board: Board } {
  const board = findBoard(id);
  const fam = families[id]!;
  const out = mkdtempSync(join(tmpdir(), `reparo-real-${id}-`));
  const hex = (n: number) => `0x${n.toString(16)}`;
  const ld = readFileSync(join(TEMPLATES, fam.linker), 'utf8')
    .replaceAll('@FLASH_BASE@', board.memory!.flashBase)
    .replaceAll('@FLASH_SIZE@', hex(board.flash.total))
    .replaceAll('@RAM_BASE@', board.memory!.ramBase)
    .replaceAll('@RAM_SIZE@', hex(board.ram.total))
    .replaceAll('@STACK_SIZE@', '0x4000');
  writeFileSync(join(out, 'link.ld'), ld);
  const { flags, fpu } = flagsFor(board.core);
  const elf = join(out, 'hello.elf');
  const args = [
    ...flags,
    '-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections', '--specs=nano.specs', '-nostartfiles',
    `-I${join(TEMPLATES, 'cortex-m')}`, `-I${join(BOARDS_DIR, 'common')}`,
    `-DREPARO_CORE="${board.core}"`, `-DREPARO_BOARD_ID="${id}"`, `-DREPARO_CLOCK_HZ=${fam.clockHz}u`,
    `-DREPARO_HAS_FPU=${fpu ? 1 : 0}`, `-DREPARO_UART0_RX_IRQ=${fam.uartRxIrq}u`,
    join(TEMPLATES, 'cortex-m', 'startup.c'),
    ...fam.sources.map((s) => join(BOARDS_DIR, s)),
    join(TEMPLATES, 'cortex-m', 'hello', 'main.c'),
    `-T${join(out, 'link.ld')}`, '-Wl,--gc-sections', '-o', elf,
  ];
  const r = spawnSync('arm-none-eabi-gcc', args, { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const nm = spawnSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' }).stdout;
  const symbols = new Map(nm.split('\n').filter((l) => /^[0-9a-f]{8} /.test(l)).map((l) => [l.split(' ')[2]!, Number.parseInt(l.slice(0, 8), 16)] as const));
  return { elf, symbols, board };
}

describe.skipIf(!hasGcc)('real-board firmware bases compile and link with the hello app (not run on hardware)', () => {
  for (const id of ['nucleo-f446re', 'stm32f746g-disco', 'nrf52840-dk']) {
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
});
