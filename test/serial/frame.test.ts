/**
 * HIL frames and CRC-32 (toolkit/serial): the CRC check value and node's zlib as oracles; the
 * line/frame reader and the client fed seeded random and corrupted byte streams (fast-check) only
 * ever throw ReparoError and never hand out a value from a garbled frame.
 */
import fc from 'fast-check';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ReparoError } from '../../toolkit/errors.ts';
import { HilClient } from '../../toolkit/hil/index.ts';
import { crc32, crc32Hex, decodeDeviceLine, encodeDeviceFrame, encodeHostFrame, FrameReader, MockTransport } from '../../toolkit/serial/index.ts';

const lines = (...bodies: string[]) => bodies.map((b) => `${encodeDeviceFrame(b)}\r\n`).join('');

describe('CRC-32', () => {
  it('has the check value cbf43926 and agrees with zlib', () => {
    expect(crc32Hex('123456789')).toBe('cbf43926');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => crc32(b) === zlibCrc32(b)), { seed: 1, numRuns: 300 });
  });
});

describe('frames', () => {
  it('encodes host frames as <body>*<len>/<crc>% and refuses bodies the protocol forbids', () => {
    expect(Buffer.from(encodeHostFrame('db load 784')).toString()).toBe(`db load 784*11/${zlibCrc32('db load 784').toString(16).padStart(8, '0')}%`);
    for (const bad of ['a*b', '50%', 'tab\there', 'x'.repeat(201), 'é']) expect(() => encodeHostFrame(bad), bad).toThrow(ReparoError);
  });

  it('decodes device lines: frames, garbled frames and unframed lines', () => {
    expect(decodeDeviceLine(encodeDeviceFrame('m-ready'))).toEqual({ kind: 'frame', body: 'm-ready' });
    expect(decodeDeviceLine('reparo boot banner').kind).toBe('unframed');
    expect(decodeDeviceLine(encodeDeviceFrame('m-lap run=a i=0 count=1234').replace('1234', '1235')).kind).toBe('garbled');
    expect(decodeDeviceLine('m-ready*8/' + crc32Hex('m-ready')).kind).toBe('garbled');
    expect(decodeDeviceLine('m-ready*7/XYZ').kind).toBe('garbled');
  });

  it('the reader never turns a corrupted frame into a different body (seeded)', async () => {
    const bodies = ['m-lap run=abc i=0 count=9494680', 'm-results run=abc n=4 hex=00ff7f80', 'm-ready'];
    const clean = Buffer.from(lines(...bodies), 'latin1');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(clean.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), async (flips) => {
        const bad = Buffer.from(clean);
        for (const [i, x] of flips) bad[i] ^= x;
        const port = new MockTransport();
        port.push(bad);
        const reader = new FrameReader(port);
        for (let line = await reader.next(5); line; line = await reader.next(5)) if (line.kind === 'frame') expect(bodies).toContain(line.body);
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('the client fed random bytes throws only ReparoError and never returns a value (seeded)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.constantFrom('name', 'hello', 'infer', 'results', 'profile'), async (noise, what) => {
        runs++;
        const port = new MockTransport('noise', (_d, p) => p.push(noise));
        const hil = new HilClient(port, { timeoutMs: 15, retries: 1 });
        const call = { name: () => hil.name(), hello: () => hil.hello('abc'), infer: () => hil.infer(2, 0), results: () => hil.results(), profile: () => hil.profile() }[what];
        const err = await call().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ReparoError);
      }),
      { seed: 7, numRuns: 150 },
    );
    expect(runs).toBe(150);
  }, 30_000);

  it('a reply corrupted anywhere is retried and the clean value returned (seeded)', async () => {
    const reply = Buffer.from(lines('m-lap run=abc i=0 count=9494680', 'm-lap run=abc i=1 count=9494680', 'm-lap run=abc i=2 count=9494680', 'm-ready'), 'latin1');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(reply.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), async (flips) => {
        const bad = Buffer.from(reply);
        for (const [i, x] of flips) bad[i] ^= x;
        let writes = 0;
        const port = new MockTransport('flaky', (_d, p) => p.push(writes++ === 0 ? bad : reply));
        const hil = new HilClient(port, { timeoutMs: 20, retries: 2 });
        (hil as unknown as { runId: string }).runId = 'abc';
        expect(await hil.infer(3, 0)).toEqual([9494680, 9494680, 9494680]);
        expect(hil.stats.retries).toBe(1);
      }),
      { seed: 3, numRuns: 300 },
    );
  }, 30_000);
});

describe('MockTransport keeps the Transport contract strictly', () => {
  it('times out with an empty read, refuses a second reader, and rejects E_SERIAL once gone', async () => {
    const port = new MockTransport('mock0');
    expect((await port.read(5)).length).toBe(0);
    const pending = port.read(50);
    await expect(port.read(5)).rejects.toThrow(/another read is still pending/);
    port.hangUp('unplugged');
    await expect(pending).rejects.toMatchObject({ code: 'E_SERIAL' });
    await expect(port.write(new Uint8Array([1]))).rejects.toMatchObject({ code: 'E_SERIAL' });
    expect(port.closed).toBe(true);
    await port.close();
  });
});
