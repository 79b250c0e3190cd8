/**
 * The firmware's protocol loop (firmware-templates/common/hil.c) built for the host under
 * AddressSanitizer + UBSan (halting on the first report) and fed random byte streams drawn by
 * fast-check: valid command frames with random arguments, the same frames damaged, random bytes.
 * Each stream must end with exit 0, nothing on stderr, only valid frames on stdout (CRC checked by
 * zlib as the oracle) and exactly one m-ready per '%'.
 */
import fc from 'fast-check';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDeviceLine, encodeHostFrame } from '../../toolkit/serial/frame.ts';
import { buildHostFirmware, FAKE_APP_DIR } from '../hil/helpers.ts';
import { runSanitized } from './run-sanitized.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, fuzzRuns, fuzzSeed, FuzzTally } from './budget.ts';

let exe: string;
beforeAll(() => {
  exe = buildHostFirmware(FAKE_APP_DIR, ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer']);
}, FUZZ_TIMEOUT_MS);


const hex = fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b).toString('hex'));
const num = fc.oneof(fc.nat(20), fc.constantFrom(0, 10, 64, 100, 1000, 1001, 4294967295, 4294967296), fc.nat()).map(String);
const body: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('name', 'results', 'profile', 'db load 10', 'infer 1 0'),
  fc.stringMatching(/^[0-9a-z]{0,18}$/).map((r) => `hello ${r}`),
  fc.tuple(num).map(([n]) => `db load ${n}`),
  fc.tuple(num, hex).map(([o, h]) => `db ${o} ${h}`),
  fc.tuple(num, num).map(([n, w]) => `infer ${n} ${w}`),
  fc.string({ unit: fc.constantFrom(...'abdehilmnoprstuxz019 '.split('')), maxLength: 40 }),
).filter((b) => b.length <= 200);

const piece = fc.oneof(
  { weight: 6, arbitrary: body.map((b) => Buffer.from(encodeHostFrame(b))) },
  { weight: 2, arbitrary: fc.tuple(body, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, x]) => {
    const f = Buffer.from(encodeHostFrame(b));
    f[at % f.length] ^= x;
    return f;
  }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
);

describe('fuzz: hil.c on the host under ASan + UBSan', () => {
  it('random byte streams: no sanitizer report, only valid frames, one m-ready per %', async () => {
    const seed = fuzzSeed(4401);
    const tally = new FuzzTally('hil-firmware', seed);
    let bytes = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 20 }), async (pieces) => {
        const input = Buffer.concat(pieces);
        bytes += input.length;
        const r = await tally.timeAsync(() => runSanitized(exe, input));
        expect(r.timedOut, 'the firmware hung').toBe(false);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const lines = r.stdout.split('\r\n');
        expect(lines.pop()).toBe('');
        let ready = 0;
        for (const l of lines) {
          const d = decodeDeviceLine(l);
          expect(d.kind, JSON.stringify(l)).toBe('frame');
          expect(zlibCrc32(Buffer.from(l.slice(0, l.lastIndexOf('*')), 'latin1')).toString(16).padStart(8, '0')).toBe(l.slice(-8));
          if (d.kind === 'frame' && d.body === 'm-ready') ready++;
        }
        expect(ready).toBe(input.filter((b) => b === 0x25).length);
        tally.outcome('clean');
      }),
      fuzzParams(seed, fuzzRuns(150)),
    );
    tally.print();
    console.log(`hil-firmware: ${bytes} bytes in all`);
  }, FUZZ_TIMEOUT_MS);
});
