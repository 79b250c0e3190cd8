/**
 * bench and validate (toolkit/hil runBench, runValidate) through the fault-injecting pty proxy, against
 * the real protocol loop (hil.c) built for the host with the fake backend (test/hil/host/fake-app):
 * flipped, dropped, duplicated and delayed bytes, a board that goes silent, a port closed
 * mid-transfer. Every session ends either exactly right — the host platform's counter advances 1000
 * per read, so every lap is 1000; every output equals the fake model's (computed here as the oracle)
 * — or with a ReparoError naming the failure. Never a wrong latency, never a wrong bit-exact verdict.
 * (The fake backend's profile reports raw counter values, which retries shift: only its shape is checked.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ReparoError } from '../../toolkit/errors.ts';
import { HilClient } from '../../toolkit/hil/index.ts';
import { runBench, type BenchResult } from '../../toolkit/hil/bench.ts';
import { runValidate, type ValidateResult } from '../../toolkit/hil/validate.ts';
import { openSerialPort } from '../../toolkit/serial/serialport.ts';
import { randomInts } from '../int8/model-builder.ts';
import { startFaultProxy, type FaultCounts, type FaultPlan } from './fault-proxy.ts';
import { buildHostFirmware, FAKE_APP_DIR, hostFirmwareOnPty } from './helpers.ts';

const LAP = 1000; // test/hil/host/host_platform.c: the counter advances 1000 per read
const MODEL = '0123456789abcdef'; // fake-app's model hash
const LAYERS = ['CONV_2D', 'MEAN', 'SOFTMAX'];
let exe: string;
let inputs: Int8Array[];
let clean: Session;

interface Session {
  bench?: BenchResult;
  validate?: ValidateResult;
  error?: unknown;
  ms: number;
  counts: FaultCounts;
}

async function session(plan: FaultPlan, timeoutMs = 300): Promise<Session> {
  const fw = await hostFirmwareOnPty(exe);
  const proxy = await startFaultProxy(fw.transport, plan);
  const port = await openSerialPort(proxy.hostPath, 115200);
  const hil = new HilClient(port, { timeoutMs, retries: 4 });
  const expectedModel = MODEL;
  const t0 = Date.now();
  const s: Session = { ms: 0, counts: proxy.counts };
  try {
    s.bench = await runBench(hil, { runs: 4, warmup: 1, input: inputs[0], expectedModel });
    s.validate = await runValidate(hil, { count: inputs.length, input: (i) => inputs[i]!, reference: fakeModel }, { expectedModel });
  } catch (e) {
    s.error = e;
  } finally {
    s.ms = Date.now() - t0;
    await port.close();
    await proxy.stop();
    await fw.stop();
  }
  return s;
}

/** exactly the clean session's numbers, or a ReparoError with one of the expected codes */
function expectRightOrError(s: Session, codes: string[], what: string): 'right' | string {
  if (s.error !== undefined) {
    expect(s.error, `${what}: ${(s.error as Error)?.stack}`).toBeInstanceOf(ReparoError);
    expect(codes, `${what}: ${(s.error as Error).message}`).toContain((s.error as ReparoError).code);
    return (s.error as ReparoError).code;
  }
  expect(s.bench!.counts, what).toEqual([LAP, LAP, LAP, LAP]);
  expect(s.bench!.layers!.map((l) => l.op), what).toEqual(LAYERS);
  expect(s.bench!.info.model).toBe(MODEL);
  expect(s.validate!.bitExact, what).toBe(inputs.length);
  expect(s.validate!.mismatches, what).toEqual([]);
  return 'right';
}

/** fake_backend.c's model, written independently: output o is the truncated third of the sum of input quarter o */
function fakeModel(x: Int8Array): Int8Array {
  return Int8Array.from([0, 1, 2, 3], (o) => {
    let s = 0;
    for (let i = Math.floor((o * 10) / 4); i < Math.floor(((o + 1) * 10) / 4); i++) s += x[i]!;
    return Math.trunc(s / 3);
  });
}

beforeAll(async () => {
  inputs = [11, 12, 13].map((seed) => Int8Array.from(randomInts(seed, 10, -128, 127)));
  exe = buildHostFirmware(FAKE_APP_DIR);
  // the baseline waits as long as a slow host may need: on a clean line a retry could only come from a
  // reply later than the timeout (seen with the machine loaded), and its byte count sizes the close test
  clean = await session({ seed: 0 }, 5000);
}, 120_000);

describe('HIL through the fault-injecting pty proxy', () => {
  it('a clean line gives the exact counts and bit-exact outputs (the baseline)', () => {
    expect(clean.error).toBeUndefined();
    expect(clean.bench!.counts).toEqual([LAP, LAP, LAP, LAP]);
    expect(clean.bench!.layers!.map((l) => l.op)).toEqual(LAYERS);
    expect(clean.validate!.bitExact).toBe(inputs.length);
    expect(clean.bench!.retries + clean.validate!.retries).toBe(0);
  });

  const noisy: [string, Omit<FaultPlan, 'seed'>][] = [
    ['flipped', { flip: 0.003 }],
    ['dropped', { drop: 0.003 }],
    ['duplicated', { duplicate: 0.003 }],
    ['all three', { flip: 0.002, drop: 0.002, duplicate: 0.002 }],
  ];
  for (const [name, faults] of noisy) {
    it(`${name} bytes: retried to the exact numbers, or a clear E_HIL; never a wrong number`, async () => {
      const outcomes: string[] = [];
      let injected = 0;
      for (const seed of [1, 2, 3]) {
        const s = await session({ seed, ...faults });
        injected += s.counts.flipped + s.counts.dropped + s.counts.duplicated;
        outcomes.push(expectRightOrError(s, ['E_HIL'], `${name}, seed ${seed}`));
      }
      console.log(`fault proxy, ${name} bytes: ${injected} faults injected over 3 sessions → ${outcomes.join(', ')}`);
      expect(injected).toBeGreaterThan(0);
      expect(outcomes).toContain('right'); // retries do recover from sparse faults
    }, 60_000);
  }

  it('delayed bytes: the exact numbers', async () => {
    const s = await session({ seed: 4, delayMs: 20 }, 1000);
    expect(expectRightOrError(s, [], 'delayed')).toBe('right');
  }, 60_000);

  it('a board that goes silent mid-reply: E_TIMEOUT within the bounded retries, no number', async () => {
    const s = await session({ seed: 5, silentAfter: 600 });
    expect(s.counts.silenced).toBeGreaterThan(0);
    expect(expectRightOrError(s, ['E_TIMEOUT'], 'silent')).toBe('E_TIMEOUT');
    expect(s.ms).toBeLessThan(5 * 300 * 6); // (retries + 1) attempts, each bounded by its timeouts
  }, 60_000);

  it('the port closed mid-transfer: E_SERIAL at once, no hang, no number', async () => {
    for (const closeAfter of [0.05, 0.5, 0.95].map((f) => Math.round(f * clean.counts.bytes))) {
      const s = await session({ seed: 6, closeAfter });
      expect(s.counts.closed).toBe(true);
      expect(expectRightOrError(s, ['E_SERIAL'], `closed after ${closeAfter} bytes`)).toBe('E_SERIAL');
      expect(s.ms).toBeLessThan(3000);
    }
  }, 60_000);
});
