/** A connected pair of ptys made by socat, for simulators and fault injection over real serial devices. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  a: string;
  b: string;
  close(): void;
}

export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'reparo-pty-'));
  const a = join(dir, 'a'), b = join(dir, 'b');
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const t0 = Date.now();
  while (!(existsSync(a) && existsSync(b))) {
    if (child.exitCode !== null || Date.now() - t0 > 5000) throw new Error('socat did not make a pty pair (is socat installed?)');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    a,
    b,
    close: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
