/** What every flashing-tool module provides: its command lines for a board and a reading of its output. */
import type { Board } from '../../boards/index.ts';

/** The image to write: its format decides how a tool is told where it goes. */
export interface FlashImage {
  path: string;
  format: 'elf' | 'hex' | 'bin' | 'uf2';
  /** load address of a .bin (the board's flash base) */
  base: number;
}

/** The failure classes the tools' outputs are sorted into; each has its own next step. */
export type FailureKind = 'no-probe' | 'no-target' | 'wrong-target' | 'verify' | 'config' | 'failed';

export interface ToolFailure {
  kind: FailureKind;
  /** the tool's own words (the lines that gave it away) */
  detail: string;
}

export interface ToolStep {
  args: string[];
  /** what this step proves when it succeeds (for progress messages) */
  what: 'program' | 'verify' | 'reset';
}

export interface FlashTool {
  /** executable name */
  command: string;
  /** how to get it (for 'not installed') */
  install: string;
  steps(board: Board, image: FlashImage, opts: { verify: boolean }): ToolStep[];
  /** undefined when the step succeeded; verify tells the parser to insist on the tool's verify message */
  parse(step: ToolStep, output: string, code: number | null, opts: { verify: boolean }): ToolFailure | undefined;
  /** percent done, when the line is a progress line */
  progress(line: string): number | undefined;
}

export function option(board: Board, key: string): string | undefined {
  const v = board.flashMethod.options[key];
  return v === undefined ? undefined : String(v);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** The first line of `output` that matches one of `patterns`, trimmed. */
export function firstMatch(output: string, patterns: RegExp[]): string | undefined {
  for (const line of output.split(/\r\n|\r|\n/)) if (patterns.some((p) => p.test(line))) return line.trim();
  return undefined;
}

/** The last few non-empty lines, for failures nobody classified. */
export function tail(output: string, n = 4): string {
  return output.trim().split(/\r\n|\r|\n/).filter((l) => l.trim()).slice(-n).join(' | ');
}
