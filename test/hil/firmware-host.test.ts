/**
 * The protocol loop (firmware-templates/common/hil.c) compiled for the host with a stdin/stdout
 * platform and a fake backend, under AddressSanitizer + UBSan: scripted sessions give the replies
 * PROTOCOL.md specifies, and seeded random byte streams (valid, corrupted and random frames mixed)
 * never trip a sanitizer, never make it send a line that is not a valid frame, and get exactly one
 * m-ready per '%'. CRCs are checked with node's zlib as the independent oracle.
 */
import { spawnSync } from 'node:child_process';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDeviceLine, encodeHostFrame } from '../../toolkit/serial/frame.ts';
import { buildHostFirmware, FAKE_APP_DIR } from './helpers.ts';

let exe: string;
beforeAll(() => {
  exe = buildHostFirmware(FAKE_APP_DIR, ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer']);
}, 60_000);

function run(input: Buffer): { frames: string[]; stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(exe, [], { input, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' }, maxBuffer: 1 << 26 });
  const stdout = r.stdout.toString('latin1');
  const lines = stdout.split('\r\n');
  expect(lines.pop()).toBe(''); // every line ends with CR LF
  const frames = lines.map((l) => {
    const d = decodeDeviceLine(l);
    expect(d.kind, `device line ${JSON.stringify(l)}`).toBe('frame');
    expect(zlibCrc32(Buffer.from(l.slice(0, l.lastIndexOf('*')), 'latin1')).toString(16).padStart(8, '0')).toBe(l.slice(-8));
    return d.kind === 'frame' ? d.body : '';
  });
  return { frames, stdout, stderr: r.stderr.toString(), status: r.status };
}

const host = (...bodies: string[]) => Buffer.concat(bodies.map((b) => Buffer.from(encodeHostFrame(b))));

/** The fake backend's model (fake_backend.c), as the oracle for results. */
function fakeModel(x: Int8Array): number[] {
  return [0, 1, 2, 3].map((o) => {
    let s = 0;
    for (let i = Math.floor((o * 10) / 4); i < Math.floor(((o + 1) * 10) / 4); i++) s += x[i]!;
    return Math.trunc(s / 3);
  });
}

describe('hil.c on the host (ASan + UBSan)', () => {
  it('answers a scripted session as PROTOCOL.md says', () => {
    const x = Int8Array.from([1, -2, 3, -128, 127, 60, 61, 62, -7, 9]);
    const hex = Buffer.from(x.buffer).toString('hex');
    const r = run(host('name', 'results', 'infer 1 0', 'hello run7', 'db load 9', 'db load 10', 'db 0 ' + hex.slice(0, 8), 'infer 2 1', 'db 4 ' + hex.slice(8), 'db 8 00112233', 'infer 2 1', 'results', 'profile', 'bogus', 'infer 0 0', 'infer 1001 0', 'db 01 00', 'hello UPPER'));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const replies: string[][] = [];
    let cur: string[] = [];
    for (const f of r.frames) {
      if (f === 'm-boot') continue;
      if (f === 'm-ready') {
        replies.push(cur);
        cur = [];
      } else cur.push(f);
    }
    expect(r.frames[0]).toBe('m-boot');
    const out = Buffer.from(Int8Array.from(fakeModel(x)).buffer).toString('hex');
    expect(replies).toEqual([
      ['m-name-reparo'],
      ['e-[no-results]'],
      ['e-[db-incomplete]'],
      ['m-hello run=run7 proto=1 runtime=native model=0123456789abcdef in=10 out=4 arena=64 layers=3 unit=instructions clock=1000000 board=host'],
      ['e-[db-size]'],
      ['m-load n=10'],
      ['m-db offset=0 n=4'],
      ['e-[db-incomplete]'],
      ['m-db offset=4 n=6'],
      ['e-[args]'], // 8 + 4 > 10
      ['m-lap run=run7 i=0 count=1000', 'm-lap run=run7 i=1 count=1000'],
      [`m-results run=run7 n=4 hex=${out}`],
      // the fake backend reports the counter itself per layer: the two timed runs read it 4 times before
      ['m-layer run=run7 i=0 op=CONV_2D count=5000', 'm-layer run=run7 i=1 op=MEAN count=6000', 'm-layer run=run7 i=2 op=SOFTMAX count=7000'],
      ['e-[unknown]'],
      ['e-[args]'],
      ['e-[args]'],
      ['e-[args]'], // leading zero
      ['e-[args]'],
    ]);
  });

  it('answers garbled and over-long frames with e-[frame] / e-[overflow] and ignores CR, LF and noise before a frame', () => {
    const good = Buffer.from(encodeHostFrame('name'));
    const flipped = Buffer.from(good);
    flipped[1] ^= 0x20; // 'a' → 'A': the CRC no longer matches
    const r = run(Buffer.concat([Buffer.from('\r\n\x00\xff'), good, flipped, Buffer.from('x'.repeat(300) + '%'), Buffer.from('name*4/00000000%'), Buffer.from('\n'), good]));
    expect(r.frames.filter((f) => f !== 'm-boot')).toEqual(['m-name-reparo', 'm-ready', 'e-[frame]', 'm-ready', 'e-[overflow]', 'm-ready', 'e-[frame]', 'm-ready', 'm-name-reparo', 'm-ready']);
  });

  it('survives seeded random byte streams: no sanitizer report, only valid frames, one m-ready per %', () => {
    const seed = Number(process.env.REPARO_FUZZ_SEED ?? 20241127);
    let s = seed >>> 0;
    const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
    const int = (n: number) => Math.floor(rand() * n);
    const hexOf = (n: number) => Array.from({ length: n }, () => int(256).toString(16).padStart(2, '0')).join('');
    const commands = [
      () => 'name',
      () => `hello ${int(36 ** 3).toString(36)}`,
      () => 'db load 10',
      () => `db load ${int(20)}`,
      () => `db ${int(12)} ${hexOf(int(70))}`,
      () => `db ${int(12)} ${hexOf(1 + int(5))}z`,
      () => `infer ${int(4)} ${int(3)}`,
      () => 'results',
      () => 'profile',
      () => 'x'.repeat(int(200)),
      () => `${['db', 'infer', 'hello'][int(3)]}${' '.repeat(int(3))}${int(99999999999)}`,
    ];
    const streams = 40;
    let bytes = 0;
    for (let k = 0; k < streams; k++) {
      const parts: Buffer[] = [];
      for (let p = 0; p < 60; p++) {
        const kind = int(10);
        if (kind < 6) parts.push(Buffer.from(encodeHostFrame(commands[int(commands.length)]!())));
        else if (kind < 8) {
          const f = Buffer.from(encodeHostFrame(commands[int(commands.length)]!()));
          f[int(f.length)] = int(256);
          parts.push(f);
        } else parts.push(Buffer.from(Array.from({ length: int(300) }, () => int(256))));
      }
      const input = Buffer.concat(parts);
      bytes += input.length;
      const r = run(input);
      expect(r.stderr, `seed ${seed} stream ${k}`).toBe('');
      expect(r.status, `seed ${seed} stream ${k}`).toBe(0);
      const percents = input.filter((b) => b === 0x25).length;
      expect(r.frames.filter((f) => f === 'm-ready').length, `seed ${seed} stream ${k}`).toBe(percents);
    }
    console.log(`hil.c fuzz: seed ${seed}, ${streams} streams, ${bytes} bytes, no sanitizer report`);
  }, 60_000);
});
