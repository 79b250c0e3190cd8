/**
 * A minimal QMP client (QEMU Machine Protocol, JSON lines over a unix socket): greeting, then
 * `qmp_capabilities`, then the commands one by one, each waiting for its `return` (asynchronous
 * `event` lines are skipped). Used to `cont` a QEMU started with -S and to `quit` one.
 */
import { createConnection } from 'node:net';
import { ReparoError } from '../errors.ts';

export async function qmpExecute(socketPath: string, commands: string[], timeoutMs = 5000): Promise<void> {
  const sock = createConnection(socketPath);
  let buf = '';
  let failed: Error | null = null;
  let wake: (() => void) | null = null;
  const lines: Record<string, unknown>[] = [];
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const text = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!text) continue;
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        failed = new Error(`not JSON: ${text.slice(0, 80)}`);
      }
    }
    wake?.();
  });
  sock.on('error', (e) => {
    failed = e;
    wake?.();
  });
  sock.on('close', () => {
    failed ??= new Error('the monitor closed the connection');
    wake?.();
  });
  const deadline = Date.now() + timeoutMs;
  const expect = async (what: (l: Record<string, unknown>) => boolean, doing: string): Promise<void> => {
    for (;;) {
      const i = lines.findIndex((l) => what(l) || 'error' in l);
      if (i >= 0) {
        const [l] = lines.splice(0, i + 1).slice(-1);
        if ('error' in l!) throw new Error(`${doing}: ${JSON.stringify(l!.error)}`);
        return;
      }
      if (failed) throw failed;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${doing}: no answer within ${timeoutMs} ms`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        wake = () => {
          clearTimeout(t);
          res();
        };
      });
      wake = null;
    }
  };
  try {
    await expect((l) => 'QMP' in l, 'greeting');
    for (const c of ['qmp_capabilities', ...commands]) {
      sock.write(`${JSON.stringify({ execute: c })}\n`);
      // `quit` may close the socket before (or instead of) answering
      if (c === 'quit') return;
      await expect((l) => 'return' in l, c);
    }
  } catch (e) {
    throw new ReparoError('E_FLASH', `QEMU monitor ${socketPath}: ${(e as Error).message}`, { hint: 'is QEMU still running? start the virtual board again' });
  } finally {
    sock.destroy();
  }
}
