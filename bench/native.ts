/**
 * The generated native runtime (toolkit/codegen/native.ts) on the virtual Cortex-M boards, next to
 * TensorFlow Lite Micro: instructions per invoke (QEMU -icount shift=0: instructions, not cycles),
 * activation arena, flash (.text + .rodata + vectors, arm-none-eabi-size), the scalar C of cores without DSP (forced) and the default
 * DSP (SMLAD) build, every output checked byte for byte against reparo's int8 interpreter. TFLM
 * (reference and CMSIS-NN kernels) is measured the same way on an386 when TFLM_DIR (and CMSIS_NN_DIR)
 * name local checkouts (toolkit/toolchain/tflm-vectors.ts); otherwise person_detect's TFLM rows are the measurements in
 * /work/shared/BASELINES.md and the RepVGG fixture's are "not measured". The ratio columns are
 * the targets (≤ 0.6× TFLM + CMSIS-NN instructions, ≤ 1.3× the SMLAD limit of 2 MACs per instruction,
 * arena ≤ 0.7× TFLM's, ≤ 0.4× with memory: smallest, flash ≤ TFLM's). Run: npm run bench -- native
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../toolkit/boards/index.ts';
import { buildFirmware, runInQemu } from '../toolkit/toolchain/index.ts';
import { parseVectorOutput, writeVectorApp } from '../toolkit/codegen/vector-app.ts';
import { openDataset } from '../toolkit/data/index.ts';
import { createInterpreter, modelMacs } from '../toolkit/int8/index.ts';
import { nchwToNhwc, quantizeInput } from '../toolkit/pipeline/evaluate.ts';
import { quantizeCommand } from '../toolkit/pipeline/quantize.ts';
import { readTflite, writeTflite, type TfliteModel } from '../toolkit/tflite/index.ts';
import { runTflmVectors } from '../toolkit/toolchain/tflm-vectors.ts';
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
/**
 * Boards TFLM is built and measured on (a TFLM build per board is tens of minutes on 2 cores): the
 * virtual Cortex-M4 the targets are set on, unless REPARO_BENCH_TFLM_BOARDS lists others (or "all").
 */
const TFLM_BOARDS = (process.env.REPARO_BENCH_TFLM_BOARDS ?? 'qemu-mps2-an386').replace(/^all$/, BOARDS.join(','));

interface TflmRows {
  source: string;
  reference?: Tflm;
  cmsis?: Tflm;
}

/** TFLM reference and + CMSIS-NN on one board: measured with the local checkouts, or BASELINES.md's an386 figures, or nothing. */
async function tflmFigures(c: Case, board: string, expected: Buffer[]): Promise<TflmRows> {
  const { TFLM_DIR, CMSIS_NN_DIR } = process.env;
  if (!TFLM_DIR) return c.tflm && board === 'qemu-mps2-an386' ? { source: TFLM_SOURCE, ...c.tflm } : { source: 'no TFLM checkout: set TFLM_DIR (and CMSIS_NN_DIR)' };
  if (!TFLM_BOARDS.split(',').includes(board)) return { source: `not built for this board: REPARO_BENCH_TFLM_BOARDS=${TFLM_BOARDS}` };
  const rows: TflmRows = { source: `measured here: TFLM_DIR=${TFLM_DIR}${CMSIS_NN_DIR ? `, CMSIS_NN_DIR=${CMSIS_NN_DIR}` : ''}` };
  for (const [key, kernels] of [['reference', 'reference'], ['cmsis', 'cmsis-nn']] as const) {
    const m = await runTflmVectors(c.model, c.bytes, c.inputs, findBoard(board), kernels);
    if (!m) continue;
    if (!expected.every((e, k) => e.equals(Buffer.from(m.outputs[k] ?? [])))) throw new Error(`TFLM ${kernels} outputs differ from the int8 interpreter on ${c.name}, ${board}`);
    rows[key] = { instructions: Math.max(...m.instructions), arena: m.arena, flash: m.flash };
  }
  return rows;
}

/**
 * Instructions the native runtime's requantization takes per output (SMMLAR, sign fix, shift, SSAT,
 * STRB: native/mac-asm.ts). With it, the bound below is what this runtime could reach with free loads
 * and loops; it is not a bound for every runtime (an SSAT with a per-channel immediate shift would save one).
 */
const REQUANT_FLOOR = 5;

function requantizedOutputs(model: TfliteModel): number {
  return model.operators
    .filter((o) => o.op === 'CONV_2D' || o.op === 'DEPTHWISE_CONV_2D' || o.op === 'FULLY_CONNECTED')
    .reduce((n, o) => n + model.tensors[o.outputs[0]!]!.shape.reduce((a, b) => a * b, 1), 0);
}

export async function benchNative(): Promise<void> {
  for (const c of await cases()) {
    const macs = modelMacs(c.model);
    const smladLimit = macs / 2;
    const outputs = requantizedOutputs(c.model);
    const floor = smladLimit + REQUANT_FLOOR * outputs;
    const interp = createInterpreter(c.model);
    const expected = c.inputs.map((x) => Buffer.from(interp.invoke(x)));
    let an386: TflmRows | undefined;
    for (const boardId of BOARDS) {
      const board = findBoard(boardId);
      const t = await tflmFigures(c, boardId, expected);
      if (boardId === 'qemu-mps2-an386') an386 = t;
      // the ratios compare with this board's TFLM + CMSIS-NN, or an386's where this board has none
      const base = t.cmsis ?? an386?.cmsis;
      const baseNote = t.cmsis ? '' : base ? ' (ratios against an386\'s TFLM + CMSIS-NN)' : '';
      const rows: (string | number)[][] = [];
      const dir = mkdtempSync(join(tmpdir(), 'reparo-bench-native-'));
      try {
        const arena = {
          app: writeVectorApp(join(dir, 'app'), c.model, c.inputs).arenaSize,
          'app-int8': writeVectorApp(join(dir, 'app-int8'), c.model, c.inputs, { wideWeightBytes: 0 }).arenaSize,
          'app-small': writeVectorApp(join(dir, 'app-small'), c.model, c.inputs, { memory: 'smallest' }).arenaSize,
        };
        // the arena targets: 0.7x TFLM's for the fastest plan, 0.4x for the smallest (row bands)
        const variants = [
          ['native, scalar C (no DSP)', 'app', { REPARO_NO_DSP: 1 }, 0.7],
          ['native, DSP (default)', 'app', {}, 0.7],
          ['native, DSP, int8 weights only (wideWeightBytes: 0)', 'app-int8', {}, 0.7],
          ['native, DSP, memory: smallest (row bands)', 'app-small', {}, 0.4],
        ] as const;
        for (const [variant, app, defines, arenaLimit] of variants) {
          const arenaSize = arena[app];
          const { elf, size } = buildFirmware(join(dir, app), board, { outDir: join(dir, variant.replace(/\W+/g, '-')), defines });
          const run = await runInQemu(elf, board, { timeoutMs: 120_000 });
          const got = parseVectorOutput(run.stdout);
          if (run.exitCode !== 0 || got.instructions.length !== c.inputs.length) throw new Error(`${c.name} ${variant} on ${boardId}: ${run.stdout}${run.stderr}`);
          const exact = expected.every((e, k) => e.equals(Buffer.from(got.outputs[k] ?? [])));
          const n = Math.max(...got.instructions);
          rows.push([
            variant, n, (macs / n).toFixed(2), base ? mark(n / base.instructions, 0.6) : 'n/a', mark(n / smladLimit, 1.3),
            arenaSize, size.data + size.bss, base ? mark(arenaSize / base.arena, arenaLimit) : 'n/a', size.text, base ? mark(size.text / base.flash, 1.0) : 'n/a', exact ? 'yes' : 'NO',
          ]);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const tflmRow = (label: string, m: Tflm | undefined): (string | number)[] =>
        m
          ? [`${label} (${t.source})`, m.instructions, (macs / m.instructions).toFixed(2), base ? ratio(m.instructions, base.instructions) : '', ratio(m.instructions, smladLimit), m.arena, '', base ? ratio(m.arena, base.arena) : '', m.flash, base ? ratio(m.flash, base.flash) : '', 'TFLM']
          : [`${label}: not measured (${t.source})`, '', '', '', '', '', '', '', '', '', ''];
      rows.push(tflmRow('TFLM reference', t.reference), tflmRow('TFLM + CMSIS-NN', t.cmsis));
      console.log(`\n${c.name} on ${boardId}${baseNote}: ${macs.toLocaleString('en-US')} MACs, SMLAD limit ${smladLimit.toLocaleString('en-US')} instructions; QEMU -icount shift=0 (instructions, not cycles), max over ${c.inputs.length} inputs`);
      console.log(`bound for this runtime: every MAC in an SMLAD with no loads or loop overhead, plus its ${REQUANT_FLOOR}-instruction requantization for each of the ${outputs.toLocaleString('en-US')} outputs = ${Math.round(floor).toLocaleString('en-US')} (${(floor / smladLimit).toFixed(2)}× the SMLAD limit)\n`);
      console.log(table(rows, ['runtime', 'instr/invoke', 'MAC/instr', 'vs TFLM+CMSIS (≤0.6)', 'vs SMLAD limit (≤1.3)', 'arena B', 'static RAM B', 'arena vs TFLM (≤0.7; smallest ≤0.4)', 'flash B', 'flash vs TFLM (≤1.0)', 'bit-exact']));
    }
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
