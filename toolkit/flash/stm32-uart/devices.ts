/**
 * STM32 devices as the system-memory bootloader reports them (Get ID), as data: product id → name,
 * flash base and erase-unit layout (sectors on F2/F4/F7, uniform pages elsewhere), and the RAM the
 * bootloader lets a host write (the bottom of SRAM is the bootloader's own). Facts from ST's AN2606
 * ("bootloader device-dependent parameters") and each family's reference manual (flash module organisation).
 */
import { ReparoError } from '../../errors.ts';

export interface Stm32Device {
  /** 12-bit product id (DBGMCU_IDCODE.DEV_ID), as Get ID answers it */
  id: number;
  name: string;
  flash: {
    base: number;
    /** size of each erase unit (sector or page) in order; the unit's index is its erase number */
    units: readonly number[];
  };
  /** RAM the bootloader accepts writes to: [start, end) */
  ram: { start: number; end: number };
  source: string;
}

const K = 1024;
const repeat = (size: number, n: number): number[] => Array.from({ length: n }, () => size);

export const STM32_DEVICES: readonly Stm32Device[] = [
  {
    id: 0x421,
    name: 'STM32F446xx',
    flash: { base: 0x0800_0000, units: [...repeat(16 * K, 4), 64 * K, ...repeat(128 * K, 3)] },
    ram: { start: 0x2000_3000, end: 0x2002_0000 },
    source: 'RM0390 (512 KiB: 4×16 + 64 + 3×128 KiB sectors); AN2606 (bootloader RAM from 0x20003000)',
  },
  {
    id: 0x449,
    name: 'STM32F74xxx/75xxx',
    flash: { base: 0x0800_0000, units: [...repeat(32 * K, 4), 128 * K, ...repeat(256 * K, 3)] },
    ram: { start: 0x2000_4000, end: 0x2005_0000 },
    source: 'RM0385 (1 MiB: 4×32 + 128 + 3×256 KiB sectors); AN2606 (bootloader RAM from 0x20004000)',
  },
  {
    id: 0x413,
    name: 'STM32F40xxx/41xxx',
    flash: { base: 0x0800_0000, units: [...repeat(16 * K, 4), 64 * K, ...repeat(128 * K, 7)] },
    ram: { start: 0x2000_3000, end: 0x2002_0000 },
    source: 'RM0090 (1 MiB: 4×16 + 64 + 7×128 KiB sectors); AN2606',
  },
  {
    id: 0x431,
    name: 'STM32F411xx',
    flash: { base: 0x0800_0000, units: [...repeat(16 * K, 4), 64 * K, ...repeat(128 * K, 3)] },
    ram: { start: 0x2000_3000, end: 0x2002_0000 },
    source: 'RM0383 (512 KiB: 4×16 + 64 + 3×128 KiB sectors); AN2606',
  },
  {
    id: 0x410,
    name: 'STM32F10xxx Medium-density',
    flash: { base: 0x0800_0000, units: repeat(1 * K, 128) },
    ram: { start: 0x2000_0200, end: 0x2000_5000 },
    source: 'RM0008 (up to 128 KiB in 1 KiB pages); AN2606 (bootloader RAM from 0x20000200)',
  },
];

export function findStm32Device(id: number): Stm32Device | undefined {
  return STM32_DEVICES.find((d) => d.id === id);
}

export function deviceLabel(id: number): string {
  const d = findStm32Device(id);
  return `${hex3(id)}${d ? ` (${d.name})` : ''}`;
}

export const hex3 = (id: number): string => `0x${id.toString(16).padStart(3, '0')}`;
export const hex8 = (a: number): string => `0x${(a >>> 0).toString(16).padStart(8, '0')}`;

export function flashSize(d: Stm32Device): number {
  return d.flash.units.reduce((a, b) => a + b, 0);
}

/** [start, end) address of erase unit `index` */
export function unitRange(d: Stm32Device, index: number): { start: number; end: number } {
  let start = d.flash.base;
  for (let i = 0; i < index; i++) start += d.flash.units[i]!;
  return { start, end: start + d.flash.units[index]! };
}

/** Indices of the erase units that [start, end) touches; throws E_FLASH when the range leaves flash. */
export function unitsCovering(d: Stm32Device, start: number, end: number): number[] {
  const flashEnd = d.flash.base + flashSize(d);
  if (start < d.flash.base || end > flashEnd || end <= start)
    throw new ReparoError('E_FLASH', `${hex8(start)}..${hex8(end)} is not inside the flash of ${d.name} (${hex8(d.flash.base)}..${hex8(flashEnd)})`, {
      hint: 'the image is too big for this chip, or the start address is wrong',
    });
  const out: number[] = [];
  let a = d.flash.base;
  d.flash.units.forEach((size, i) => {
    if (a < end && a + size > start) out.push(i);
    a += size;
  });
  return out;
}
