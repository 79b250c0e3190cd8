/** Runs a host firmware built under ASan + UBSan on one input stream: its output, stderr, exit status, and whether it hung. */
import { spawn } from 'node:child_process';

export function runSanitized(exe: string, input: Buffer, timeoutMs = 10_000): Promise<{ stdout: string; stderr: string; status: number | null; timedOut: boolean }> {
  return new Promise((done) => {
    const child = spawn(exe, [], { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' } });
    const out: Buffer[] = [], err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => {}); // a crashed child closes its stdin early: the exit status tells
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString(), status, timedOut });
    });
    child.stdin.end(input);
  });
}
