/**
 * Putting firmware on boards: the virtual boards in QEMU (qemu.ts); the real ones through their flashers.
 *
 * In one process (tests, `reparo deploy`):
 *   const s = await startVirtualBoard(elf, board);   // QEMU paused → pty opened → cont
 *   new HilClient(s.transport) ...; await s.stop();
 *
 * Across processes (`reparo flash --board qemu-mps2-an386 <dir>`, then `reparo bench` / `validate`):
 *   await flashVirtualBoard(elf, board);               // stops an earlier one, starts QEMU detached,
 *                                                      // state in os.tmpdir()/reparo-qemu/<board>.json
 *   const c = await connectVirtualBoard(board, { elf }); // E_FLASH 'no virtual board running; run
 *   new HilClient(c.transport) ...; await c.close();    //   reparo flash first' / another build
 *   await stopVirtualBoard(board.id);
 *
 * QEMU runs with -icount shift=0: counts are instructions, deterministic, not cycles.
 */
export {
  connectVirtualBoard,
  flashVirtualBoard,
  readVirtualBoardState,
  runningVirtualBoard,
  startVirtualBoard,
  stopVirtualBoard,
  virtualBoardArgs,
  virtualBoardStatePath,
  type StartOptions,
  type VirtualBoardConnection,
  type VirtualBoardSession,
  type VirtualBoardState,
} from './qemu.ts';
