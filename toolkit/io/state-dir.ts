import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where reparo keeps what outlives one command (running virtual boards, what was flashed where):
 * $REPARO_STATE_DIR, else the OS temp folder. Tests point it at a folder of their own.
 */
export function stateDir(sub: string): string {
  return join(process.env.REPARO_STATE_DIR || tmpdir(), sub);
}
