/**
 * The RISC-V virtual board qemu-riscv32 (RV32IMC on QEMU virt, ESP32-C3-class): reparo's native runtime
 * (the scalar loops of native/conv-scalar.ts) next to TFLM with its reference kernels, both built with
 * riscv64-unknown-elf-gcc -O2 and measured the same way (a vectors app in QEMU -icount shift=0:
 * instructions per inference, max over the inputs; TFLM through reparo's own TFLM project). Models:
 * person_detect, the bundled RepVGG fixture and MLPerf Tiny's five. Bit-exact: every output byte
 * equals real TFLM's recorded output (person_detect, MLPerf: ../shared/models) or, for the fixture,
 * reparo's int8 interpreter. TFLM needs TFLM_DIR (a tflite-micro checkout); without it its columns say
 * "not measured". Target (issue: RISC-V): native ≤ 0.35× TFLM reference instructions.
 * Run: npm run bench -- riscv
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../toolkit/boards/index.ts';
import { openDataset } from '../toolkit/data/index.ts';
import { createInterpreter, modelMacs } from '../toolkit/int8/index.ts';
import { nchwToNhwc, quantizeInput } from '../toolkit/pipeline/evaluate.ts';
import { quantizeCommand } from '../toolkit/pipeline/quantize.ts';
import { readTflite, writeTflite, type TfliteModel } from '../toolkit/tflite/index.ts';
import { runNativeVectors } from '../toolkit/toolchain/native-vectors.ts';
import { runTflmVectors } from '../toolkit/toolchain/tflm-vectors.ts';
import { table } from '../cli/format.ts';

const MODELS = new URL('../../shared/models/', import.meta.url).pathname;
const CALIB = new URL('../examples/fashion-mnist/data/train-1000-images-idx3-ubyte.gz', import.meta.url).pathname;
const TEST = new URL('../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url).pathname;
const MLPERF = ['vww_96_int8', 'pretrainedResnet_quant', 'kws_ref_model', 'ad01_int8', 'str_ww_ref_model'];
const BOARD = 'qemu-riscv32';

interface Case {
  name: string;
  model: TfliteModel;
  bytes: Uint8Array;
  inputs: Int8Array[];
  /** the expected outputs: real TFLM's where recorded, else the interpreter's */
  want: Buffer[];
  wantFrom: string;
}

async function cases(): Promise<Case[]> {
  const file = (p: string) => new Uint8Array(readFileSync(join(MODELS, p)));
  const recorded = (name: string, base: string, ids: string[]): Case => ({
    name,
    model: readTflite(file(`${base}.tflite`)),
    bytes: file(`${base}.tflite`),
    inputs: ids.map((k) => new Int8Array(readFileSync(join(MODELS, `${base}.input.${k}.bin`)))),
    want: ids.map((k) => readFileSync(join(MODELS, `${base}.output.${k}.bin`))),
    wantFrom: 'TFLM',
  });
  const repvgg = (await quantizeCommand(new URL('../test/fixtures/repvgg.onnx', import.meta.url).pathname, { calib: CALIB })).quantized.model;
  const test = openDataset(TEST, [1, 1, 28, 28]);
  const inputs = [0, 1].map((i) => quantizeInput(repvgg, nchwToNhwc(test.input(i), [1, 28, 28, 1])));
  const interp = createInterpreter(repvgg);
  return [
    recorded('person_detect', 'person_detect', ['person', 'no_person']),
    { name: 'RepVGG fixture', model: repvgg, bytes: writeTflite(repvgg), inputs, want: inputs.map((x) => Buffer.from(interp.invoke(x))), wantFrom: 'interpreter' },
    ...MLPERF.map((m) => recorded(m, `mlperf/${m}`, ['random1', 'random2', 'random3'])),
  ];
}

const same = (got: readonly Int8Array[], want: readonly Buffer[]) => want.every((w, k) => got[k] !== undefined && w.equals(Buffer.from(got[k]!)));
const n = (x: number) => x.toLocaleString('en-US');

async function native(c: Case, memory: 'fastest' | 'smallest') {
  const m = await runNativeVectors(c.model, c.inputs, findBoard(BOARD), { memory });
  return { instructions: Math.max(...m.instructions), arena: m.arena, flash: m.flash, exact: same(m.outputs, c.want) };
}

export async function benchRiscv(): Promise<void> {
  const { TFLM_DIR } = process.env;
  console.log(`\n${BOARD} (RV32IMC, QEMU virt) — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, QEMU -icount shift=0 (instructions, not cycles), ${new Date().toISOString().slice(0, 10)}; ${TFLM_DIR ? `TFLM_DIR=${TFLM_DIR}` : 'TFLM not measured: set TFLM_DIR to a tflite-micro checkout'}\n`);
  const rows: string[][] = [];
  for (const c of await cases()) {
    const fast = await native(c, 'fastest');
    const small = await native(c, 'smallest');
    const ref = await runTflmVectors(c.model, c.bytes, c.inputs, findBoard(BOARD), 'reference');
    const tflm = ref && { instructions: Math.max(...ref.instructions), arena: ref.arena, flash: ref.flash, exact: same(ref.outputs, c.want) };
    const ratio = (a: number, b?: number, limit?: number) => (b ? `${(a / b).toFixed(2)}×${limit === undefined ? '' : a / b <= limit ? ' ✓' : ' ✗'}` : 'n/a');
    rows.push([
      c.name, n(modelMacs(c.model)),
      n(fast.instructions), n(fast.arena), n(fast.flash), fast.exact ? 'yes' : 'NO',
      n(small.instructions), n(small.arena), small.exact ? 'yes' : 'NO',
      ...(tflm ? [n(tflm.instructions), n(tflm.arena), n(tflm.flash), tflm.exact ? 'yes' : 'NO'] : ['not measured', '', '', '']),
      ratio(fast.instructions, tflm?.instructions, 0.35), ratio(fast.arena, tflm?.arena), ratio(small.arena, tflm?.arena), ratio(fast.flash, tflm?.flash),
      `vs ${c.wantFrom}`,
    ]);
  }
  console.log(table(rows, [
    'model', 'MACs', 'native instr', 'arena B', 'flash B', 'bit-exact', 'smallest instr', 'arena B', 'bit-exact',
    'TFLM ref instr', 'arena B', 'flash B', 'bit-exact', 'instr vs TFLM ref (≤0.35)', 'arena vs TFLM', 'smallest arena vs TFLM', 'flash vs TFLM', 'checked',
  ]));
  console.log();
}
