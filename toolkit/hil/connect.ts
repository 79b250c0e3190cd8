/**
 * The serial line to a board for bench/validate: a virtual board's pty (QEMU started by `reparo flash`),
 * or a real board's port (named, or found by its USB id).
 */
import type { Board } from '../boards/index.ts';
import { connectVirtualBoard } from '../flash/qemu.ts';
import { reopenSerialPort } from '../serial/serialport.ts';
import { findBoardPort } from '../serial/ports.ts';
import type { Transport } from '../serial/transport.ts';

export interface BoardLine {
  transport: Transport;
  /** the port, or "qemu pty /dev/pts/N" */
  where: string;
  close(): Promise<void>;
}

export async function connectBoard(board: Board, boards: readonly Board[], opts: { port?: string } = {}): Promise<BoardLine> {
  if (board.virtual) {
    const c = await connectVirtualBoard(board);
    return { transport: c.transport, where: `QEMU ${board.qemu!.machine} on ${c.state.pty}`, close: c.close };
  }
  const path = opts.port ?? (await findBoardPort(board, boards));
  // right after a flash the board may still be re-enumerating (USB-JTAG-serial ESP32s): wait for it
  const transport = await reopenSerialPort(path, board.serial.baud, { timeoutMs: 5000 });
  return { transport, where: path, close: () => transport.close() };
}
