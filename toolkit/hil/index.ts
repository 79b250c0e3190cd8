/**
 * Hardware-in-the-loop: talk to reparo HIL firmware (protocol v1, firmware-templates/common/PROTOCOL.md)
 * over any Transport — a real serial port, a QEMU virtual board's pty, or a MockTransport in tests.
 *
 *   const board = await startVirtualBoard(elf, findBoard('qemu-mps2-an386'));   // toolkit/flash
 *   const hil = new HilClient(board.transport, { timeoutMs: 5000, retries: 3 });
 *   const info = await hil.hello();          // runtime, model hash, sizes, layers, unit, clock, board
 *   await hil.checkModel(modelHash(model));  // E_HIL when the board runs another model
 *   await hil.loadInput(int8Input);          // db load + 64-byte db chunks
 *   const counts = await hil.infer(10, 2);   // 2 warm-up runs, then 10 timed: counts in info.unit
 *   const out = await hil.results();         // Int8Array, the last run's output
 *   const layers = await hil.profile();      // [{ index, op, count }] per operator
 *   await board.stop();
 *
 * Errors: E_TIMEOUT (the board is silent on every try), E_HIL (e-[...] answers, model/protocol
 * mismatch, replies still garbled after the retries), E_SERIAL (the port went away). `hil.stats`
 * counts retries, garbled and unframed lines. Counts under QEMU are instructions, not cycles.
 */
export { DB_CHUNK, HilClient, type HilClientOptions, type HilInfo, type HilStats, type LayerCount } from './client.ts';
