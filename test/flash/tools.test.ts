import { describe, expect, test } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../../toolkit/boards/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { flashWithTool, openocd, picotool, probeRs, pyocd, runTool, type FlashTool } from '../../toolkit/flash/tools/index.ts';

const FIX = new URL('../fixtures/tool-output/', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');
const nucleo = findBoard('nucleo-f446re');
const disco = findBoard('stm32f746g-disco');
const nrf = findBoard('nrf52840-dk');
const pico = findBoard('rpi-pico');
const bin = (base: number) => ({ path: '/tmp/fw.bin', format: 'bin' as const, base });
const elf = (base: number) => ({ path: '/tmp/fw.elf', format: 'elf' as const, base });

/** A fake tool on a temp PATH: a shell script with the given body. */
function fakeTool(name: string, body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'reparo-fake-tool-'));
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return dir;
}
const onPath = (dir: string): typeof runTool => (c, a, o) => runTool(c, a, { ...o, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });

async function flashError(p: Promise<unknown>): Promise<ReparoError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ReparoError);
  return e as ReparoError;
}

describe('command lines per board', () => {
  test('openocd: interface and target scripts from the board, bin at the flash base, verify', () => {
    expect(openocd.steps(nucleo, bin(0x8000000), { verify: true })).toEqual([
      { what: 'program', args: ['-f', 'interface/stlink.cfg', '-f', 'target/stm32f4x.cfg', '-c', 'program {/tmp/fw.bin} 0x8000000 verify reset exit'] },
    ]);
    expect(openocd.steps(disco, elf(0x8000000), { verify: false })[0]!.args).toEqual(['-f', 'interface/stlink.cfg', '-f', 'target/stm32f7x.cfg', '-c', 'program {/tmp/fw.elf} reset exit']);
    // the DK's J-Link needs SWD selected before the target script (it defaults to JTAG: see the real capture)
    expect(openocd.steps(nrf, elf(0), { verify: true })[0]!.args).toEqual(['-f', 'interface/jlink.cfg', '-c', 'transport select swd', '-f', 'target/nrf52.cfg', '-c', 'program {/tmp/fw.elf} verify reset exit']);
  });

  test('pyocd: load without reset, then compare through the probe and reset', () => {
    expect(pyocd.steps(nrf, bin(0), { verify: true })).toEqual([
      { what: 'program', args: ['load', '-t', 'nrf52840', '--format', 'bin', '--base-address', '0x0', '--no-reset', '/tmp/fw.bin'] },
      { what: 'verify', args: ['commander', '-t', 'nrf52840', '-c', 'compare 0x0 "/tmp/fw.bin"', '-c', 'reset'] },
    ]);
    expect(pyocd.steps(nucleo, elf(0x8000000), { verify: false })).toEqual([{ what: 'program', args: ['load', '-t', 'stm32f446retx', '/tmp/fw.elf'] }]);
    expect(() => pyocd.steps(nrf, elf(0), { verify: true })).toThrow(/flat binary/);
  });

  test('probe-rs: download --verify with the chip name, then reset', () => {
    expect(probeRs.steps(nrf, elf(0), { verify: true })).toEqual([
      { what: 'program', args: ['download', '--chip', 'nRF52840_xxAA', '--verify', '/tmp/fw.elf'] },
      { what: 'reset', args: ['reset', '--chip', 'nRF52840_xxAA'] },
    ]);
    expect(probeRs.steps(pico, bin(0x10000000), { verify: true })[0]!.args).toEqual(['download', '--chip', 'RP2040', '--binary-format', 'bin', '--base-address', '0x10000000', '--verify', '/tmp/fw.bin']);
  });

  test('picotool: load -v -x, a bin with its offset', () => {
    expect(picotool.steps(pico, bin(0x10000000), { verify: true })[0]!.args).toEqual(['load', '-v', '-x', '/tmp/fw.bin', '-t', 'bin', '-o', '0x10000000']);
    expect(picotool.steps(pico, { path: '/tmp/a.uf2', format: 'uf2', base: 0x10000000 }, { verify: false })[0]!.args).toEqual(['load', '-x', '/tmp/a.uf2']);
  });

  test('a board without the tool names is an E_BOARD error naming the option', () => {
    expect(() => openocd.steps(findBoard('qemu-mps2-an386'), elf(0), { verify: true })).toThrow(/openocdInterface/);
    expect(() => pyocd.steps(pico, bin(0x10000000), { verify: true })).toThrow(/pyocdTarget/);
  });
});

describe('output parsers (fixtures: *.real.txt captured here, *.doc.txt from the tools\' sources)', () => {
  // [tool, fixture, exit status, expected failure class (undefined: success), step]
  const cases: [FlashTool, string, number, string | undefined, 'program' | 'verify' | 'reset'][] = [
    [openocd, 'openocd-program-verify-ok.doc.txt', 0, undefined, 'program'],
    [openocd, 'openocd-stlink-no-probe.real.txt', 1, 'no-probe', 'program'],
    [openocd, 'openocd-cmsis-dap-no-probe.real.txt', 1, 'no-probe', 'program'],
    [openocd, 'openocd-jlink-no-probe.real.txt', 1, 'no-probe', 'program'],
    [openocd, 'openocd-missing-target-cfg.real.txt', 1, 'config', 'program'],
    [openocd, 'openocd-target-not-responding.doc.txt', 1, 'no-target', 'program'],
    [openocd, 'openocd-wrong-idcode.doc.txt', 1, 'wrong-target', 'program'],
    [openocd, 'openocd-verify-failed.doc.txt', 1, 'verify', 'program'],
    [pyocd, 'pyocd-load-ok.doc.txt', 0, undefined, 'program'],
    [pyocd, 'pyocd-compare-ok.doc.txt', 0, undefined, 'verify'],
    [pyocd, 'pyocd-compare-mismatch.doc.txt', 0, 'verify', 'verify'],
    [pyocd, 'pyocd-no-probe.doc.txt', 1, 'no-probe', 'program'],
    [pyocd, 'pyocd-0.13-no-probe.real.txt', 1, 'no-probe', 'program'],
    [pyocd, 'pyocd-unknown-target.doc.txt', 1, 'config', 'program'],
    [probeRs, 'probe-rs-download-verify-ok.doc.txt', 0, undefined, 'program'],
    [probeRs, 'probe-rs-no-probe.doc.txt', 1, 'no-probe', 'program'],
    [probeRs, 'probe-rs-verify-failed.doc.txt', 1, 'verify', 'program'],
    [probeRs, 'probe-rs-unknown-chip.doc.txt', 1, 'config', 'program'],
    [probeRs, 'probe-rs-target-not-responding.doc.txt', 1, 'no-target', 'program'],
    [picotool, 'picotool-load-verify-ok.doc.txt', 0, undefined, 'program'],
    [picotool, 'picotool-verify-failed.doc.txt', 255, 'verify', 'program'],
    [picotool, 'picotool-no-device.doc.txt', 249, 'no-probe', 'program'],
    [picotool, 'picotool-1.1-no-device.doc.txt', 249, 'no-probe', 'program'],
  ];
  test.each(cases.map(([tool, ...rest]) => [tool.command, tool, ...rest] as const))('%s: %s', (_name, tool, file, code, kind, what) => {
    const f = tool.parse({ what, args: [] }, fixture(file), code, { verify: true });
    expect(f?.kind).toBe(kind);
    if (f) expect(f.detail.length).toBeGreaterThan(0);
  });

  test('exit 0 without the verify message is not taken for a verified image', () => {
    expect(openocd.parse({ what: 'program', args: [] }, '** Programming Started **\n** Programming Finished **\n', 0, { verify: true })?.kind).toBe('verify');
    expect(pyocd.parse({ what: 'verify', args: [] }, 'Comparing 10 bytes @ 0x00000000\n', 0, { verify: true })?.kind).toBe('verify');
    expect(picotool.parse({ what: 'program', args: [] }, 'Loading into Flash: [====]  100%\n', 0, { verify: true })?.kind).toBe('verify');
  });

  test('progress lines', () => {
    const lines = fixture('picotool-load-verify-ok.doc.txt').split(/\r\n|\r|\n/);
    expect(lines.map((l) => picotool.progress(l)).filter((p) => p !== undefined)).toEqual([0, 25, 50, 100]);
    expect(openocd.progress('** Verified OK **')).toBe(100);
    expect(pyocd.progress('[==================================================]100%')).toBe(100);
  });
});

describe('spawn helper (fake tools on a temp PATH)', () => {
  test('captures stdout and stderr interleaved, reports lines (\\r too), returns the exit status', async () => {
    const dir = fakeTool('faketool', `printf 'a\\rb\\n'; echo err >&2; exit 3`);
    const lines: string[] = [];
    const r = await onPath(dir)('faketool', [], { timeoutMs: 5000, install: 'x', onLine: (l) => lines.push(l) });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('a\rb\n');
    expect(r.stderr).toBe('err\n');
    expect(lines.sort()).toEqual(['a', 'b', 'err']);
  });

  test('a tool that hangs is killed at the timeout, with its children, and E_TIMEOUT names it', async () => {
    const mark = join(mkdtempSync(join(tmpdir(), 'reparo-mark-')), 'child.pid');
    const dir = fakeTool('hangtool', `echo starting; sleep 30 & echo $! > ${mark}; wait`);
    const t0 = Date.now();
    const e = await flashError(onPath(dir)('hangtool', ['--x'], { timeoutMs: 400, install: 'x' }));
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toMatch(/hangtool --x.*400 ms.*starting/);
    expect(Date.now() - t0).toBeLessThan(3000);
    const child = Number(readFileSync(mark, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    // the sleep in the tool's process group is gone too (or a zombie waiting for init to reap it)
    const state = (() => {
      try {
        return readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]![0];
      } catch {
        return 'gone';
      }
    })();
    expect(['gone', 'Z']).toContain(state);
  });

  test('a tool that is not installed → E_FLASH with the install command', async () => {
    const e = await flashError(runTool('reparo-no-such-tool', [], { timeoutMs: 1000, install: 'apt-get install openocd' }));
    expect(e.code).toBe('E_FLASH');
    expect(e.message).toMatch(/not installed/);
    expect(e.where.hint).toMatch(/apt-get install openocd/);
  });
});

describe('flashWithTool end to end with fake tools', () => {
  const img = join(mkdtempSync(join(tmpdir(), 'reparo-img-')), 'fw.bin');
  writeFileSync(img, new Uint8Array(1024));

  test('openocd success: the fake sees the argv built from the board and prints the real success lines', async () => {
    const argv = join(mkdtempSync(join(tmpdir(), 'reparo-argv-')), 'argv');
    const dir = fakeTool('openocd', `printf '%s\\n' "$@" > ${argv}; cat ${join(FIX, 'openocd-program-verify-ok.doc.txt')} >&2`);
    const progress: number[] = [];
    const r = await flashWithTool(nucleo, img, { run: onPath(dir), onProgress: (p) => p.percent !== undefined && progress.push(p.percent) });
    expect(r.verified).toBe(true);
    expect(readFileSync(argv, 'utf8')).toBe(`-f\ninterface/stlink.cfg\n-f\ntarget/stm32f4x.cfg\n-c\nprogram {${img}} 0x8000000 verify reset exit\n`);
    expect(progress).toEqual([0, 50, 50, 100]);
  });

  test('openocd verify failure → E_FLASH "verify failed" with the next step', async () => {
    const dir = fakeTool('openocd', `cat ${join(FIX, 'openocd-verify-failed.doc.txt')} >&2; exit 1`);
    const e = await flashError(flashWithTool(nucleo, img, { run: onPath(dir) }));
    expect(e.code).toBe('E_FLASH');
    expect(e.message).toMatch(/openocd on board 'nucleo-f446re': verify failed \(\*\* Verify Failed \*\*\)/);
    expect(e.where.hint).toMatch(/flash again/);
  });

  test('picotool with no board in BOOTSEL → E_FLASH saying to hold BOOTSEL; the RP2040 image got its boot2 CRC', async () => {
    const seen = join(mkdtempSync(join(tmpdir(), 'reparo-seen-')), 'image');
    const dir = fakeTool('picotool', `cp "$4" ${seen}; cat ${join(FIX, 'picotool-no-device.doc.txt')}; exit 249`);
    const e = await flashError(flashWithTool(pico, img, { run: onPath(dir) }));
    expect(e.message).toMatch(/no debug probe \/ device found \(No accessible RP-series devices in BOOTSEL mode were found.\)/);
    expect(e.where.hint).toMatch(/BOOTSEL/);
    const sent = readFileSync(seen);
    expect(sent.readUInt32LE(252)).not.toBe(0); // patched copy, the input stays all zero
    expect(readFileSync(img).readUInt32LE(252)).toBe(0);
  });

  test.skipIf(spawnSync('openocd', ['--version']).error !== undefined)('the real openocd with no ST-LINK attached → no-probe', async () => {
    const e = await flashError(flashWithTool(nucleo, img, { timeoutMs: 20_000 }));
    expect(e.message).toMatch(/no debug probe \/ device found \(Error: open failed\)/);
  }, 30_000);
});
