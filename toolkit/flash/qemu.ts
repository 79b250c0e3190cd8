/**
 * Virtual boards: the firmware ELF in qemu-system-arm (MPS2 machines) or qemu-system-riscv32 (virt)
 * with UART0 on a pty.
 *
 * QEMU starts paused (-S) with `-serial pty`, a QMP monitor on a unix socket, semihosting and
 * `-icount shift=0` (counts are instructions, deterministic). Its pty path is read from its output
 * ("char device redirected to /dev/pts/N"), the pty is opened, and only then does `cont` start the
 * CPU: what the firmware prints while nobody holds the pty is lost, the -S keeps the boot from
 * racing the host.
 *
 * Two modes:
 * - startVirtualBoard: a session owned by this process ({ transport, stop() }), for tests and deploy;
 * - flashVirtualBoard / connectVirtualBoard / stopVirtualBoard: a detached QEMU that outlives the
 *   process (`reparo flash`, then `reparo bench` / `validate` in other processes), its state in
 *   $REPARO_STATE_DIR (default: the OS temp folder)/reparo-qemu/<board>.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stateDir } from '../io/state-dir.ts';
import { join } from 'node:path';
import type { Board } from '../boards/index.ts';
import { gccTarget, qemuMachineArgs, serialArgs } from '../toolchain/targets.ts';
import { ReparoError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { openSerialPort } from '../serial/serialport.ts';
import type { Transport } from '../serial/transport.ts';
import { qmpExecute } from './qmp.ts';

/** every QEMU system emulator's name starts so (the pid check below) */
const QEMU_PREFIX = 'qemu-system-';
const PTY_LINE = /char device redirected to (\/dev\/pts\/\d+)/;

export interface VirtualBoardSession {
  board: Board;
  pty: string;
  pid: number;
  transport: Transport;
  /** what QEMU itself printed (not the UART) */
  qemuOutput(): string;
  /** closes the port and ends QEMU; idempotent */
  stop(): Promise<void>;
}

export interface VirtualBoardState {
  board: string;
  pid: number;
  pty: string;
  qmp: string;
  elf: string;
  elfSha256: string;
  log: string;
  startedAt: string;
}

export interface StartOptions {
  /** how long QEMU may take to start and name its pty (default 10 s) */
  timeoutMs?: number;
  /** opens the pty (default openSerialPort at the board's baud); tests may wrap it */
  openSerial?: (path: string, baud: number) => Promise<Transport>;
}

function qemuBoard(board: Board): NonNullable<Board['qemu']> {
  if (!board.qemu) throw new ReparoError('E_FLASH', `board '${board.id}' is not a virtual (QEMU) board`, { hint: 'the virtual boards are the qemu-* ones (reparo boards)' });
  return board.qemu;
}

export function virtualBoardArgs(elf: string, board: Board, qmpSocket: string): string[] {
  qemuBoard(board);
  return [
    ...qemuMachineArgs(board),
    '-nographic',
    '-monitor', 'none',
    '-qmp', `unix:${qmpSocket},server=on,wait=off`,
    ...serialArgs(board, 'pty'),
    '-semihosting-config', 'enable=on,target=native',
    '-icount', 'shift=0',
    '-S',
    '-kernel', elf,
  ];
}

function checkElf(elf: string): void {
  if (!existsSync(elf)) throw new ReparoError('E_FLASH', `no firmware image at ${elf}`, { hint: 'build it first (reparo build)' });
}

function spawnError(e: NodeJS.ErrnoException, board: Board): ReparoError {
  const { qemu, qemuPackages } = gccTarget(board);
  return e.code === 'ENOENT'
    ? new ReparoError('E_FLASH', `'${qemu}' not found`, { hint: `install the Debian package: sudo apt-get install ${qemuPackages}` })
    : new ReparoError('E_FLASH', `cannot start ${qemu}: ${e.message}`);
}

/** Polls `output()` for QEMU's pty line until `timeoutMs`, failing early when QEMU exits. */
async function waitForPty(output: () => string, exited: () => string | null, board: Board, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = PTY_LINE.exec(output());
    if (m) return m[1]!;
    const why = exited();
    if (why !== null) throw new ReparoError('E_FLASH', `QEMU (${board.id}) ${why} before it opened its serial pty:\n${output().trim()}`, { hint: 'check the ELF was built for this board' });
    if (Date.now() > deadline) throw new ReparoError('E_FLASH', `QEMU (${board.id}) did not report its serial pty within ${timeoutMs} ms:\n${output().trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stopChild(child: ChildProcess, timeoutMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await done;
  clearTimeout(t);
}

/** A virtual board owned by this process: QEMU runs the ELF until stop(). */
export async function startVirtualBoard(elf: string, board: Board, opts: StartOptions = {}): Promise<VirtualBoardSession> {
  checkElf(elf);
  const dir = mkdtempSync(join(tmpdir(), `reparo-qemu-${board.id}-`));
  const qmp = join(dir, 'qmp.sock');
  const child = spawn(gccTarget(board).qemu, virtualBoardArgs(elf, board, qmp), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exitWhy: string | null = null;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  let spawnFailure: ReparoError | null = null;
  child.on('error', (e: NodeJS.ErrnoException) => {
    spawnFailure = spawnError(e, board);
    exitWhy ??= 'could not start';
  });
  child.on('exit', (code, signal) => (exitWhy ??= `exited (${signal ?? `code ${code}`})`));
  let transport: Transport | null = null;
  const stop = async () => {
    await transport?.close();
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pty = await waitForPty(() => output, () => exitWhy, board, opts.timeoutMs ?? 10_000);
    transport = await (opts.openSerial ?? openSerialPort)(pty, board.serial.baud);
    await qmpExecute(qmp, ['cont']);
    return { board, pty, pid: child.pid!, transport, qemuOutput: () => output, stop };
  } catch (e) {
    await stop();
    throw spawnFailure ?? e;
  }
}

// ---- the persistent virtual board ----

export function virtualBoardStatePath(boardId: string): string {
  return join(stateDir('reparo-qemu'), `${boardId}.json`);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function isQemu(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // the pid may have been reused by another program since
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(QEMU_PREFIX);
  } catch {
    return true; // no /proc: trust the signal check
  }
}

/** The state of the detached QEMU of `boardId` when it is still running, else null. */
export function runningVirtualBoard(boardId: string): VirtualBoardState | null {
  const state = readVirtualBoardState(boardId);
  return state && isQemu(state.pid) ? state : null;
}

export function readVirtualBoardState(boardId: string): VirtualBoardState | null {
  const p = virtualBoardStatePath(boardId);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as VirtualBoardState;
  } catch {
    return null;
  }
}

/** Ends the detached QEMU of `boardId` (if any) and forgets it; true when one was running. */
export async function stopVirtualBoard(boardId: string): Promise<boolean> {
  const state = readVirtualBoardState(boardId);
  rmSync(virtualBoardStatePath(boardId), { force: true });
  if (!state || !isQemu(state.pid)) return false;
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 3000;
  while (isQemu(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (isQemu(state.pid)) process.kill(state.pid, 'SIGKILL');
  rmSync(state.qmp, { force: true });
  return true;
}

/**
 * `reparo flash` for a virtual board: stops the board's earlier QEMU, starts a detached one running
 * `elf` and records it. The firmware then waits for commands; its boot line is lost (nobody holds the
 * pty yet), which the protocol allows.
 */
export async function flashVirtualBoard(elf: string, board: Board, opts: { timeoutMs?: number } = {}): Promise<VirtualBoardState> {
  checkElf(elf);
  qemuBoard(board);
  await stopVirtualBoard(board.id);
  const dir = stateDir('reparo-qemu');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${board.id}.log`);
  const qmp = join(dir, `${board.id}.qmp`);
  rmSync(qmp, { force: true });
  const fd = openSync(log, 'w');
  const child = spawn(gccTarget(board).qemu, virtualBoardArgs(elf, board, qmp), { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  let exitWhy: string | null = null;
  let spawnFailure: ReparoError | null = null;
  child.on('error', (e: NodeJS.ErrnoException) => {
    spawnFailure = spawnError(e, board);
    exitWhy ??= 'could not start';
  });
  child.on('exit', (code, signal) => (exitWhy ??= `exited (${signal ?? `code ${code}`})`));
  const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  try {
    const pty = await waitForPty(readLog, () => exitWhy, board, opts.timeoutMs ?? 10_000);
    await qmpExecute(qmp, ['cont']);
    const state: VirtualBoardState = { board: board.id, pid: child.pid!, pty, qmp, elf, elfSha256: sha256(elf), log, startedAt: new Date().toISOString() };
    writeFileAtomic(virtualBoardStatePath(board.id), JSON.stringify(state, null, 2));
    child.unref();
    return state;
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw spawnFailure ?? e;
  }
}

export interface VirtualBoardConnection {
  state: VirtualBoardState;
  transport: Transport;
  /** closes the port; QEMU keeps running */
  close(): Promise<void>;
}

/**
 * Opens the pty of the detached QEMU of `board` (started by flashVirtualBoard, maybe in another
 * process). Checks that QEMU still runs `elf` (default: the flashed path) byte for byte (SHA-256), so a
 * rebuilt or different image is E_FLASH instead of a bench of stale firmware.
 */
export async function connectVirtualBoard(board: Board, opts: { elf?: string; openSerial?: StartOptions['openSerial'] } = {}): Promise<VirtualBoardConnection> {
  const state = readVirtualBoardState(board.id);
  const notRunning = () =>
    new ReparoError('E_FLASH', `no virtual board running for ${board.id}; run reparo flash first`, { hint: `reparo flash --board ${board.id} <project>` });
  if (!state) throw notRunning();
  if (!isQemu(state.pid)) {
    rmSync(virtualBoardStatePath(board.id), { force: true });
    throw notRunning();
  }
  // the image QEMU runs must still be the one asked for: not another project, not rebuilt since the flash
  const elf = opts.elf ?? state.elf;
  if (!existsSync(elf) || sha256(elf) !== state.elfSha256)
    throw new ReparoError('E_FLASH', `the virtual board ${board.id} runs ${state.elf} as flashed at ${state.startedAt}, which is not ${elf} as it is now`, {
      hint: `flash the current build: reparo flash --board ${board.id} <project>`,
    });
  const transport = await (opts.openSerial ?? openSerialPort)(state.pty, board.serial.baud);
  return { state, transport, close: () => transport.close() };
}
