/**
 * Firmware build and QEMU run for the bare-metal boards: compiles the base (firmware-templates/cortex-m/
 * with arm-none-eabi-gcc, firmware-templates/riscv/ with riscv64-unknown-elf-gcc) plus an app
 * directory, links it with the board's memory map, checks the image against the board's flash and
 * RAM, and runs ELF images on the virtual boards (QEMU MPS2, QEMU RISC-V virt).
 *
 * Timing under QEMU is `-icount shift=0`: one instruction = one virtual nanosecond. SysTick then
 * advances clockHz/1e9 ticks per instruction (an386/an500: 1 tick = 40 instructions, an505: 50),
 * RISC-V's mcycle one per instruction: deterministic, but instructions, not cycles.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Board } from '../boards/index.ts';
import { ReparoError } from '../errors.ts';
import { coreFlags, PLIC_BASE, UART0_RX_IRQ } from '../boards/cores.ts';
import { packagePath } from '../package-root.ts';
import { gccTarget, qemuMachineArgs, serialArgs, type GccTarget } from './targets.ts';

export { coreFlags } from '../boards/cores.ts';

export const CORTEX_M_TEMPLATE_DIR = packagePath('firmware-templates/cortex-m/');
export const RISCV_TEMPLATE_DIR = packagePath('firmware-templates/riscv/');
export const HELLO_APP_DIR = join(CORTEX_M_TEMPLATE_DIR, 'hello');
export const RISCV_HELLO_APP_DIR = join(RISCV_TEMPLATE_DIR, 'hello');
/** The HIL protocol loop shared by every board (hil.c, CRC-32), compiled into apps that have a reparo_hil_config.h. */
export const HIL_COMMON_DIR = packagePath('firmware-templates/common/');
export const HIL_CONFIG_HEADER = 'reparo_hil_config.h';
const REAL_BOARDS_DIR = packagePath('firmware-templates/cortex-m-boards/');



export interface BuildOptions {
  /** where the ELF, map and linker script go; default: a fresh directory under the OS temp dir */
  outDir?: string;
  /** extra -D defines for the app */
  defines?: Record<string, string | number>;
  /** main stack size in bytes (default 16 KiB) */
  stackSize?: number;
  /** optimisation flag (default -O2) */
  optimize?: string;
}

export interface SizeReport {
  /** code + read-only data + vector table (FLASH) */
  text: number;
  /** initialised data: in FLASH (load image) and in RAM */
  data: number;
  /** zero-initialised data (RAM), without the stack */
  bss: number;
  /** the reserved main stack (RAM) */
  stack: number;
  flashUsed: number;
  flashTotal: number;
  ramUsed: number;
  ramTotal: number;
}

export interface BuildResult {
  elf: string;
  map: string;
  outDir: string;
  size: SizeReport;
  /** the gcc command line, for the record */
  command: string[];
}

function missingTool(tool: string, packages: string, detail = ''): ReparoError {
  return new ReparoError('E_BUILD', `'${tool}' not found${detail ? ` (${detail})` : ''}`, {
    hint: `install the Debian packages: sudo apt-get install ${packages}`,
  });
}

/** Throws E_BUILD (naming the Debian packages) when the board's cross compiler or its C library is missing. */
export function checkToolchain(t: GccTarget): void {
  const r = spawnSync(t.gcc, [`-print-file-name=${t.specs}`], { encoding: 'utf8' });
  if (r.error) throw missingTool(t.gcc, t.packages, (r.error as NodeJS.ErrnoException).code);
  if (r.status !== 0 || r.stdout.trim() === t.specs)
    throw new ReparoError('E_BUILD', `${t.gcc} has no C library (${t.specs} not found)`, {
      hint: `install the Debian packages: sudo apt-get install ${t.packages}`,
    });
  const s = spawnSync(t.size, ['--version'], { encoding: 'utf8' });
  if (s.error) throw missingTool(t.size, t.packages, (s.error as NodeJS.ErrnoException).code);
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function cSources(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(dir, f));
}

/** Parses `arm-none-eabi-size -A -d` output into section → size. */
export function parseSizeA(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Parses `arm-none-eabi-size -B -d` output (one file) into text/data/bss. */
export function parseSizeB(text: string): { text: number; data: number; bss: number } {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^\d+\s+\d+\s+\d+\s+\d+/.test(l));
  if (!line) throw new ReparoError('E_BUILD', `cannot read the size report:\n${text}`);
  const [t, d, b] = line.split(/\s+/).map(Number);
  return { text: t!, data: d!, bss: b! };
}

/** What differs per board: sources and include folders of the base, linker script, memory map, defines. */
interface FirmwareBase {
  sources: string[];
  includes: string[];
  linker: string;
  flashBase: string;
  ramBase: string;
  defines: Record<string, string | number>;
}

interface RealBoardFamily {
  sources: string[];
  linker: string;
  clockHz: number;
  uartRxIrq: number;
}

function firmwareBase(board: Board, fpu: boolean): FirmwareBase {
  const common = { REPARO_CORE: JSON.stringify(board.core), REPARO_HAS_FPU: fpu ? 1 : 0, REPARO_BOARD_ID: JSON.stringify(board.id) };
  const riscv = gccTarget(board).isa === 'riscv';
  if (riscv && !(board.qemu && PLIC_BASE[board.qemu.machine]))
    throw new ReparoError('E_BUILD', `board '${board.id}' has no RV32 firmware base: firmware-templates/riscv knows QEMU's virt machine only`, {
      hint: 'use qemu-riscv32, or add the part\'s UART and interrupt controller to firmware-templates/riscv',
    });
  const families = JSON.parse(readFileSync(join(REAL_BOARDS_DIR, 'families.json'), 'utf8')) as Record<string, RealBoardFamily>;
  const fam = riscv ? undefined : families[board.id];
  const memory = board.memory ?? board.qemu;
  if (fam && memory)
    return {
      // the shared Cortex-M startup and HIL platform; UART and counter come from the board's family
      sources: [join(CORTEX_M_TEMPLATE_DIR, 'startup.c'), join(CORTEX_M_TEMPLATE_DIR, 'platform.c'), ...fam.sources.map((f) => join(REAL_BOARDS_DIR, f))],
      includes: [CORTEX_M_TEMPLATE_DIR, join(REAL_BOARDS_DIR, 'common')],
      linker: join(REAL_BOARDS_DIR, '..', fam.linker),
      flashBase: memory.flashBase,
      ramBase: memory.ramBase,
      // the base sets up no PLL: the clock is the reset clock the family runs at, and counts are cycles (a QEMU
      // model of the SoC counts instructions)
      defines: { ...common, REPARO_CLOCK_HZ: `${fam.clockHz}u`, REPARO_UART0_RX_IRQ: `${fam.uartRxIrq}u`, ...(board.virtual ? {} : { REPARO_COUNTS_CYCLES: 1 }) },
    };
  if (board.qemu && riscv) {
    const plic = PLIC_BASE[board.qemu.machine]!, rxIrq = UART0_RX_IRQ[board.qemu.machine]!;
    return {
      // the RV32 base, and the text helpers every base shares
      sources: [...readdirSync(RISCV_TEMPLATE_DIR).filter((f) => /\.(c|S)$/.test(f)).sort().map((f) => join(RISCV_TEMPLATE_DIR, f)), join(CORTEX_M_TEMPLATE_DIR, 'uart_text.c')],
      includes: [RISCV_TEMPLATE_DIR],
      linker: join(RISCV_TEMPLATE_DIR, 'link.ld.in'),
      flashBase: board.qemu.flashBase,
      ramBase: board.qemu.ramBase,
      defines: { ...common, REPARO_UART0_BASE: `${board.qemu.uart0}u`, REPARO_PLIC_BASE: `${plic}u`, REPARO_CLOCK_HZ: `${board.clockHz}u`, REPARO_UART0_RX_IRQ: `${rxIrq}u` },
    };
  }
  if (board.qemu) {
    const rxIrq = UART0_RX_IRQ[board.qemu.machine];
    if (rxIrq === undefined) throw new ReparoError('E_BUILD', `no UART0 RX interrupt number known for QEMU machine '${board.qemu.machine}'`, { hint: `known: ${Object.keys(UART0_RX_IRQ).join(', ')}` });
    return {
      sources: cSources(CORTEX_M_TEMPLATE_DIR),
      includes: [CORTEX_M_TEMPLATE_DIR],
      linker: join(CORTEX_M_TEMPLATE_DIR, 'link.ld.in'),
      flashBase: board.qemu.flashBase,
      ramBase: board.qemu.ramBase,
      defines: { ...common, REPARO_UART0_BASE: `${board.qemu.uart0}u`, REPARO_CLOCK_HZ: `${board.clockHz}u`, REPARO_UART0_RX_IRQ: `${rxIrq}u` },
    };
  }
  throw new ReparoError('E_BUILD', `board '${board.id}' has no bare-metal firmware base`, {
    hint: 'add it to firmware-templates/cortex-m-boards/families.json',
  });
}

/**
 * Builds firmware for `board`: the bare-metal base (startup, UART, counter, semihosting, HIL platform;
 * the MPS2 one, the RV32 one for QEMU virt, or a family's from firmware-templates/cortex-m-boards for
 * real boards and QEMU's models of them) plus every .c
 * file in `appDir` (and the HIL protocol loop when the app has a reparo_hil_config.h), linked with the
 * board's FLASH/RAM map. Throws E_BUILD when the toolchain is missing, the compile/link fails or the
 * image does not fit the board.
 */
export function buildFirmware(appDir: string, board: Board, opts: BuildOptions = {}): BuildResult {
  if (board.toolchain === 'esp-idf')
    throw new ReparoError('E_BUILD', `board '${board.id}' has no bare-metal firmware base: ESP32 boards build with ESP-IDF`, {
      hint: 'reparo emit writes an ESP-IDF project for it (native or --runtime tflm); reparo build runs idf.py (IDF_PATH set)',
    });
  const { flags, fpu } = coreFlags(board.core);
  const base = firmwareBase(board, fpu);
  const target = gccTarget(board);
  checkToolchain(target);
  const app = resolve(appDir);
  const appSources = cSources(app);
  if (appSources.length === 0) throw new ReparoError('E_BUILD', `no .c files in ${app}`);
  const hil = existsSync(join(app, HIL_CONFIG_HEADER));
  const outDir = opts.outDir ? resolve(opts.outDir) : mkdtempSync(join(tmpdir(), `reparo-fw-${board.id}-`));
  mkdirSync(outDir, { recursive: true });

  const stackSize = opts.stackSize ?? 16 * 1024;
  const ld = readFileSync(base.linker, 'utf8')
    .replaceAll('@FLASH_BASE@', base.flashBase)
    .replaceAll('@FLASH_SIZE@', hex(board.flash.total))
    .replaceAll('@RAM_BASE@', base.ramBase)
    .replaceAll('@RAM_SIZE@', hex(board.ram.total))
    .replaceAll('@STACK_SIZE@', hex(stackSize));
  const ldPath = join(outDir, 'link.ld');
  writeFileSync(ldPath, ld);

  const elf = join(outDir, 'firmware.elf');
  const map = join(outDir, 'firmware.map');
  const defines: Record<string, string | number> = { ...base.defines, ...opts.defines };
  const command = [
    target.gcc,
    ...flags,
    opts.optimize ?? '-O2',
    '-g',
    '-std=c11',
    '-Wall',
    '-Wextra',
    '-ffunction-sections',
    '-fdata-sections',
    `--specs=${target.specs}`,
    '-nostartfiles',
    ...base.includes.map((d) => `-I${d}`),
    `-I${app}`,
    `-I${HIL_COMMON_DIR}`,
    ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`),
    ...base.sources,
    ...(hil ? cSources(HIL_COMMON_DIR) : []),
    ...appSources,
    `-T${ldPath}`,
    '-Wl,--gc-sections',
    `-Wl,-Map=${map}`,
    '-o',
    elf,
  ];
  const r = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  if (r.error) throw missingTool(target.gcc, target.packages, (r.error as NodeJS.ErrnoException).code);
  if (r.status !== 0) {
    const overflow = [...r.stderr.matchAll(/region [`']?(\w+)'? overflowed by (\d+) bytes/g)];
    if (overflow.length)
      throw new ReparoError(
        'E_BUILD',
        `the image does not fit board '${board.id}': ${overflow.map((m) => `${m[1]} overflowed by ${m[2]} bytes`).join(', ')}`,
        { hint: `flash ${board.flash.total} bytes, RAM ${board.ram.total} bytes; make the model or the arena smaller` },
      );
    throw new ReparoError('E_BUILD', `${target.gcc} failed (exit ${r.status}) for board '${board.id}':\n${r.stderr.trim()}`, { file: app });
  }

  const size = measureSize(elf, board);
  return { elf, map, outDir, size, command };
}

/** text / data / bss / stack of a linked image against the board; E_BUILD when it does not fit. */
export function measureSize(elf: string, board: Board): SizeReport {
  const { size: tool, packages } = gccTarget(board);
  const a = spawnSync(tool, ['-A', '-d', elf], { encoding: 'utf8' });
  const b = spawnSync(tool, ['-B', '-d', elf], { encoding: 'utf8' });
  if (a.error || b.error) throw missingTool(tool, packages);
  const sections = parseSizeA(a.stdout);
  const berkeley = parseSizeB(b.stdout);
  const stack = sections.get('.stack') ?? 0;
  const size: SizeReport = {
    text: berkeley.text,
    data: berkeley.data,
    bss: berkeley.bss - stack,
    stack,
    flashUsed: berkeley.text + berkeley.data,
    flashTotal: board.flash.total,
    ramUsed: berkeley.data + berkeley.bss,
    ramTotal: board.ram.total,
  };
  if (size.flashUsed > size.flashTotal || size.ramUsed > size.ramTotal)
    throw new ReparoError(
      'E_BUILD',
      `the image does not fit board '${board.id}': flash ${size.flashUsed}/${size.flashTotal} bytes, RAM ${size.ramUsed}/${size.ramTotal} bytes`,
      { hint: 'make the model or the arena smaller', file: elf },
    );
  return size;
}

export interface QemuRunOptions {
  /** wall-clock limit; QEMU is killed and E_BUILD thrown when it is exceeded (default 10 s) */
  timeoutMs?: number;
  /** extra QEMU arguments */
  extraArgs?: string[];
}

export interface QemuRunResult {
  /** everything the firmware wrote to UART0 (CR LF line ends as sent) */
  stdout: string;
  stderr: string;
  /** the semihosting exit code (or QEMU's own) */
  exitCode: number;
  wallMs: number;
  argv: string[];
}

/** The QEMU command line for `elf` on a virtual board, UART0 to `serial` (a QEMU character device: stdio, file:PATH). */
export function qemuArgs(elf: string, board: Board, extra: string[] = [], serial = 'stdio'): string[] {
  if (!board.qemu) throw new ReparoError('E_BUILD', `board '${board.id}' is not a virtual (QEMU) board`);
  return [
    ...qemuMachineArgs(board),
    '-nographic',
    '-monitor', 'none',
    ...serialArgs(board, serial),
    '-semihosting-config', 'enable=on,target=native',
    '-icount', 'shift=0',
    ...extra,
    '-kernel', elf,
  ];
}

/**
 * Runs `elf` in QEMU with UART0 to a file until it exits (semihosting) or `timeoutMs` passes.
 * Under -icount shift=0 the run is deterministic and counts instructions, not cycles.
 * A file, not a pipe: Node's child stdio is a socket pair, where each byte written alone takes a whole
 * buffer; once it fills, QEMU's 16550 (the RISC-V virt UART) drops bytes after 4 retries.
 */
export function runInQemu(elf: string, board: Board, opts: QemuRunOptions = {}): Promise<QemuRunResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'reparo-qemu-run-'));
  const uart = join(dir, 'uart0.txt');
  const argv = qemuArgs(elf, board, opts.extraArgs, `file:${uart}`);
  const { qemu, qemuPackages } = gccTarget(board);
  const stdoutNow = () => (existsSync(uart) ? readFileSync(uart, 'utf8') : '');
  return new Promise<QemuRunResult>((resolvePromise, reject) => {
    const t0 = Date.now();
    const child = spawn(qemu, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let done = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(
        new ReparoError('E_BUILD', `QEMU (${board.qemu!.machine}) did not exit within ${timeoutMs} ms; output so far:\n${stdoutNow()}${stderr}`, {
          file: elf,
          hint: 'the firmware must end with a semihosting exit; raise timeoutMs for long runs',
        }),
      );
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? missingTool(qemu, qemuPackages) : new ReparoError('E_BUILD', `cannot start ${qemu}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolvePromise({ stdout: stdoutNow(), stderr, exitCode: code ?? (signal ? 128 : -1), wallMs: Date.now() - t0, argv: [qemu, ...argv] });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}
