/**
 * MLPerf Tiny's five reference int8 models (../shared/models/mlperf) on the virtual Cortex-M4 an386:
 * reparo's native runtime next to TFLM with reference kernels and with CMSIS-NN, all measured the same
 * way (a vectors app in QEMU -icount shift=0: instructions per inference, max over the three seeded
 * random inputs; TFLM through reparo's own TFLM project, toolkit/toolchain/tflm-vectors.ts), with the
 * arena, the flash (.text + .rodata + vectors: code, model and the three inputs) and whether every
 * output byte equals what real TFLM wrote for those inputs. TFLM needs TFLM_DIR (and CMSIS_NN_DIR for
 * CMSIS-NN) naming local checkouts; without them its rows say "not measured". REPARO_BENCH_TFLM_BOARDS
 * adds an500/an505 (each TFLM build is tens of minutes on 2 cores). Targets (issue: MLPerf Tiny):
 * native ≤ 0.35× TFLM + CMSIS-NN instructions, arena ≤ 0.7× TFLM's, flash ≤ TFLM + CMSIS-NN's.
 * Run: npm run bench -- mlperf
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../toolkit/boards/index.ts';
import { modelMacs } from '../toolkit/int8/index.ts';
import { readTflite } from '../toolkit/tflite/index.ts';
import { runNativeVectors } from '../toolkit/toolchain/native-vectors.ts';
import { runTflmVectors, type TflmKernels } from '../toolkit/toolchain/tflm-vectors.ts';
import { table } from '../cli/format.ts';

const DIR = new URL('../../shared/models/mlperf/', import.meta.url).pathname;
const MODELS = ['vww_96_int8', 'pretrainedResnet_quant', 'kws_ref_model', 'ad01_int8', 'str_ww_ref_model'];
const INPUTS = [1, 2, 3];
/** the memory issue's arena targets for the smallest plan against TFLM's (VWW 0.4×, ResNet-8 and DS-CNN 0.6×) */
const SMALL_ARENA_TARGET: Record<string, number> = { vww_96_int8: 0.4, pretrainedResnet_quant: 0.6, kws_ref_model: 0.6 };
const BOARDS = (process.env.REPARO_BENCH_TFLM_BOARDS ?? 'qemu-mps2-an386').replace(/^all$/, 'qemu-mps2-an386,qemu-mps2-an500,qemu-mps2-an505').split(',');

interface Figures {
  instructions: number;
  arena: number;
  flash: number;
  exact: boolean;
}

const sameBytes = (got: readonly Int8Array[], want: readonly Buffer[]) => want.every((w, k) => w.equals(Buffer.from(got[k]?.buffer ?? [], got[k]?.byteOffset, got[k]?.length)));
const mark = (r: number, limit: number) => `${r.toFixed(2)}× ${r <= limit ? '✓' : '✗'}`;
const n = (x: number) => x.toLocaleString('en-US');

async function native(name: string, inputs: Int8Array[], want: Buffer[], boardId: string, memory: 'fastest' | 'smallest'): Promise<Figures> {
  const model = readTflite(readFileSync(join(DIR, `${name}.tflite`)));
  const m = await runNativeVectors(model, inputs, findBoard(boardId), { memory });
  return { instructions: Math.max(...m.instructions), arena: m.arena, flash: m.flash, exact: sameBytes(m.outputs, want) };
}

async function tflm(name: string, inputs: Int8Array[], want: Buffer[], boardId: string, kernels: TflmKernels): Promise<Figures | undefined> {
  const bytes = new Uint8Array(readFileSync(join(DIR, `${name}.tflite`)));
  const m = await runTflmVectors(readTflite(bytes), bytes, inputs, findBoard(boardId), kernels);
  return m && { instructions: Math.max(...m.instructions), arena: m.arena, flash: m.flash, exact: sameBytes(m.outputs, want) };
}

export async function benchMlperf(): Promise<void> {
  const { TFLM_DIR, CMSIS_NN_DIR } = process.env;
  const source = TFLM_DIR ? `TFLM_DIR=${TFLM_DIR}${CMSIS_NN_DIR ? `, CMSIS_NN_DIR=${CMSIS_NN_DIR}` : ' (no CMSIS_NN_DIR: no CMSIS-NN row)'}` : 'TFLM not measured: set TFLM_DIR (and CMSIS_NN_DIR) to local checkouts';
  console.log(`\nMLPerf Tiny reference models — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, QEMU -icount shift=0 (instructions, not cycles), ${new Date().toISOString().slice(0, 10)}; ${source}\n`);
  for (const boardId of BOARDS) {
    const rows: string[][] = [];
    for (const name of MODELS) {
      const inputs = INPUTS.map((k) => new Int8Array(readFileSync(join(DIR, `${name}.input.random${k}.bin`))));
      const want = INPUTS.map((k) => readFileSync(join(DIR, `${name}.output.random${k}.bin`)));
      const macs = modelMacs(readTflite(readFileSync(join(DIR, `${name}.tflite`))));
      const ours = await native(name, inputs, want, boardId, 'fastest');
      const small = await native(name, inputs, want, boardId, 'smallest');
      const ref = await tflm(name, inputs, want, boardId, 'reference');
      const cmsis = await tflm(name, inputs, want, boardId, 'cmsis-nn');
      const base = cmsis ?? ref;
      const cell = (f?: Figures) => (f ? [n(f.instructions), n(f.arena), n(f.flash), f.exact ? 'yes' : 'NO'] : ['not measured', '', '', '']);
      rows.push([
        name, n(macs), ...cell(ours), (ours.instructions > 0 ? (macs / ours.instructions).toFixed(2) : ''),
        ...cell(ref), ...cell(cmsis),
        cmsis ? mark(ours.instructions / cmsis.instructions, 0.35) : 'n/a',
        base ? mark(ours.arena / base.arena, 0.7) : 'n/a',
        cmsis ? mark(ours.flash / cmsis.flash, 1.0) : 'n/a',
        n(small.instructions), n(small.arena), small.exact ? 'yes' : 'NO', `${(small.instructions / ours.instructions).toFixed(2)}×`,
        base ? mark(small.arena / base.arena, SMALL_ARENA_TARGET[name] ?? 0.7) : 'n/a',
      ]);
    }
    console.log(`${boardId}: bit-exact = every output byte equals real TFLM's recorded output for the three inputs\n`);
    console.log(table(rows, [
      'model', 'MACs', 'native instr', 'arena B', 'flash B', 'bit-exact', 'MAC/instr',
      'TFLM ref instr', 'arena B', 'flash B', 'bit-exact', 'TFLM+CMSIS-NN instr', 'arena B', 'flash B', 'bit-exact',
      'instr vs CMSIS-NN (≤0.35)', 'arena vs TFLM (≤0.7)', 'flash vs CMSIS-NN (≤1.0)',
      'smallest plan instr', 'arena B', 'bit-exact', 'instr vs fastest (≤1.15)', 'arena vs TFLM',
    ]));
    console.log();
  }
  console.log('Published, for orientation (silicon, milliseconds; as recorded in shared/BASELINES.md, which names no MLPerf Tiny round):\n');
  console.log(table([['NUCLEO-L4R5ZI (Cortex-M4, 120 MHz)', 'vww (MLPerf Tiny VWW)', 'TFLM + CMSIS-NN 601 ms; X-CUBE-AI 231 → 119 ms; Plumerai 99 ms']], ['board', 'model', 'latency']));
}
