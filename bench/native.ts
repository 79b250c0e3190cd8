/**
 * The generated native runtime (toolkit/codegen/native.ts) on the virtual Cortex-M boards, next to
 * TensorFlow Lite Micro: instructions per invoke (QEMU -icount shift=0: instructions, not cycles),
 * activation arena, flash (.text + .rodata + vectors, arm-none-eabi-size), portable C and the default
 * DSP (SMLAD) build, every output checked byte for byte against reparo's int8 interpreter. TFLM
 * (reference and CMSIS-NN kernels) is measured the same way on an386 when TFLM_DIR (and CMSIS_NN_DIR)
 * name local checkouts (bench/tflm.ts); otherwise person_detect's TFLM rows are the measurements in
 * /work/shared/BASELINES.md and the RepVGG fixture's are "not measured". The ratio columns are
 * the targets (≤ 0.6× TFLM + CMSIS-NN instructions, ≤ 1.3× the SMLAD limit of 2 MACs per instruction,
 * arena ≤ 0.7× TFLM's, flash ≤ TFLM's). Run: npm run bench -- native
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../toolkit/boards/index.ts';
import { buildFirmware, runInQemu } from '../toolkit/build/index.ts';
import { parseVectorOutput, writeVectorApp } from '../toolkit/codegen/vector-app.ts';
import { openDataset } from '../toolkit/data/index.ts';
import { createInterpreter, modelMacs } from '../toolkit/int8/index.ts';
import { nchwToNhwc, quantizeInput } from '../toolkit/pipeline/evaluate.ts';
import { quantizeCommand } from '../toolkit/pipeline/quantize.ts';
import { readTflite, writeTflite, type TfliteModel } from '../toolkit/tflite/index.ts';
import { measureTflm, tflmSource } from './tflm.ts';
import { table } from '../cli/format.ts';

const MODELS = new URL('../../shared/models/', import.meta.url).pathname;
const CALIB = new URL('../examples/fashion-mnist/data/train-1000-images-idx3-ubyte.gz', import.meta.url).pathname;
const TEST = new URL('../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url).pathname;
const BOARDS = ['qemu-mps2-an386', 'qemu-mps2-an500', 'qemu-mps2-an505'];
const TFLM_SOURCE = 'BASELINES.md, measured 2026-08-20';

interface Tflm {
  instructions: number;
  arena: number;
  flash: number;
}
/** person_detect under TFLM on mps2-an386 (BASELINES.md); the flash figure holds the 300,568-byte model and two 9,216-byte images. */
const PERSON_TFLM: { reference: Tflm; cmsis: Tflm } = {
  reference: { instructions: 95_592_354, arena: 82_292, flash: 406_244 },
  cmsis: { instructions: 22_929_257, arena: 82_308, flash: 441_204 },
};

interface Case {
  name: string;
  model: TfliteModel;
  /** the .tflite bytes TFLM runs */
  bytes: Uint8Array;
  inputs: Int8Array[];
  tflm?: typeof PERSON_TFLM;
}

async function cases(): Promise<Case[]> {
  const personBytes = new Uint8Array(readFileSync(join(MODELS, 'person_detect.tflite')));
  const person = readTflite(personBytes);
  // two images, as in the TFLM measurement's flash figure
  const personInputs = ['person', 'no_person'].map((n) => new Int8Array(readFileSync(join(MODELS, `person_detect.input.${n}.bin`))));
  const repvgg = (await quantizeCommand(new URL('../test/fixtures/repvgg.onnx', import.meta.url).pathname, { calib: CALIB })).quantized.model;
  const test = openDataset(TEST, [1, 1, 28, 28]);
  const repvggInputs = [0, 1].map((i) => quantizeInput(repvgg, nchwToNhwc(test.input(i), [1, 28, 28, 1])));
  return [
    { name: 'person_detect', model: person, bytes: personBytes, inputs: personInputs, tflm: PERSON_TFLM },
    { name: 'RepVGG fixture (int8, 1000 training images)', model: repvgg, bytes: writeTflite(repvgg), inputs: repvggInputs },
  ];
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const mark = (r: number, limit: number) => `${r.toFixed(2)}× ${r <= limit ? '✓' : '✗'}`;
/** TFLM is measured on the virtual Cortex-M4 the targets are set on (a TFLM build per board is tens of minutes). */
const TFLM_BOARD = 'qemu-mps2-an386';

/** TFLM + CMSIS-NN and reference on an386: measured with the local checkout, or BASELINES.md's figures, or nothing. */
async function tflmFigures(c: Case, expected: Buffer[]): Promise<{ source: string; reference?: Tflm; cmsis?: Tflm }> {
  const src = tflmSource();
  if (!src.measured) return c.tflm ? { source: TFLM_SOURCE, ...c.tflm } : { source: src.label };
  const board = findBoard(TFLM_BOARD);
  const figures: { source: string; reference?: Tflm; cmsis?: Tflm } = { source: src.label };
  for (const [key, kernels] of [['reference', 'reference'], ['cmsis', 'cmsis-nn']] as const) {
    const m = await measureTflm(c.model, c.bytes, c.inputs, board, kernels);
    if (!m) continue;
    if (!expected.every((e, k) => e.equals(Buffer.from(m.outputs[k] ?? [])))) throw new Error(`TFLM ${kernels} outputs differ from the int8 interpreter on ${c.name}`);
    figures[key] = m;
  }
  return figures;
}

export async function benchNative(): Promise<void> {
  for (const c of await cases()) {
    const macs = modelMacs(c.model);
    const smladLimit = macs / 2;
    const interp = createInterpreter(c.model);
    const expected = c.inputs.map((x) => Buffer.from(interp.invoke(x)));
    const t = await tflmFigures(c, expected);
    const rows: (string | number)[][] = [];
    for (const boardId of BOARDS) {
      const board = findBoard(boardId);
      const dir = mkdtempSync(join(tmpdir(), 'reparo-bench-native-'));
      try {
        const { arenaSize } = writeVectorApp(join(dir, 'app'), c.model, c.inputs);
        for (const [variant, defines] of [['native, portable C', { REPARO_NO_DSP: 1 }], ['native, DSP (default)', {}]] as const) {
          const { elf, size } = buildFirmware(join(dir, 'app'), board, { outDir: join(dir, variant.replace(/\W+/g, '-')), defines });
          const run = await runInQemu(elf, board, { timeoutMs: 120_000 });
          const got = parseVectorOutput(run.stdout);
          if (run.exitCode !== 0 || got.instructions.length !== c.inputs.length) throw new Error(`${c.name} ${variant} on ${boardId}: ${run.stdout}${run.stderr}`);
          const exact = expected.every((e, k) => e.equals(Buffer.from(got.outputs[k] ?? [])));
          const n = Math.max(...got.instructions);
          const vsCmsis = t.cmsis ? mark(n / t.cmsis.instructions, 0.6) : 'n/a';
          const arena = t.cmsis ? mark(arenaSize / t.cmsis.arena, 0.7) : 'n/a';
          const flash = t.cmsis ? mark(size.text / t.cmsis.flash, 1.0) : 'n/a';
          rows.push([boardId, variant, n, (macs / n).toFixed(2), vsCmsis, mark(n / smladLimit, 1.3), arenaSize, size.data + size.bss, arena, size.text, flash, exact ? 'yes' : 'NO']);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const tflmRow = (label: string, m: Tflm | undefined): (string | number)[] =>
      m && t.cmsis
        ? [TFLM_BOARD, `${label} (${t.source})`, m.instructions, (macs / m.instructions).toFixed(2), ratio(m.instructions, t.cmsis.instructions), ratio(m.instructions, smladLimit), m.arena, '', ratio(m.arena, t.cmsis.arena), m.flash, ratio(m.flash, t.cmsis.flash), 'TFLM']
        : m
          ? [TFLM_BOARD, `${label} (${t.source})`, m.instructions, (macs / m.instructions).toFixed(2), '', ratio(m.instructions, smladLimit), m.arena, '', '', m.flash, '', 'TFLM']
          : [TFLM_BOARD, `${label}: not measured (${t.source})`, '', '', '', '', '', '', '', '', '', ''];
    rows.push(tflmRow('TFLM reference', t.reference), tflmRow('TFLM + CMSIS-NN', t.cmsis));
    console.log(`\n${c.name}: ${macs.toLocaleString('en-US')} MACs, SMLAD limit ${smladLimit.toLocaleString('en-US')} instructions; QEMU -icount shift=0 (instructions, not cycles), max over ${c.inputs.length} inputs\n`);
    console.log(table(rows, ['board', 'runtime', 'instr/invoke', 'MAC/instr', 'vs TFLM+CMSIS (≤0.6)', 'vs SMLAD limit (≤1.3)', 'arena B', 'static RAM B', 'arena vs TFLM (≤0.7)', 'flash B', 'flash vs TFLM (≤1.0)', 'bit-exact']));
  }
  console.log('\nPublished figures on other boards, for orientation (not measured here; milliseconds on silicon, not QEMU instructions):\n');
  console.log(table(PUBLISHED, ['board', 'model', 'runtime', 'latency ms', 'SRAM kB', 'source']));
}

const PUBLISHED: string[][] = [
  ['STM32H743', 'mcunet-vww1', 'TFLM', '1120', '', 'TinyEngine README'],
  ['STM32H743', 'mcunet-vww1', 'TFLM + CMSIS-NN', '97', '220', 'TinyEngine README'],
  ['STM32H743', 'mcunet-vww1', 'X-CUBE-AI', '57', '113', 'TinyEngine README'],
  ['STM32H743', 'mcunet-vww1', 'TinyEngine', '51', '92', 'TinyEngine README'],
];
