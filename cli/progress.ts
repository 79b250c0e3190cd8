/** Progress bars on stderr (stdout stays clean for --json); silent when stderr is not a terminal. */
import cliProgress from 'cli-progress';

export function progressBar(label: string): { update: (done: number, total: number, phase?: string) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label.padEnd(12)} {bar} {value}/{total} {phase}`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, phase = '') {
      if (!started) (bar.start(total, 0, { phase }), (started = true));
      bar.setTotal(total);
      bar.update(done, { phase });
    },
    stop: () => started && bar.stop(),
  };
}
