/**
 * A fault-injecting serial proxy: a real pty pair (socat) whose far end reparo opens as the board's
 * port, with this proxy pumping bytes between the near end and the board's own transport (the
 * host-built firmware on its pty, or QEMU's). On the way it flips, drops, duplicates or delays bytes
 * (seeded, per direction), can fall silent after a number of bytes from the board, and can close the
 * port mid-transfer (the pty pair goes away, as an unplugged USB bridge does).
 */
import { openSerialPort } from '../../toolkit/serial/serialport.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';
import { ptyPair } from '../helpers/pty-pair.ts';

export interface FaultPlan {
  seed: number;
  /** per-byte probabilities, in both directions */
  flip?: number;
  drop?: number;
  duplicate?: number;
  /** each chunk held this long (ms) plus up to the same again at random; order is kept */
  delayMs?: number;
  /** bytes from the board forwarded before it "goes silent" (nothing more passes) */
  silentAfter?: number;
  /** bytes in either direction after which the host's port is closed */
  closeAfter?: number;
}

export interface FaultCounts {
  bytes: number;
  flipped: number;
  dropped: number;
  duplicated: number;
  silenced: number;
  closed: boolean;
}

export interface FaultProxy {
  /** the port reparo opens */
  hostPath: string;
  counts: FaultCounts;
  stop(): Promise<void>;
}

/** mulberry32: seeded, so a failing plan replays */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFaultProxy(board: Transport, plan: FaultPlan): Promise<FaultProxy> {
  const pair = await ptyPair();
  const near = await openSerialPort(pair.a, 115200);
  const rand = random(plan.seed);
  const counts: FaultCounts = { bytes: 0, flipped: 0, dropped: 0, duplicated: 0, silenced: 0, closed: false };
  let fromBoard = 0;
  let running = true;

  const mangle = (chunk: Uint8Array, towardsHost: boolean): Uint8Array => {
    const out: number[] = [];
    for (const byte of chunk) {
      counts.bytes++;
      if (towardsHost && plan.silentAfter !== undefined && fromBoard++ >= plan.silentAfter) {
        counts.silenced++;
        continue;
      }
      if (plan.closeAfter !== undefined && counts.bytes >= plan.closeAfter && !counts.closed) {
        counts.closed = true;
        pair.close(); // the port vanishes under the host mid-transfer
      }
      if (rand() < (plan.drop ?? 0)) {
        counts.dropped++;
        continue;
      }
      let b = byte;
      if (rand() < (plan.flip ?? 0)) {
        b ^= 1 << Math.floor(rand() * 8);
        counts.flipped++;
      }
      out.push(b);
      if (rand() < (plan.duplicate ?? 0)) {
        out.push(b);
        counts.duplicated++;
      }
    }
    return Uint8Array.from(out);
  };

  // one pump per direction; a delayed chunk is written by a chain of promises, so order is kept
  const pump = async (from: Transport, to: Transport, towardsHost: boolean) => {
    let chain = Promise.resolve();
    while (running && !from.closed && !to.closed) {
      const chunk = await from.read(50).catch(() => new Uint8Array(0));
      if (!chunk.length) continue;
      const bytes = mangle(chunk, towardsHost);
      const delay = plan.delayMs ? plan.delayMs * (1 + rand()) : 0;
      chain = chain.then(async () => {
        if (delay) await new Promise((r) => setTimeout(r, delay));
        if (bytes.length && running && !to.closed) await to.write(bytes).catch(() => {});
      });
    }
    await chain;
  };
  const pumps = Promise.all([pump(board, near, true), pump(near, board, false)]);

  return {
    hostPath: pair.b,
    counts,
    stop: async () => {
      running = false;
      await pumps;
      await near.close();
      pair.close();
    },
  };
}
