/**
 * The byte pipe to a board, as every flasher and the HIL protocol see it. Implementations: the
 * node-serialport one (real ports and QEMU ptys) and a strict mock for tests. Contract:
 * - bytes that arrive are queued in order and never dropped by the transport; `read` hands them out;
 * - `read(timeoutMs)` resolves with every queued byte (≥ 1) as soon as there is one, or with an empty
 *   array when `timeoutMs` passes with nothing: a silent board is a normal outcome, not an exception;
 * - `write` resolves once the bytes are handed to the OS (drained);
 * - `setSignals` sets DTR and RTS together, in one call (node-serialport's `set()` would otherwise
 *   fill in defaults for the line not named and glitch it);
 * - once the port is gone (closed by us, unplugged, QEMU exited) every call rejects with
 *   ReparoError E_SERIAL naming the port; `closed` turns true. `close` is idempotent.
 */
export interface Transport {
  readonly path: string;
  readonly closed: boolean;
  write(data: Uint8Array): Promise<void>;
  read(timeoutMs: number): Promise<Uint8Array>;
  setSignals(signals: { dtr: boolean; rts: boolean }): Promise<void>;
  setBaud(baud: number): Promise<void>;
  close(): Promise<void>;
}
