/**
 * Serial port listing with a guess of the board behind each port from its USB vendor/product id.
 * node-serialport lists Linux ports through `udevadm`; where that is missing (containers) we say so
 * instead of failing: the user can still name the port with --port.
 */
import { SerialPort } from 'serialport';
import { ReparoError } from '../errors.ts';
import type { Board } from '../boards/index.ts';

export interface PortInfo {
  path: string;
  vid?: string;
  pid?: string;
  manufacturer?: string;
  serialNumber?: string;
  /** boards whose serial bridge has this VID:PID (several boards share one bridge) */
  boards: string[];
}

export interface PortListing {
  ports: PortInfo[];
  /** why the listing may be incomplete (e.g. no udevadm) */
  warning?: string;
}

type Lister = () => Promise<{ path: string; vendorId?: string; productId?: string; manufacturer?: string; serialNumber?: string }[]>;

export function boardsForUsb(vid: string | undefined, pid: string | undefined, boards: readonly Board[]): string[] {
  if (!vid || !pid) return [];
  const v = vid.toLowerCase().padStart(4, '0'), p = pid.toLowerCase().padStart(4, '0');
  return boards.filter((b) => b.serial.usb.some((u) => u.vid === v && u.pid === p)).map((b) => b.id);
}

export async function listPorts(boards: readonly Board[], list: Lister = () => SerialPort.list()): Promise<PortListing> {
  let raw;
  try {
    raw = await list();
  } catch (e) {
    const msg = (e as Error).message;
    if (/udevadm|ENOENT/.test(msg))
      return { ports: [], warning: `cannot list serial ports: ${msg} (node-serialport needs udevadm, Debian package 'udev'); name the port with --port` };
    throw new ReparoError('E_SERIAL', `cannot list serial ports: ${msg}`, { hint: 'name the port with --port' });
  }
  return {
    ports: raw.map((p) => ({
      path: p.path,
      vid: p.vendorId?.toLowerCase(),
      pid: p.productId?.toLowerCase(),
      manufacturer: p.manufacturer,
      serialNumber: p.serialNumber,
      boards: boardsForUsb(p.vendorId, p.productId, boards),
    })),
  };
}

/** The one port whose USB id matches `board`, for commands run without --port. */
export async function findBoardPort(board: Board, boards: readonly Board[], list?: Lister): Promise<string> {
  const { ports, warning } = await listPorts(boards, list);
  const hits = ports.filter((p) => p.boards.includes(board.id));
  if (hits.length === 1) return hits[0]!.path;
  const usb = board.serial.usb.map((u) => `${u.vid}:${u.pid} (${u.bridge})`).join(', ') || 'none known';
  if (hits.length > 1)
    throw new ReparoError('E_SERIAL', `${hits.length} ports look like ${board.id}: ${hits.map((p) => p.path).join(', ')}`, { hint: 'pick one with --port' });
  throw new ReparoError('E_SERIAL', `no serial port looks like ${board.id} (USB ids ${usb})${warning ? `; ${warning}` : ''}`, {
    hint: 'plug the board in, or name its port with --port (reparo ports lists them)',
  });
}
