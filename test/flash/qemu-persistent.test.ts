/**
 * The persistent virtual board: `reparo flash` starts a detached QEMU and records it; other processes
 * connect to its pty by the state file; a different or rebuilt image, a dead QEMU or no flash at all
 * is a clear E_FLASH. Firmware: the protocol loop with the fake backend of the host tests, built for
 * the Cortex-M4 board (no model needed).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { buildFirmware } from '../../toolkit/toolchain/index.ts';
import { connectVirtualBoard, flashVirtualBoard, readVirtualBoardState, stopVirtualBoard, virtualBoardStatePath } from '../../toolkit/flash/index.ts';
import { HilClient } from '../../toolkit/hil/index.ts';

const board = findBoard('qemu-mps2-an386');
const FAKE = fileURLToPath(new URL('../hil/host/fake-app/', import.meta.url));
const MAIN = fileURLToPath(new URL('../../firmware-templates/native-hil/main.c', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function fakeFirmware(optimize: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'reparo-vb-'));
  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  for (const f of ['fake_backend.c', 'reparo_hil_config.h']) copyFileSync(join(FAKE, f), join(app, f));
  copyFileSync(MAIN, join(app, 'main.c'));
  return buildFirmware(app, board, { outDir: join(dir, 'build'), optimize }).elf;
}

afterAll(async () => {
  await stopVirtualBoard(board.id);
});

describe('persistent virtual board', () => {
  it('flash, then connect from other processes; another image or no board is E_FLASH', async () => {
    const elf = fakeFirmware('-O2');
    const state = await flashVirtualBoard(elf, board);
    expect(readVirtualBoardState(board.id)).toEqual(state);
    expect(state.pty).toMatch(/^\/dev\/pts\/\d+$/);

    // a separate process, as `reparo bench` after `reparo flash` would be
    const script = join(mkdtempSync(join(tmpdir(), 'reparo-vb-client-')), 'client.mts');
    writeFileSync(
      script,
      `import { findBoard } from '${ROOT}toolkit/boards/index.ts';
import { connectVirtualBoard } from '${ROOT}toolkit/flash/index.ts';
import { HilClient } from '${ROOT}toolkit/hil/index.ts';
const c = await connectVirtualBoard(findBoard('${board.id}'), { elf: '${elf}' });
const hil = new HilClient(c.transport);
const info = await hil.hello('other');
await hil.loadInput(new Int8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
console.log(JSON.stringify({ board: info.board, model: info.model, laps: await hil.infer(3, 0) }));
await c.close();
`,
    );
    for (let k = 0; k < 2; k++) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      const r = JSON.parse(out.trim().split('\n').at(-1)!);
      expect(r.board).toBe(board.id);
      expect(r.model).toBe('0123456789abcdef');
      expect(r.laps).toHaveLength(3);
      expect(new Set(r.laps).size).toBe(1);
    }

    // this process too; the input loaded by the other process is still there (same board)
    const c = await connectVirtualBoard(board, { elf });
    const hil = new HilClient(c.transport);
    await hil.hello('again');
    expect((await hil.results()).length).toBe(4);
    await c.close();

    // another image: refused until it is flashed, which replaces the old QEMU
    const other = fakeFirmware('-O1');
    await expect(connectVirtualBoard(board, { elf: other })).rejects.toMatchObject({ code: 'E_FLASH', message: expect.stringMatching(/runs .* which is not/) });
    const second = await flashVirtualBoard(other, board);
    expect(second.pid).not.toBe(state.pid);
    expect(() => process.kill(state.pid, 0)).toThrow();
    (await connectVirtualBoard(board, { elf: other })).close();

    expect(await stopVirtualBoard(board.id)).toBe(true);
    expect(existsSync(virtualBoardStatePath(board.id))).toBe(false);
    await expect(connectVirtualBoard(board)).rejects.toMatchObject({ code: 'E_FLASH', message: expect.stringMatching(/no virtual board running for qemu-mps2-an386; run reparo flash first/) });
  }, 120_000);
});
