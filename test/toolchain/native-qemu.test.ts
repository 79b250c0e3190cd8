/**
 * The generated native runtime, compiled for each virtual board, runs in QEMU and prints the same
 * output bytes as reparo's int8 interpreter (itself bit-exact with TFLite Micro); instruction counts
 * repeat exactly from run to run.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBoard } from '../../toolkit/boards/index.ts';
import { buildFirmware, runInQemu } from '../../toolkit/toolchain/index.ts';
import { parseVectorOutput, writeVectorApp } from '../../toolkit/codegen/vector-app.ts';
import { DEFAULT_WIDE_WEIGHT_BYTES } from '../../toolkit/codegen/native.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { readTflite, type TfliteModel } from '../../toolkit/tflite/index.ts';
import { quantizeCommand } from '../../toolkit/pipeline/quantize.ts';
import { nchwToNhwc, quantizeInput } from '../../toolkit/pipeline/evaluate.ts';
import { openDataset } from '../../toolkit/data/index.ts';

const MODELS = new URL('../../../shared/models/', import.meta.url).pathname;
const FIX = new URL('../fixtures/', import.meta.url).pathname;
const SAMPLE = new URL('../../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url).pathname;

async function models(): Promise<[string, TfliteModel, Int8Array[]][]> {
  const pd = readTflite(readFileSync(join(MODELS, 'person_detect.tflite')));
  const pdInputs = ['person', 'no_person'].map((n) => new Int8Array(readFileSync(join(MODELS, `person_detect.input.${n}.bin`))));
  const q = (await quantizeCommand(join(FIX, 'repvgg.onnx'), { calib: SAMPLE, samples: 100, rounding: 'nearest' })).quantized.model;
  const data = openDataset(SAMPLE, [1, 1, 28, 28]);
  const rvInputs = [0, 1, 2].map((i) => quantizeInput(q, nchwToNhwc(data.input(700 + i), [1, 28, 28, 1])));
  return [['person_detect', pd, pdInputs], ['repvgg fixture', q, rvInputs]];
}

describe.each(['qemu-mps2-an386', 'qemu-mps2-an500', 'qemu-mps2-an505'])('native runtime on %s', (boardId) => {
  it('prints the interpreter\'s output bytes for person_detect and the RepVGG fixture', async () => {
    const board = findBoard(boardId);
    for (const [name, model, inputs] of await models()) {
      const dir = mkdtempSync(join(tmpdir(), `reparo-native-${boardId}-`));
      writeVectorApp(join(dir, 'app'), model, inputs);
      // the fixture also with every conv weight int8 (no int16 weight budget), the other DSP inner loop with each
      // gather (person_detect's default build has it on its last 1x1 convs)
      const int8Too = name === 'repvgg fixture';
      if (int8Too) writeVectorApp(join(dir, 'app-int8'), model, inputs, { wideWeightBytes: 0 });
      const interp = createInterpreter(model);
      const counts: number[][] = [];
      const flash: number[] = [];
      // portable C (forced), then the default build, which takes the Cortex-M DSP (SMLAD) path on these cores:
      // both must print the interpreter's bytes
      const variants = [['portable', 'app', { REPARO_NO_DSP: 1 }], ['dsp', 'app', {}], ['dsp int8', 'app-int8', {}]] as const;
      for (const [variant, app, defines] of variants.slice(0, int8Too ? 3 : 2)) {
        const { elf, size } = buildFirmware(join(dir, app), board, { outDir: join(dir, `build-${variant.replace(' ', '-')}`), defines });
        flash.push(size.text);
        const run = await runInQemu(elf, board, { timeoutMs: 60_000 });
        expect(run.exitCode, `${name} ${variant}: ${run.stdout}${run.stderr}`).toBe(0);
        const got = parseVectorOutput(run.stdout);
        inputs.forEach((x, i) => expect(Array.from(got.outputs[i] ?? []), `${name} ${variant} vector ${i}`).toEqual(Array.from(interp.invoke(x))));
        expect(got.instructions.every((n) => n > 0)).toBe(true);
        counts.push(got.instructions);
        if (name === 'repvgg fixture' && variant === 'portable') {
          const again = parseVectorOutput((await runInQemu(elf, board, { timeoutMs: 60_000 })).stdout);
          expect(again.instructions).toEqual(got.instructions);
        }
      }
      // the DSP path must really be taken: fewer instructions on every vector, fewest with int16 weights
      for (const dsp of counts.slice(1)) dsp.forEach((n, i) => expect(n, `${name} vector ${i}`).toBeLessThan(counts[0]![i]!));
      if (int8Too) counts[1]!.forEach((n, i) => expect(n, `${name} vector ${i}`).toBeLessThan(counts[2]![i]!));
      // ...and keep one copy of the weights: person_detect's are 219 KB; the DSP build may only add its int16
      // weight budget (DEFAULT_WIDE_WEIGHT_BYTES) and its unrolled loops (about 32 KB on person_detect)
      expect(flash[1]!, `${name} flash dsp vs portable`).toBeLessThan(flash[0]! + DEFAULT_WIDE_WEIGHT_BYTES + 48 * 1024);
    }
  }, 180_000);
});

describe('native runtime on qemu-riscv32 (RV32IMC, the scalar loops)', () => {
  it('prints the interpreter\'s output bytes for person_detect and the RepVGG fixture, with counts that repeat', async () => {
    const board = findBoard('qemu-riscv32');
    for (const [name, model, inputs] of await models()) {
      const dir = mkdtempSync(join(tmpdir(), 'reparo-native-rv32-'));
      writeVectorApp(join(dir, 'app'), model, inputs);
      const { elf, command } = buildFirmware(join(dir, 'app'), board, { outDir: join(dir, 'build') });
      expect(command).toContain('-march=rv32imc');
      const runs = [await runInQemu(elf, board, { timeoutMs: 60_000 }), await runInQemu(elf, board, { timeoutMs: 60_000 })];
      const interp = createInterpreter(model);
      const [a, b] = runs.map((run) => {
        expect(run.exitCode, `${name}: ${run.stdout}${run.stderr}`).toBe(0);
        return parseVectorOutput(run.stdout);
      });
      inputs.forEach((x, i) => expect(Array.from(a!.outputs[i] ?? []), `${name} vector ${i}`).toEqual(Array.from(interp.invoke(x))));
      expect(a!.instructions.every((n) => n > 0)).toBe(true);
      expect(b!.instructions).toEqual(a!.instructions);
    }
  }, 180_000);
});
