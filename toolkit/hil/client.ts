/**
 * The host side of the HIL protocol v1 (firmware-templates/common/PROTOCOL.md) over any Transport.
 *
 * Every command is idempotent, so every one is retried (a bounded number of times) when its reply is
 * garbled, incomplete, missing, or `e-[frame]`/`e-[overflow]`; other `e-[...]` replies are the board's
 * answer and become E_HIL at once. Each wait has a timeout: no reply frame for `timeoutMs` ends the
 * attempt, and a board silent on every attempt is E_TIMEOUT. Numbers are read only from frames whose
 * length and CRC checked out, and only from replies whose every expected frame is present.
 */
import { randomBytes } from 'node:crypto';
import { ReparoError } from '../errors.ts';
import { encodeHostFrame } from '../serial/frame.ts';
import { FrameReader } from '../serial/line-reader.ts';
import type { Transport } from '../serial/transport.ts';

export interface HilInfo {
  run: string;
  proto: number;
  runtime: 'native' | 'tflm';
  /** 16 hex digits, the same as modelHash() of the model the board runs */
  model: string;
  inputBytes: number;
  outputBytes: number;
  arenaBytes: number;
  /** operators the board can profile (0: no per-layer profile) */
  layers: number;
  /** what `count` values are in: instructions (QEMU -icount) or cycles (real boards) */
  unit: 'instructions' | 'cycles';
  clockHz: number;
  board: string;
}

export interface LayerCount {
  index: number;
  op: string;
  count: number;
}

export interface HilClientOptions {
  /** longest wait for the next reply frame in ms (default 5000); infer's first lap may take (warm-up + 1) times this */
  timeoutMs?: number;
  /** retries after a garbled, incomplete or missing reply (default 3) */
  retries?: number;
}

export interface HilStats {
  /** command attempts repeated after a bad or missing reply */
  retries: number;
  garbled: number;
  unframed: number;
}

/** input bytes per `db` command (the protocol's maximum) */
export const DB_CHUNK = 64;

type Outcome<T> = { ok: T } | { retry: string; silent: boolean };

const REASON_HINTS: Record<string, string> = {
  'db-size': 'the board expects another input size: does it run the model you meant? (reparo flash it again)',
  'db-incomplete': 'load the whole input (loadInput) before infer/profile',
  'no-results': 'run infer before asking for results',
  unsupported: 'this runtime cannot profile per layer',
  setup: 'the firmware could not set up the model (arena too small?); rebuild and flash it',
  run: 'the model failed on the board',
  args: 'reparo sent arguments the board refused: a firmware/host version mismatch?',
  unknown: 'the board does not know this command: is it running reparo HIL firmware (protocol 1)?',
};

function randomRunId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return Array.from(randomBytes(10), (b) => alphabet[b % 36]).join('');
}

function safeInt(s: string): number | null {
  if (!/^\d{1,16}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

export class HilClient {
  readonly stats: HilStats = { retries: 0, garbled: 0, unframed: 0 };
  private readonly reader: FrameReader;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private runId = '0';
  private infoCache: HilInfo | null = null;

  constructor(
    readonly transport: Transport,
    opts: HilClientOptions = {},
  ) {
    this.reader = new FrameReader(transport);
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.retries = opts.retries ?? 3;
  }

  /** The board's answer to `hello`, once hello has been called. */
  get info(): HilInfo | null {
    return this.infoCache;
  }

  async name(): Promise<string> {
    return this.command('name', 1, (f) => (f.length === 1 && /^m-name-[a-z0-9-]+$/.test(f[0]!) ? f[0]!.slice(7) : null));
  }

  /** Starts a session: every later result must echo `runId` (1–16 of [0-9a-z]; random by default). */
  async hello(runId = randomRunId()): Promise<HilInfo> {
    if (!/^[0-9a-z]{1,16}$/.test(runId)) throw new ReparoError('E_USAGE', `run id '${runId}' must be 1-16 characters of [0-9a-z]`);
    const info = await this.command(`hello ${runId}`, 1, (f) => {
      const m =
        f.length === 1 &&
        /^m-hello run=([0-9a-z]{1,16}) proto=(\d{1,4}) runtime=(native|tflm) model=([0-9a-f]{16}) in=(\d+) out=(\d+) arena=(\d+) layers=(\d+) unit=(instructions|cycles) clock=(\d+) board=([a-z0-9-]{1,64})$/.exec(f[0]!);
      if (!m || m[1] !== runId) return null;
      const nums = [m[2], m[5], m[6], m[7], m[8], m[10]].map((s) => safeInt(s!));
      if (nums.some((n) => n === null)) return null;
      const [proto, inputBytes, outputBytes, arenaBytes, layers, clockHz] = nums as number[];
      return { run: runId, proto: proto!, runtime: m[3] as HilInfo['runtime'], model: m[4]!, inputBytes: inputBytes!, outputBytes: outputBytes!, arenaBytes: arenaBytes!, layers: layers!, unit: m[9] as HilInfo['unit'], clockHz: clockHz!, board: m[11]! };
    });
    if (info.proto !== 1)
      throw new ReparoError('E_HIL', `the board on ${this.transport.path} speaks HIL protocol ${info.proto}; reparo speaks 1`, { hint: 'rebuild and flash the firmware with this reparo' });
    this.runId = runId;
    this.infoCache = info;
    return info;
  }

  /** Throws E_HIL unless the board runs the model whose modelHash() is `expectedHash`. */
  async checkModel(expectedHash: string): Promise<HilInfo> {
    const info = this.infoCache ?? (await this.hello());
    if (info.model !== expectedHash)
      throw new ReparoError('E_HIL', `the board on ${this.transport.path} (${info.board}) runs model ${info.model}, not ${expectedHash}`, {
        hint: 'the board runs another model: flash it again (reparo flash) with the firmware built for this model',
      });
    return info;
  }

  /** `db load` then the input in 64-byte `db` chunks; each command is retried on its own. */
  async loadInput(bytes: Int8Array | Uint8Array): Promise<void> {
    const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    const n = u8.length;
    await this.command(`db load ${n}`, 1, (f) => (f.length === 1 && f[0] === `m-load n=${n}` ? true : null));
    for (let off = 0; off < n; off += DB_CHUNK) {
      const chunk = u8.subarray(off, Math.min(n, off + DB_CHUNK));
      const expect = `m-db offset=${off} n=${chunk.length}`;
      await this.command(`db ${off} ${Buffer.from(chunk).toString('hex')}`, 1, (f) => (f.length === 1 && f[0] === expect ? true : null));
    }
  }

  /** `warmup` untimed runs, then `n` timed ones: their counts, in the board's unit (see info.unit). */
  async infer(n: number, warmup = 0): Promise<number[]> {
    if (!Number.isInteger(n) || n < 1 || n > 1000 || !Number.isInteger(warmup) || warmup < 0 || warmup > 100)
      throw new ReparoError('E_USAGE', `infer ${n} ${warmup}: runs must be 1-1000 and warm-up runs 0-100`);
    return this.command(
      `infer ${n} ${warmup}`,
      n,
      (f) => {
        if (f.length !== n) return null;
        const counts: number[] = [];
        for (let k = 0; k < n; k++) {
          const m = /^m-lap run=([0-9a-z]+) i=(\d+) count=(\d+)$/.exec(f[k]!);
          const c = m && m[1] === this.runId && m[2] === String(k) ? safeInt(m[3]!) : null;
          if (c === null) return null;
          counts.push(c);
        }
        return counts;
      },
      this.timeoutMs * (warmup + 1),
    );
  }

  /** The output bytes of the last run on the board. */
  async results(): Promise<Int8Array> {
    return this.command('results', 1, (f) => {
      const m = f.length === 1 ? /^m-results run=([0-9a-z]+) n=(\d+) hex=([0-9a-f]*)$/.exec(f[0]!) : null;
      const n = m ? safeInt(m[2]!) : null;
      if (!m || m[1] !== this.runId || n === null || m[3]!.length !== 2 * n) return null;
      if (this.infoCache && n !== this.infoCache.outputBytes) return null;
      return new Int8Array(Buffer.from(m[3]!, 'hex'));
    });
  }

  /** One run with the counter read around each operator: per-layer counts in the board's unit. */
  async profile(): Promise<LayerCount[]> {
    const layers = this.infoCache?.layers;
    return this.command(
      'profile',
      layers ?? 1,
      (f) => {
        if (layers !== undefined && f.length !== layers) return null;
        const out: LayerCount[] = [];
        for (let k = 0; k < f.length; k++) {
          const m = /^m-layer run=([0-9a-z]+) i=(\d+) op=([A-Z0-9_]{1,40}) count=(\d+)$/.exec(f[k]!);
          const c = m && m[1] === this.runId && m[2] === String(k) ? safeInt(m[4]!) : null;
          if (c === null) return null;
          out.push({ index: k, op: m![3]!, count: c });
        }
        return out.length ? out : null;
      },
      this.timeoutMs * 2,
    );
  }

  /**
   * Sends `body` and collects reply frames up to `m-ready`, retrying as the protocol's host rules say.
   * `parse` returns null when the frames are not the complete, expected reply.
   */
  private async command<T>(body: string, expectedFrames: number, parse: (frames: string[]) => T | null, firstTimeoutMs = this.timeoutMs): Promise<T> {
    const frame = encodeHostFrame(body);
    let last: { retry: string; silent: boolean } = { retry: '', silent: true };
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) this.stats.retries++;
      await this.reader.discard();
      await this.transport.write(frame);
      const outcome = await this.attempt(body, expectedFrames, parse, firstTimeoutMs);
      if ('ok' in outcome) return outcome.ok;
      last = outcome;
    }
    const tries = this.retries + 1;
    if (last.silent)
      throw new ReparoError('E_TIMEOUT', `the board is silent: no reply to '${body.split(' ')[0]}' on ${this.transport.path} within ${this.timeoutMs} ms (${tries} tries)`, {
        hint: 'is the firmware running and is this its serial port? (virtual boards: reparo flash first; real boards: reset it)',
      });
    throw new ReparoError('E_HIL', `no valid reply to '${body.split(' ')[0]}' on ${this.transport.path} after ${tries} tries: ${last.retry}`, {
      hint: 'the serial line corrupts data: check the cable, the baud rate, and that nothing else uses the port',
    });
  }

  private async attempt<T>(body: string, expectedFrames: number, parse: (frames: string[]) => T | null, firstTimeoutMs: number): Promise<Outcome<T>> {
    const frames: string[] = [];
    let garbled = 0;
    let heardAnything = false;
    // a cap on the whole attempt, so that a stream of noise lines cannot keep it alive forever
    const attemptDeadline = Date.now() + firstTimeoutMs + this.timeoutMs * (expectedFrames + 1);
    for (;;) {
      const wait = Math.min(frames.length || garbled ? this.timeoutMs : firstTimeoutMs, attemptDeadline - Date.now());
      const line = wait > 0 ? await this.reader.next(wait) : null;
      if (!line) return { retry: heardAnything ? `the reply to '${body}' stopped before m-ready` : `no reply to '${body}'`, silent: !heardAnything };
      heardAnything = true;
      if (line.kind === 'unframed') {
        this.stats.unframed++;
        continue;
      }
      if (line.kind === 'garbled') {
        this.stats.garbled++;
        garbled++;
        continue;
      }
      if (line.body === 'm-boot') continue;
      if (line.body !== 'm-ready') {
        frames.push(line.body);
        continue;
      }
      if (garbled) return { retry: `${garbled} garbled frame(s) in the reply to '${body}'`, silent: false };
      const err = frames.map((f) => /^e-\[([a-z0-9-]{1,32})\]$/.exec(f)).find((m) => m);
      if (err) {
        const reason = err[1]!;
        if (reason === 'frame' || reason === 'overflow') return { retry: `the board received a garbled command (e-[${reason}])`, silent: false };
        throw new ReparoError('E_HIL', `the board on ${this.transport.path} answered e-[${reason}] to '${body.length > 40 ? `${body.slice(0, 40)}…` : body}'`, { hint: REASON_HINTS[reason] ?? 'see PROTOCOL.md' });
      }
      const value = parse(frames);
      if (value !== null) return { ok: value };
      return { retry: `an incomplete or unexpected reply to '${body}'`, silent: false };
    }
  }
}
