/**
 * Flashing through external tools (openocd, pyocd, probe-rs, picotool) and UF2 drives: the command
 * lines come from the board file, each tool runs with a timeout, and its output is sorted into
 * success or a failure class with the next step to take (ReparoError E_FLASH).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { Board } from '../../boards/index.ts';
import { ReparoError } from '../../errors.ts';
import { describeImage, toBinary, withBoardFixups } from './image.ts';
import { openocd } from './openocd.ts';
import { picotool } from './picotool.ts';
import { probeRs } from './probe-rs.ts';
import { pyocd } from './pyocd.ts';
import { runTool, type ToolRun } from './spawn.ts';
import { copyUf2ToDrive, defaultMountRoots, encodeUf2, findUf2Drives, uf2FamilyId } from './uf2.ts';
import { option, type FailureKind, type FlashImage, type FlashTool, type ToolFailure } from './tool.ts';

export { runTool, type ToolRun, type RunToolOptions } from './spawn.ts';
export { encodeUf2, decodeUf2, findUf2Drives, copyUf2ToDrive, uf2FamilyId, uf2BoardId, UF2_FAMILIES, type Uf2Block } from './uf2.ts';
export { crc32Mpeg2, withBoot2Checksum } from './rp2040-boot2.ts';
export { describeImage, flashBase, toBinary } from './image.ts';
export { openocd, pyocd, probeRs, picotool };
export type { FlashImage, FlashTool, ToolFailure, FailureKind } from './tool.ts';

export const FLASH_TOOLS: Record<'openocd' | 'pyocd' | 'probe-rs' | 'picotool', FlashTool> = { openocd, pyocd, 'probe-rs': probeRs, picotool };
export type ToolMethod = keyof typeof FLASH_TOOLS | 'uf2';

export interface FlashWithToolOptions {
  /** default: the board's flashMethod.method */
  tool?: ToolMethod;
  /** read the flash back (default true; a UF2 copy cannot, and says so in the result) */
  verify?: boolean;
  /** per tool run, default 120 s; for UF2 how long the drive may stay after the copy, default 30 s */
  timeoutMs?: number;
  onProgress?: (p: { percent?: number; line: string }) => void;
  /** where UF2 drives are mounted (default /media/$USER, /run/media/$USER, /media, /Volumes) */
  mountRoots?: string[];
  /** for tests: runs a tool */
  run?: typeof runTool;
}

export interface FlashResult {
  tool: ToolMethod;
  image: FlashImage;
  /** true when the tool read the flash back and it matched */
  verified: boolean;
  /** each tool run: its arguments and everything it printed */
  runs: { command: string; args: string[]; output: string }[];
}

const NEXT_STEP: Record<FailureKind, (tool: ToolMethod, board: Board) => string> = {
  'no-probe': (tool, board) =>
    tool === 'picotool'
      ? 'hold BOOTSEL while plugging the board in (the RP2040 must be in its USB boot mode); on Linux install picotool\'s udev rules or run as root'
      : `plug in the board's debug USB port (${board.name}); on Linux install the probe's udev rules (e.g. openocd's 60-openocd.rules) and re-plug`,
  'no-target': () => 'the probe answers but the chip does not: check power, the SWD wiring or jumpers, and try again holding the board in reset',
  'wrong-target': (tool, board) => `the chip is not the one board '${board.id}' names for ${tool}: check --board and flashMethod.options in boards/${board.id}.json`,
  verify: () => 'the flash differs from the image after writing: flash again; if it repeats, erase the chip (it may be write-protected)',
  config: (tool, board) => `check the image path and the ${tool} names in boards/${board.id}.json (flashMethod.options)`,
  failed: (tool) => `see the output of ${tool} above`,
};

function flashError(tool: ToolMethod, board: Board, f: ToolFailure): ReparoError {
  const what: Record<FailureKind, string> = {
    'no-probe': 'no debug probe / device found',
    'no-target': 'the target does not respond',
    'wrong-target': 'wrong target',
    verify: 'verify failed',
    config: 'bad configuration',
    failed: 'failed',
  };
  return new ReparoError('E_FLASH', `${tool} on board '${board.id}': ${what[f.kind]} (${f.detail})`, { hint: NEXT_STEP[f.kind](tool, board) });
}

/** Tools that must be given a flat binary: to verify it (pyocd), to patch it (RP2040 boot2), to encode it (UF2). */
function needsBinary(tool: ToolMethod, board: Board, image: FlashImage, verify: boolean): boolean {
  if (image.format === 'uf2') return false;
  return tool === 'uf2' || (tool === 'pyocd' && verify) || board.flashMethod.options['rp2040Boot2'] === true;
}

export async function flashWithTool(board: Board, imagePath: string, opts: FlashWithToolOptions = {}): Promise<FlashResult> {
  const tool = opts.tool ?? (board.flashMethod.method as ToolMethod);
  if (tool !== 'uf2' && !(tool in FLASH_TOOLS))
    throw new ReparoError('E_USAGE', `'${tool}' is not an external flashing tool`, { hint: `use one of ${[...Object.keys(FLASH_TOOLS), 'uf2'].join(', ')}` });
  const verify = tool === 'uf2' ? false : opts.verify ?? true;
  // converted and fixed-up copies of the image live here while the tool runs
  const workDir = mkdtempSync(join(tmpdir(), 'reparo-flash-'));
  try {
    let image = describeImage(board, imagePath);
    if (needsBinary(tool, board, image, verify)) image = toBinary(image, workDir);
    image = withBoardFixups(board, image, workDir);

    if (tool === 'uf2') return await flashUf2(board, image, opts);

    const t = FLASH_TOOLS[tool];
    const run = opts.run ?? runTool;
    const runs: FlashResult['runs'] = [];
    for (const step of t.steps(board, image, { verify })) {
      const r: ToolRun = await run(t.command, step.args, {
        timeoutMs: opts.timeoutMs ?? 120_000,
        install: t.install,
        onLine: (line) => opts.onProgress?.({ percent: t.progress(line), line }),
      });
      runs.push({ command: t.command, args: step.args, output: r.output });
      const failure = t.parse(step, r.output, r.code, { verify });
      if (failure) throw flashError(tool, board, failure);
    }
    return { tool, image, verified: verify, runs };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function flashUf2(board: Board, image: FlashImage, opts: FlashWithToolOptions): Promise<FlashResult> {
  const wanted = option(board, 'uf2BoardId');
  const roots = opts.mountRoots ?? defaultMountRoots();
  const drives = findUf2Drives(roots).filter((d) => !wanted || d.boardId === wanted);
  if (drives.length === 0)
    throw new ReparoError('E_FLASH', `no UF2 drive${wanted ? ` with Board-ID ${wanted}` : ''} is mounted under ${roots.join(', ')}`, {
      hint: 'put the board in its UF2 bootloader (Pico: hold BOOTSEL while plugging it in) and make sure the drive is mounted',
    });
  if (drives.length > 1)
    throw new ReparoError('E_FLASH', `${drives.length} UF2 drives found (${drives.map((d) => d.path).join(', ')})`, { hint: 'leave only the board to flash in bootloader mode' });
  let bytes: Uint8Array;
  if (image.format === 'uf2') bytes = readFileSync(image.path);
  else {
    const family = option(board, 'uf2Family');
    if (!family) throw new ReparoError('E_BOARD', `board '${board.id}' has no flashMethod.options.uf2Family`, { hint: 'e.g. "rp2040"' });
    bytes = encodeUf2(readFileSync(image.path), image.base, uf2FamilyId(family));
  }
  opts.onProgress?.({ percent: 0, line: `copying ${bytes.length} bytes to ${drives[0]!.path}` });
  await copyUf2ToDrive(drives[0]!.path, bytes, `${basename(image.path, extname(image.path))}.uf2`, { timeoutMs: opts.timeoutMs ?? 30_000 });
  opts.onProgress?.({ percent: 100, line: 'the UF2 drive went away: the board restarted' });
  return { tool: 'uf2', image, verified: false, runs: [] };
}
