/**
 * End to end on the virtual boards (the MPS2 ones, RISC-V virt, and the STM32F4 firmware on QEMU's
 * netduinoplus2 model of an STM32F405): the quantized RepVGG fixture → emitProject (HIL app) →
 * buildFirmware → QEMU (paused, pty opened, cont) → HilClient. Oracles: modelHash() for the board's
 * model, the int8 reference interpreter for the output bytes, and QEMU -icount for determinism
 * (counts identical within a session and across two sessions; on netduinoplus2, whose SysTick is not a
 * whole number of instructions, to within two ticks and a rounding).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { buildFirmware } from '../../toolkit/toolchain/index.ts';
import { emitProject } from '../../toolkit/codegen/emit.ts';
import { startVirtualBoard } from '../../toolkit/flash/index.ts';
import { HilClient } from '../../toolkit/hil/index.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { modelHash } from '../../toolkit/tflite/index.ts';
import { fixtureModel } from './helpers.ts';

describe.each(['qemu-mps2-an386', 'qemu-mps2-an500', 'qemu-mps2-an505', 'qemu-riscv32', 'qemu-netduinoplus2'])('HIL on %s', (boardId) => {
  it('hello, db, infer, results and profile: right model, bit-exact outputs, deterministic counts', async () => {
    const t0 = Date.now();
    const { model, inputs } = await fixtureModel();
    console.log(`fixture ready in ${Date.now() - t0} ms`);
    const board = findBoard(boardId);
    // counts repeat exactly where the counter's tick is a whole number of instructions (MPS2 SysTick: 40 or 50;
    // RV32 mcycle: 1); QEMU's STM32F405 clocks SysTick at 168 MHz, 5.95 instructions a tick: there a lap is good to
    // a tick at either end, plus one from rounding ticks to instructions
    const tick = 1e9 % board.clockHz ? 2 * Math.ceil(1e9 / board.clockHz) + 1 : 0;
    const dir = join(mkdtempSync(join(tmpdir(), `reparo-hil-${boardId}-`)), 'proj');
    emitProject(model, board, dir);
    const { elf } = buildFirmware(join(dir, 'app'), board, { outDir: join(dir, 'build') });
    const interp = createInterpreter(model);
    const sessions: number[][] = [];
    for (let s = 0; s < 2; s++) {
      const vb = await startVirtualBoard(elf, board);
      try {
        const hil = new HilClient(vb.transport, { timeoutMs: 5000 });
        const info = await hil.hello(`s${s}`);
        expect(info).toMatchObject({ proto: 1, runtime: 'native', model: modelHash(model), inputBytes: 784, outputBytes: 10, layers: model.operators.length, unit: 'instructions', clockHz: board.clockHz, board: boardId });
        await hil.checkModel(modelHash(model));
        const counts: number[] = [];
        const used = s === 0 ? inputs : inputs.slice(0, 1);
        for (const x of used) {
          await hil.loadInput(x);
          const laps = await hil.infer(5, 1);
          expect(Math.max(...laps) - Math.min(...laps), `laps ${laps}`).toBeLessThanOrEqual(tick);
          expect(laps[0]).toBeGreaterThan(1_000_000);
          counts.push(laps[0]!);
          expect(Array.from(await hil.results())).toEqual(Array.from(interp.invoke(x)));
        }
        const layers = await hil.profile();
        expect(layers.map((l) => l.op)).toEqual(model.operators.map((o) => o.op));
        const sum = layers.reduce((a, l) => a + l.count, 0);
        // the probes cost a few instructions per layer; the layers account for the whole run
        expect(Math.abs(sum - counts.at(-1)!) / counts.at(-1)!).toBeLessThan(0.01);
        // the profiled run ran on the last input loaded
        expect(Array.from(await hil.results())).toEqual(Array.from(interp.invoke(used.at(-1)!)));
        // a clean line needs no retries; a heavily loaded host can still make QEMU late for the first reply
        expect(hil.stats.retries).toBeLessThanOrEqual(2);
        sessions.push(counts);
      } finally {
        await vb.stop();
      }
    }
    console.log(`${boardId}: ${sessions.map((c) => c.join('/')).join(' | ')} instructions per inference, ${Date.now() - t0} ms`);
    // same input, same image, another QEMU: the same count
    expect(Math.abs(sessions[1]![0]! - sessions[0]![0]!)).toBeLessThanOrEqual(tick);
  }, 90_000);
});
