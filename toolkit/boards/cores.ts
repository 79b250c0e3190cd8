/** Facts about cores and virtual machines that every firmware build of a board needs (native, TFLM). */
import { ReparoError } from '../errors.ts';
import type { Board } from './schema.ts';

/** UART0's receive interrupt per QEMU machine: hw/arm/mps2.c (RX 0, TX 1) and mps2-tz.c (AN505: RX 32, TX 33, combined 42; QEMU 7.2 measured: a received byte pends exception 48 = IRQ 32). */
export const UART0_RX_IRQ: Record<string, number> = { 'mps2-an385': 0, 'mps2-an386': 0, 'mps2-an500': 0, 'mps2-an505': 32, virt: 10 };

/** The RISC-V virt machine's PLIC, through which UART0 (source 10) wakes WFI: hw/riscv/virt.c. */
export const PLIC_BASE: Record<string, string> = { virt: '0x0c000000' };

/** Cores with the Arm DSP extension (SMLAD), where the native runtime takes its DSP loops and int16 weight rows pay. */
export function hasDsp(core: Board['core']): boolean {
  return core === 'cortex-m4f' || core === 'cortex-m7' || core === 'cortex-m33';
}

/** Compiler flags per core (hard-float ABI wherever there is an FPU). */
export function coreFlags(core: Board['core']): { flags: string[]; fpu: boolean } {
  switch (core) {
    case 'cortex-m0plus':
      // no FPU; unified syntax so that GCC reads Thumb-1 inline asm (cpsid, wfi) the way the base writes it
      return { flags: ['-mcpu=cortex-m0plus', '-mthumb', '-mfloat-abi=soft', '-masm-syntax-unified'], fpu: false };
    case 'cortex-m4f':
      return { flags: ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'], fpu: true };
    case 'cortex-m7':
      return { flags: ['-mcpu=cortex-m7', '-mthumb', '-mfpu=fpv5-d16', '-mfloat-abi=hard'], fpu: true };
    case 'cortex-m33':
      return { flags: ['-mcpu=cortex-m33', '-mthumb', '-mfpu=fpv5-sp-d16', '-mfloat-abi=hard'], fpu: true };
    case 'riscv32':
      // RV32IMC as the ESP32-C3; ISA spec 2.2 keeps Zicsr in I (csrr for mcycle) and picks picolibc's rv32im multilib
      return { flags: ['-march=rv32imc', '-mabi=ilp32', '-misa-spec=2.2'], fpu: false };
    default:
      throw new ReparoError('E_BUILD', `no bare-metal firmware base for core '${core}'`, {
        hint: 'supported cores: cortex-m0plus, cortex-m4f, cortex-m7, cortex-m33, riscv32',
      });
  }
}
