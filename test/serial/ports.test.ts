/** Port listing with board guesses, and reopening a port that went away and came back (USB re-enumeration). */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBoards } from '../../toolkit/boards/index.ts';
import { findBoardPort, listPorts, openSerialPort, reopenSerialPort } from '../../toolkit/serial/index.ts';

const boards = loadBoards();

describe('port listing', () => {
  it('guesses boards from the USB id, several when a bridge is shared', async () => {
    const { ports } = await listPorts(boards, async () => [
      { path: '/dev/ttyUSB0', vendorId: '10C4', productId: 'EA60' },
      { path: '/dev/ttyACM0', vendorId: '303a', productId: '1001' },
      { path: '/dev/ttyS0' },
    ]);
    expect(ports[0]!.boards).toContain('esp32-devkitc');
    expect(ports[1]!.boards.sort()).toEqual(boards.filter((b) => b.serial.usb.some((u) => u.vid === '303a' && u.pid === '1001')).map((b) => b.id).sort());
    expect(ports[1]!.boards.length).toBeGreaterThan(0);
    expect(ports[2]!.boards).toEqual([]);
  });

  it('says why when listing is impossible instead of failing, and asks for --port', async () => {
    const r = await listPorts(boards, async () => {
      throw new Error('spawn udevadm ENOENT');
    });
    expect(r.ports).toEqual([]);
    expect(r.warning).toMatch(/udevadm.*--port/);
    const esp = boards.find((b) => b.id === 'esp32-devkitc')!;
    await expect(findBoardPort(esp, boards, async () => { throw new Error('spawn udevadm ENOENT'); })).rejects.toThrow(/no serial port looks like esp32-devkitc[\s\S]*--port/);
  });

  it('refuses to pick between two ports that look like the same board', async () => {
    const esp = boards.find((b) => b.id === 'esp32-devkitc')!;
    const two = async () => [1, 2].map((i) => ({ path: `/dev/ttyUSB${i}`, vendorId: '10c4', productId: 'ea60' }));
    await expect(findBoardPort(esp, boards, two)).rejects.toThrow(/2 ports look like esp32-devkitc/);
  });
});

describe('reopen after re-enumeration', () => {
  const socat = (a: string, b: string) => spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const until = async (ok: () => boolean) => {
    for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  };

  it('waits for the device node to come back, then talks again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reparo-reenum-'));
    const a = join(dir, 'board'), b = join(dir, 'host');
    let link = socat(a, b);
    await until(() => existsSync(a) && existsSync(b));
    const port = await openSerialPort(b, 115200);
    link.kill(); // the board "resets" and its USB device disappears
    await until(() => !existsSync(b));
    await port.close();
    setTimeout(() => (link = socat(a, b)), 300); // … and comes back under the same name
    const again = await reopenSerialPort(b, 115200, { timeoutMs: 3000 });
    const far = await openSerialPort(a, 115200);
    await far.write(Buffer.from('hi'));
    const got = await again.read(1000);
    expect(Buffer.from(got).toString()).toBe('hi');
    await again.close();
    await far.close();
    link.kill();
  });

  it('gives up with a clear error when the port does not come back', async () => {
    await expect(reopenSerialPort('/dev/reparo-no-such-port', 115200, { timeoutMs: 300 })).rejects.toThrow(/did not come back within 300 ms[\s\S]*reparo ports/);
  });
});
