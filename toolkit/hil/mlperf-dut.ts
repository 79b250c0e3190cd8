/**
 * A host for the MLPerf Tiny DUT firmware (reparo emit --mlperf), speaking the runner's protocol:
 * commands end with '%', replies are plain lines ending with "m-ready". reparo uses it to check that
 * a flashed DUT answers and, in tests, to drive it as the official runner does.
 */
import { ReparoError } from '../errors.ts';
import { FrameReader } from '../serial/line-reader.ts';
import type { Transport } from '../serial/transport.ts';

/** Bytes per `db` command, as the runner sends them without a power manager. */
export const DUT_DB_BYTES = 31;
/** Silence that ends the boot lines before the first command. */
const QUIET_MS = 300;

export interface DutInference {
  warmups: number;
  runs: number;
  /** the two m-lap-us timestamps around the timed runs */
  lapsUs: [number, number];
  results: number[];
}

export class MlperfDutClient {
  private readonly reader: FrameReader;
  constructor(private readonly transport: Transport, private readonly timeoutMs = 5000) {
    this.reader = new FrameReader(transport);
  }

  /** Sends `cmd%` and returns the reply lines before m-ready. */
  async command(cmd: string, timeoutMs = this.timeoutMs): Promise<string[]> {
    await this.reader.discard();
    await this.transport.write(new TextEncoder().encode(`${cmd}%`));
    const lines: string[] = [];
    for (;;) {
      const line = await this.reader.next(timeoutMs);
      if (!line) throw new ReparoError('E_TIMEOUT', `the MLPerf DUT on ${this.transport.path} did not finish its reply to '${cmd.slice(0, 20)}' within ${timeoutMs} ms`, { hint: 'is the DUT firmware running on this port? (reparo emit --mlperf, then flash)' });
      const text = (line.kind === 'frame' ? line.body : line.text).replace(/\r$/, '');
      if (text === 'm-ready') return lines;
      if (text) lines.push(text);
    }
  }

  /**
   * The vendor in `m-name-dut-[vendor]`. The protocol has no request ids and the boot lines end with
   * m-ready too: the line is let fall quiet before each ask, and asked up to three times, as the runner does.
   */
  async name(): Promise<string> {
    let lines: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      while ((await this.transport.read(QUIET_MS)).length) {}
      lines = await this.command('name');
      const m = lines.map((l) => /^m-name-dut-\[([^\]]+)\]$/.exec(l)).find(Boolean);
      if (m) return m[1]!;
    }
    throw new ReparoError('E_HIL', `no m-name-dut-[…] in the reply to 'name': ${JSON.stringify(lines).slice(0, 200)}`, { hint: 'the firmware on this port is not an MLPerf Tiny DUT' });
  }

  /** The benchmark in `m-model-[…]`. */
  async model(): Promise<string> {
    const m = (await this.command('profile')).map((l) => /^m-model-\[([^\]]+)\]$/.exec(l)).find(Boolean);
    if (!m) throw new ReparoError('E_HIL', "no m-model-[…] in the reply to 'profile'");
    return m[1]!;
  }

  /** `db load N`, then the bytes in hex, DUT_DB_BYTES per command, as the runner loads an input. */
  async load(bytes: Uint8Array): Promise<void> {
    const expect = (lines: string[], want: string, cmd: string) => {
      if (!lines.includes(want)) throw new ReparoError('E_HIL', `'${cmd.slice(0, 24)}' got ${JSON.stringify(lines).slice(0, 200)}, not ${want}`);
    };
    expect(await this.command(`db load ${bytes.length}`), `m-[Expecting ${bytes.length} bytes]`, 'db load');
    for (let off = 0; off < bytes.length; off += DUT_DB_BYTES) {
      const cmd = `db ${Buffer.from(bytes.subarray(off, off + DUT_DB_BYTES)).toString('hex')}`;
      const lines = await this.command(cmd);
      if (off + DUT_DB_BYTES >= bytes.length) expect(lines, 'm-load-done', cmd);
      else if (lines.length) throw new ReparoError('E_HIL', `'${cmd.slice(0, 24)}…' got ${JSON.stringify(lines).slice(0, 200)}`);
    }
  }

  /** `infer N W`: the timestamps and the results line the reply carries. */
  async infer(runs: number, warmups: number, timeoutMs = 30_000): Promise<DutInference> {
    const lines = await this.command(`infer ${runs} ${warmups}`, timeoutMs);
    const laps = lines.flatMap((l) => /^m-lap-us-(\d+)$/.exec(l)?.[1] ?? []).map(Number);
    const res = lines.map((l) => /^m-results-\[([^\]]*)\]$/.exec(l)).find(Boolean);
    const order = ['m-warmup-start-', 'm-warmup-done', 'm-infer-start-', 'm-lap-us-', 'm-lap-us-', 'm-infer-done', 'm-results-'];
    const seen = lines.map((l) => order.find((p) => l.startsWith(p)));
    if (laps.length !== 2 || !res || seen.join() !== order.join())
      throw new ReparoError('E_HIL', `the reply to 'infer ${runs} ${warmups}' is not what the runner expects: ${JSON.stringify(lines).slice(0, 300)}`);
    return { warmups, runs, lapsUs: [laps[0]!, laps[1]!], results: res[1]!.split(',').map(Number) };
  }
}
