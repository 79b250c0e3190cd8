/** Runs an external flashing tool with a timeout, capturing its output and reporting it line by line. */
import { spawn } from 'node:child_process';
import { ReparoError } from '../../errors.ts';

export interface ToolRun {
  /** exit status; null when a signal ended it */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order (what a person would have seen) */
  output: string;
}

export interface RunToolOptions {
  /** the whole run; the tool (and its process group) is killed after it */
  timeoutMs: number;
  /** how to install the tool, for the error when it is not on PATH */
  install: string;
  /** every line as it arrives; progress bars that redraw with '\r' count as lines too */
  onLine?: (line: string) => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Grace between SIGTERM and SIGKILL when a tool overstays its timeout. */
const KILL_GRACE_MS = 2000;

export function runTool(command: string, args: string[], opts: RunToolOptions): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    // detached: its own process group, so that a timeout also ends what it started (pyocd is python)
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let output = '';
    let partial = '';
    let timedOut = false;
    const feed = (text: string) => {
      output += text;
      partial += text;
      const lines = partial.split(/\r\n|\r|\n/);
      partial = lines.pop()!;
      for (const l of lines) if (l.trim()) opts.onLine?.(l);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; feed(d); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; feed(d); });
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    }, opts.timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT')
        reject(new ReparoError('E_FLASH', `'${command}' is not installed (not found on PATH)`, { hint: `install it: ${opts.install}` }));
      else reject(new ReparoError('E_FLASH', `cannot start '${command}': ${e.message}`, { hint: 'check that the tool is executable' }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (partial.trim()) opts.onLine?.(partial);
      if (timedOut) {
        const last = output.trim().split(/\r\n|\r|\n/).slice(-3).join(' | ');
        reject(
          new ReparoError('E_TIMEOUT', `'${command} ${args.join(' ')}' did not finish within ${opts.timeoutMs} ms${last ? ` (last output: ${last})` : ''}`, {
            hint: 'the probe or board may be hung: unplug and replug it, then try again (or raise the timeout for large images)',
          }),
        );
      } else resolve({ code, stdout, stderr, output });
    });
  });
}
