/**
 * How long the installed CLI takes to answer `reparo --help` and `reparo boards` (target: well under
 * 0.5 s): the compiled dist/ run by plain node, heavy modules (onnxruntime, serialport, the quantizer)
 * loaded only by the commands that need them. Median of 10 runs each, wall clock.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { table } from '../cli/format.ts';

const BIN = fileURLToPath(new URL('../cli/reparo.js', import.meta.url));

function median(args: string[]): number {
  const times = Array.from({ length: 10 }, () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`reparo ${args.join(' ')} failed: ${r.stderr}`);
    return performance.now() - t0;
  }).sort((a, b) => a - b);
  return (times[4]! + times[5]!) / 2;
}

export async function benchCliStart(): Promise<void> {
  const rows = [['--help'], ['boards'], ['fuse', '--help']].map((args) => {
    const ms = median(args);
    return [`reparo ${args.join(' ')}`, `${ms.toFixed(0)} ms`, ms < 500 ? 'met' : 'MISSED'];
  });
  console.log(`\nCLI start (compiled dist/, node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${new Date().toISOString().slice(0, 10)})\n`);
  console.log(table(rows, ['command', 'median of 10', 'target < 500 ms']));
}
