/**
 * Boot/reset sequences as board files write them (esptool style, "R1|D1|W100|D0"): D/R set DTR/RTS
 * to 0/1, W waits that many ms. Both lines are always set together (Transport contract): each run
 * of D/R steps between waits becomes one setSignals with the level of both. Lines start deasserted.
 */
import { ReparoError } from '../../errors.ts';
import type { Transport } from '../../serial/transport.ts';

export type ResetOutcome = { applied: false; reason: string } | { applied: true; steps: number };

export type ResetStep = { line: 'dtr' | 'rts'; level: boolean } | { waitMs: number };

export function parseResetSequence(seq: string): ResetStep[] {
  if (!seq) return [];
  return seq.split('|').map((tok) => {
    const m = /^([DRW])(\d+)$/.exec(tok);
    if (!m) throw new ReparoError('E_BOARD', `bad reset step '${tok}' in '${seq}'`, { hint: 'steps are D0/D1, R0/R1 or W<ms>, joined by |' });
    const n = Number(m[2]);
    if (m[1] === 'W') return { waitMs: n };
    if (n > 1) throw new ReparoError('E_BOARD', `bad reset step '${tok}' in '${seq}': a line is set to 0 or 1`);
    return { line: m[1] === 'D' ? 'dtr' : 'rts', level: n === 1 };
  });
}

/**
 * Plays the sequence. A port without modem lines (a pty: QEMU, the simulator) refuses the first
 * setSignals with E_SERIAL; that is reported as not applied, not thrown, so flashing goes on.
 */
export async function playResetSequence(transport: Transport, seq: string): Promise<ResetOutcome> {
  const steps = parseResetSequence(seq);
  if (!steps.length) return { applied: false, reason: 'the board has no reset sequence (BOOT0/NRST not wired to DTR/RTS)' };
  const lines = { dtr: false, rts: false };
  let first = true;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if ('waitMs' in s) {
      await new Promise((r) => setTimeout(r, s.waitMs));
      continue;
    }
    lines[s.line] = s.level;
    const next = steps[i + 1];
    if (next && !('waitMs' in next)) continue; // a run of D/R steps with no wait between is one change of both lines
    try {
      await transport.setSignals({ ...lines });
    } catch (e) {
      if (first && e instanceof ReparoError && e.code === 'E_SERIAL') return { applied: false, reason: `${transport.path} has no DTR/RTS lines (${e.message.split('\n')[0]})` };
      throw e;
    }
    first = false;
  }
  return { applied: true, steps: steps.length };
}
