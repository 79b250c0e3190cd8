/**
 * The host side of the HIL protocol fed random byte streams: device replies (valid frames with
 * random numbers, the same frames corrupted, random bytes), cut into random chunks. The frame reader
 * hands out only bodies that were really sent intact, and the client returns exactly the values the
 * intact reply carries or throws a ReparoError — never a number from a damaged frame.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReparoError } from '../../toolkit/errors.ts';
import { HilClient } from '../../toolkit/hil/index.ts';
import { encodeDeviceFrame, FrameReader, MockTransport } from '../../toolkit/serial/index.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, fuzzRuns, fuzzSeed, FuzzTally } from './budget.ts';

/** a valid infer reply for run 'abc': n laps with these counts, then m-ready */
const lapReply = (counts: number[]) => [...counts.map((c, i) => `m-lap run=abc i=${i} count=${c}`), 'm-ready'];

const piece = (bodies: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...bodies).map((b) => ({ body: b as string | null, bytes: Buffer.from(`${encodeDeviceFrame(b)}\r\n`, 'latin1') })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...bodies), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, x]) => {
      const bytes = Buffer.from(`${encodeDeviceFrame(b)}\r\n`, 'latin1');
      bytes[at % (bytes.length - 2)] ^= x; // damage the frame, not its line end
      return { body: null, bytes };
    }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => ({ body: null, bytes: Buffer.from(b) })) },
  );

/** splits `bytes` at the given cut points into the chunks one read would return */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    if (c > prev) out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

describe('fuzz: the HIL host parser on random byte streams', () => {
  it('the frame reader hands out only bodies that were sent intact', async () => {
    const seed = fuzzSeed(3301);
    const tally = new FuzzTally('hil-host/frame-reader', seed);
    const bodies = ['m-ready', 'm-lap run=abc i=0 count=123456', 'm-results run=abc n=2 hex=7f80', 'e-[frame]'];
    await fc.assert(
      fc.asyncProperty(fc.array(piece(bodies), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), async (pieces, cuts) => {
        const port = new MockTransport('fuzz');
        for (const c of chunks(Buffer.concat(pieces.map((p) => p.bytes)), cuts)) port.push(c);
        const reader = new FrameReader(port, 256);
        const intact = pieces.filter((p) => p.body !== null).length;
        let frames = 0;
        await tally.timeAsync(async () => {
          for (let line = await reader.next(0); line; line = await reader.next(0)) {
            if (line.kind !== 'frame') continue;
            expect(bodies).toContain(line.body);
            frames++;
          }
        });
        // random bytes can carry a line end that cuts an intact frame off, never add one
        expect(frames).toBeLessThanOrEqual(intact + pieces.length);
        tally.outcome(frames === intact ? 'all intact frames read' : 'frames lost to noise');
      }),
      fuzzParams(seed, fuzzRuns(2000)),
    );
    tally.print();
  }, FUZZ_TIMEOUT_MS);

  it('the client returns exactly the intact reply\'s counts or throws a ReparoError', async () => {
    const seed = fuzzSeed(3302);
    const tally = new FuzzTally('hil-host/client', seed);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('xor', 'drop', 'dup', 'insert')), { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (counts, faults, cuts) => {
          const clean = Buffer.from(lapReply(counts).map((b) => `${encodeDeviceFrame(b)}\r\n`).join(''), 'latin1');
          const bytes = [...clean];
          for (const [at, x, how] of faults) {
            const i = at % bytes.length;
            if (how === 'xor') bytes[i]! ^= x || 1;
            else if (how === 'drop') bytes.splice(i, 1);
            else if (how === 'dup') bytes.splice(i, 0, bytes[i]!);
            else bytes.splice(i, 0, x);
          }
          const damaged = Buffer.from(bytes);
          const port = new MockTransport('fuzz', (_d, p) => chunks(damaged, cuts).forEach((c) => p.push(c)));
          const hil = new HilClient(port, { timeoutMs: 3, retries: 0 });
          (hil as unknown as { runId: string }).runId = 'abc';
          const result = await tally.timeAsync(() => hil.infer(counts.length, 0).then((v) => v, (e: unknown) => e));
          if (Array.isArray(result)) {
            expect(result).toEqual(counts);
            tally.outcome(damaged.equals(clean) ? 'clean reply read' : 'harmless damage, right counts');
          } else {
            expect(result).toBeInstanceOf(ReparoError);
            tally.outcome((result as ReparoError).code);
          }
        },
      ),
      fuzzParams(seed, fuzzRuns(1500)),
    );
    tally.print();
  }, FUZZ_TIMEOUT_MS);
});
