/**
 * The bare-metal toolchain and QEMU of each instruction set: Arm (arm-none-eabi-gcc + newlib-nano,
 * qemu-system-arm) and RV32 (riscv64-unknown-elf-gcc + picolibc, qemu-system-riscv32). Everything
 * else in a build (the app, the HIL loop, the linker-script placeholders) is the same for both.
 */
import type { Board } from '../boards/index.ts';

export interface GccTarget {
  isa: 'arm' | 'riscv';
  gcc: string;
  size: string;
  /** the C library's specs file (its presence is the toolchain check) */
  specs: string;
  packages: string;
  qemu: string;
  qemuPackages: string;
}

const ARM: GccTarget = {
  isa: 'arm',
  gcc: 'arm-none-eabi-gcc',
  size: 'arm-none-eabi-size',
  specs: 'nano.specs',
  packages: 'gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi',
  qemu: 'qemu-system-arm',
  qemuPackages: 'qemu-system-arm',
};

const RISCV: GccTarget = {
  isa: 'riscv',
  gcc: 'riscv64-unknown-elf-gcc',
  size: 'riscv64-unknown-elf-size',
  specs: 'picolibc.specs',
  packages: 'gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf',
  qemu: 'qemu-system-riscv32',
  qemuPackages: 'qemu-system-misc',
};

export function gccTarget(board: Pick<Board, 'toolchain'>): GccTarget {
  return board.toolchain === 'gcc-riscv64-unknown-elf' ? RISCV : ARM;
}

/** QEMU's machine arguments: the RISC-V virt machine boots the ELF itself (-bios none), no OpenSBI. */
export function qemuMachineArgs(board: Board): string[] {
  const q = board.qemu!;
  return ['-M', q.machine, '-cpu', q.cpu, ...(gccTarget(board).isa === 'riscv' ? ['-bios', 'none'] : [])];
}

/** QEMU's -serial options: the machine's ports before the board's UART (qemu.uartIndex) to null, the UART to `device`. */
export function serialArgs(board: Board, device: string): string[] {
  return [...Array.from({ length: board.qemu?.uartIndex ?? 0 }, () => ['-serial', 'null']).flat(), '-serial', device];
}
