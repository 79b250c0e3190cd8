import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `reparo` exactly as a user would (node cli/reparo.js), returning exit code and output. */
export function reparo(args: string[], opts: { timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [`${root}/cli/reparo.js`, ...args], { encoding: 'utf8', timeout: opts.timeout ?? 120_000, cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
