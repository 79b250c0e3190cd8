/**
 * Reset sequences as strings, the way esptool writes them and our board files store them:
 * `D0|R1|W100|D1|R0|W50|D0` — D/R set DTR/RTS to 0/1, W waits that many ms.
 * DTR and RTS are always set together (Transport.setSignals): a run of D/R steps between two waits
 * becomes one call with both levels, like esptool's "tight" POSIX reset, so a line is never glitched
 * to a default while the other one changes.
 */
import { ReparoError } from '../../errors.ts';
import type { Board } from '../../boards/index.ts';
import type { Transport } from '../../serial/transport.ts';

export type ResetStep = { signals: { dtr: boolean; rts: boolean } } | { waitMs: number };

/** esptool's classic reset through a USB-UART bridge whose DTR/RTS drive IO0/EN (hold IO0 low across EN rising). */
export const CLASSIC_RESET = 'D0|R1|W100|D1|R0|W50|D0';
/** esptool's sequence for the chip's own USB-Serial/JTAG peripheral (USB id 303A:1001 on the S3, C3, C6, H2). */
export const USB_JTAG_SERIAL_RESET = 'R0|D0|W100|D1|R0|W100|R1|D0|R1|W100|D0|R0';
/** Pulse EN with IO0 high so the chip boots the freshly written app. */
export const HARD_RESET = 'D0|R1|W100|R0';
/** The USB-Serial/JTAG port drops off the bus while the chip resets: hold and release a little longer. */
export const USB_JTAG_SERIAL_HARD_RESET = 'D0|R1|W200|R0|W200';

export const USB_JTAG_SERIAL_ID = { vid: '303a', pid: '1001' } as const;

export function parseResetSequence(seq: string, where = 'reset sequence'): ResetStep[] {
  const steps: ResetStep[] = [];
  if (seq === '') return steps;
  let dtr = false, rts = false, pending = false;
  for (const tok of seq.split('|')) {
    const m = /^([DRW])(\d+)$/.exec(tok);
    if (!m || (m[1] !== 'W' && m[2] !== '0' && m[2] !== '1'))
      throw new ReparoError('E_BOARD', `${where} '${seq}': bad step '${tok}'`, { hint: 'steps are D0/D1 (DTR), R0/R1 (RTS) and Wn (wait n ms), joined by |, e.g. D0|R1|W100|D1|R0|W50|D0' });
    if (m[1] === 'W') {
      if (pending) steps.push({ signals: { dtr, rts } });
      pending = false;
      steps.push({ waitMs: Number(m[2]) });
    } else {
      if (m[1] === 'D') dtr = m[2] === '1';
      else rts = m[2] === '1';
      pending = true;
    }
  }
  if (pending) steps.push({ signals: { dtr, rts } });
  return steps;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runResetSequence(transport: Transport, seq: string, wait: (ms: number) => Promise<void> = sleep): Promise<void> {
  for (const step of parseResetSequence(seq)) {
    if ('waitMs' in step) await wait(step.waitMs);
    else await transport.setSignals(step.signals);
  }
}

export interface ResetPlan {
  /** into the ROM serial loader */
  enter: string;
  /** out of it, into the app */
  run: string;
}

/**
 * Which sequences fit the port: the USB-Serial/JTAG peripheral has its own; any other bridge uses the
 * board's `serial.reset` (the classic one when the board names none).
 */
export function resetPlanFor(board: Board, usb?: { vid: string; pid: string }): ResetPlan {
  const jtag = usb && usb.vid.toLowerCase() === USB_JTAG_SERIAL_ID.vid && usb.pid.toLowerCase() === USB_JTAG_SERIAL_ID.pid;
  if (jtag) return { enter: USB_JTAG_SERIAL_RESET, run: USB_JTAG_SERIAL_HARD_RESET };
  return { enter: board.serial.reset || CLASSIC_RESET, run: HARD_RESET };
}
