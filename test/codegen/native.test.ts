/**
 * The native C runtime (toolkit/codegen/native.ts) against the int8 interpreter, byte for byte:
 * the generated C is compiled with the host cc (warnings as errors) and run on many inputs; for
 * person_detect also against TensorFlow Lite Micro's own outputs. The DSP build's kernel shapes (the
 * generated Thumb-2 of native/mac-asm.ts and their C fallbacks) run on the virtual Cortex-M4 in QEMU.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { buildFirmware, runInQemu } from '../../toolkit/toolchain/index.ts';
import { createMemoryPlan } from '../../toolkit/codegen/memory-plan.ts';
import { UNROLL_GROUPS } from '../../toolkit/codegen/native/mac-asm.ts';
import { parseVectorOutput, writeVectorApp } from '../../toolkit/codegen/vector-app.ts';
import { DEFAULT_WIDE_WEIGHT_BYTES, emitNativeC, type NativeOptions } from '../../toolkit/codegen/native.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { quantizeCommand } from '../../toolkit/pipeline/quantize.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import type { TfliteModel } from '../../toolkit/tflite/model.ts';
import { ModelBuilder, randomInts } from '../int8/model-builder.ts';
import { geluConcat, hardSwishChain, residualNet, resizeConcat } from '../int8/mobile-models.ts';

const MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
const PERSON = join(MODELS, 'person_detect.tflite');
const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
const CALIB = fileURLToPath(new URL('../../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url));
const CFLAGS = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror'];

const MAIN = `#include <stdio.h>
#include "model.h"
int main(void) {
  static int8_t in[REPARO_INPUT_SIZE], out[REPARO_OUTPUT_SIZE];
  while (fread(in, 1, sizeof in, stdin) == sizeof in) {
    if (reparo_invoke(in, out) != 0) return 2;
    if (fwrite(out, 1, sizeof out, stdout) != sizeof out) return 3;
  }
  return 0;
}
`;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'reparo-native-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Generate, compile and return a runner over concatenated inputs. */
function build(model: TfliteModel, name: string, extraFlags: string[] = [], opts: NativeOptions = {}): { run: (inputs: Int8Array[]) => Int8Array[]; arenaSize: number; activationBytes: number } {
  const { files, arenaSize, activationBytes } = emitNativeC(model, opts);
  const dir = join(work, name);
  execFileSync('mkdir', ['-p', dir]);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  writeFileSync(join(dir, 'main.c'), MAIN);
  const exe = join(dir, 'model');
  execFileSync('cc', [...CFLAGS, ...extraFlags, '-o', exe, join(dir, 'model.c'), join(dir, 'main.c')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const outSize = model.tensors[model.outputs[0]].shape.reduce((a, b) => a * b, 1);
  const run = (inputs: Int8Array[]) => {
    const stdin = Buffer.concat(inputs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.length)));
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' };
    const stdout = execFileSync(exe, [], { input: stdin, env, maxBuffer: 1 << 26, stdio: ['pipe', 'pipe', 'pipe'] });
    expect(stdout.length).toBe(outSize * inputs.length);
    return inputs.map((_, k) => new Int8Array(stdout.buffer, stdout.byteOffset + k * outSize, outSize).slice());
  };
  return { run, arenaSize, activationBytes };
}

/** The model's outputs for `inputs` in QEMU (a vectors app in work/name): the DSP build on the virtual Cortex-M4, or the scalar one on RV32. */
async function qemuOutputs(name: string, model: TfliteModel, inputs: Int8Array[], opts: NativeOptions = {}, timeoutMs = 30_000, boardId = 'qemu-mps2-an386'): Promise<Int8Array[]> {
  const board = findBoard(boardId);
  const dir = join(work, name);
  writeVectorApp(join(dir, 'app'), model, inputs, opts);
  const { elf } = buildFirmware(join(dir, 'app'), board, { outDir: join(dir, 'build') });
  const run = await runInQemu(elf, board, { timeoutMs });
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  return parseVectorOutput(run.stdout).outputs;
}

/** Deterministic pseudo-random int8 inputs (xorshift). */
function randomInputs(size: number, n: number, seed: number): Int8Array[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    const x = new Int8Array(size);
    for (let i = 0; i < size; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      x[i] = s & 0xff;
    }
    return x;
  });
}

function expectSameAsInterpreter(model: TfliteModel, run: (inputs: Int8Array[]) => Int8Array[], inputs: Int8Array[]): void {
  const interp = createInterpreter(model);
  const native = run(inputs);
  inputs.forEach((x, k) => expect(Buffer.from(native[k]).equals(Buffer.from(interp.invoke(x))), `input ${k}`).toBe(true));
}

describe('memory plan', () => {
  it('reuses bytes of buffers whose lifetimes do not overlap', () => {
    const p = createMemoryPlan(16);
    const a = p.addBuffer(100, 0, 1);
    const b = p.addBuffer(50, 1, 2);
    const c = p.addBuffer(100, 2, 3);
    expect(p.offsetOf(a)).toBe(0);
    expect(p.offsetOf(c)).toBe(0);
    expect(p.offsetOf(b)).toBe(112);
    expect(p.arenaSize()).toBe(176);
  });
});

describe('native C runtime', () => {
  it('person_detect: same bytes as the interpreter and as TFLite Micro, also under ASan/UBSan', () => {
    const model = readTflite(readFileSync(PERSON));
    const { run, arenaSize, activationBytes } = build(model, 'person_detect');
    const names = readdirSync(MODELS)
      .filter((f) => /^person_detect\.input\..*\.bin$/.test(f))
      .map((f) => f.slice('person_detect.input.'.length, -'.bin'.length));
    const files = names.map((n) => new Int8Array(readFileSync(join(MODELS, `person_detect.input.${n}.bin`))));
    const inputs = [...files, ...randomInputs(96 * 96, 20, 7)];
    expectSameAsInterpreter(model, run, inputs);
    const outputs = run(files);
    let compared = 0;
    names.forEach((n, k) => {
      const ref = join(MODELS, `person_detect.output.${n}.bin`);
      if (!existsSync(ref)) return;
      expect(Buffer.from(outputs[k]).equals(readFileSync(ref)), `TFLM output ${n}`).toBe(true);
      compared++;
    });
    expect(compared).toBeGreaterThanOrEqual(4);
    expect(arenaSize).toBeLessThan(activationBytes);
    console.log(`person_detect: arena ${arenaSize} B, all activations ${activationBytes} B`);

    const sanitized = build(model, 'person_detect_asan', ['-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']);
    expectSameAsInterpreter(model, sanitized.run, inputs.slice(0, 3));
  }, 60_000);

  for (const name of ['repvgg', 'dbb', 'resrep']) {
    it(`${name} fixture quantized by reparo: same bytes as the interpreter`, async () => {
      const { quantized } = await quantizeCommand(join(FIX, `${name}.onnx`), { calib: CALIB, samples: 100 });
      const model = quantized.model;
      const { run, arenaSize, activationBytes } = build(model, name);
      const size = model.tensors[model.inputs[0]].shape.reduce((a, b) => a * b, 1);
      expectSameAsInterpreter(model, run, randomInputs(size, 24, name.length * 977));
      expect(arenaSize).toBeLessThanOrEqual(activationBytes);
      // and the smallest plan (row bands, layers in place)
      const small = build(model, `${name}-smallest`, [], { memory: 'smallest' });
      expectSameAsInterpreter(model, small.run, randomInputs(size, 8, name.length * 331));
      expect(small.arenaSize).toBeLessThanOrEqual(arenaSize);
      console.log(`${name}: arena ${arenaSize} B (smallest plan ${small.arenaSize} B), all activations ${activationBytes} B`);
    }, 60_000);
  }

  it('a hand-built chain of every supported op but SOFTMAX: same bytes as the interpreter', () => {
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 8, 8, 3], { scale: 0.05, zeroPoint: 7 });
    const pads = b.int32('pads', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0]);
    const xp = b.int8('xp', [1, 10, 10, 3], { scale: 0.05, zeroPoint: 7 });
    b.op({ op: 'PAD', inputs: [x, pads], outputs: [xp] });
    const dwW = b.int8('dw_w', [1, 3, 3, 6], { scale: [0.02, 0.03, 0.01, 0.04, 0.02, 0.05], zeroPoint: 0, dim: 3 }, randomInts(1, 54, -127, 127));
    const dwB = b.int32('dw_b', [6], randomInts(2, 6, -3000, 3000));
    const dw = b.int8('dw', [1, 5, 5, 6], { scale: 0.03, zeroPoint: -100 });
    b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [xp, dwW, dwB], outputs: [dw], padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, depthMultiplier: 2, activation: 'RELU6' });
    const cW = b.int8('c_w', [6, 3, 3, 3], { scale: [0.01, 0.02, 0.015, 0.03, 0.01, 0.02], zeroPoint: 0 }, randomInts(3, 162, -127, 127));
    const cB = b.int32('c_b', [6], randomInts(4, 6, -20000, 20000));
    const cv = b.int8('cv', [1, 5, 5, 6], { scale: 0.04, zeroPoint: -20 });
    b.op({ op: 'CONV_2D', inputs: [dw, cW, cB], outputs: [cv], padding: 'SAME', strideH: 1, strideW: 1, dilationH: 2, dilationW: 1, activation: 'RELU' });
    const k = b.int8('k', [1, 1, 1, 6], { scale: 0.02, zeroPoint: 5 }, randomInts(5, 6, -128, 127));
    const ml = b.int8('ml', [1, 5, 5, 6], { scale: 0.05, zeroPoint: 3 });
    b.op({ op: 'MUL', inputs: [cv, k], outputs: [ml], activation: 'NONE' });
    const ad = b.int8('ad', [1, 5, 5, 6], { scale: 0.07, zeroPoint: -9 });
    b.op({ op: 'ADD', inputs: [cv, ml], outputs: [ad], activation: 'RELU' });
    const mp = b.int8('mp', [1, 3, 3, 6], { scale: 0.07, zeroPoint: -9 });
    b.op({ op: 'MAX_POOL_2D', inputs: [ad], outputs: [mp], padding: 'SAME', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' });
    const ap = b.int8('ap', [1, 3, 3, 6], { scale: 0.07, zeroPoint: -9 });
    b.op({ op: 'AVERAGE_POOL_2D', inputs: [mp], outputs: [ap], padding: 'SAME', strideH: 1, strideW: 1, filterH: 2, filterW: 2, activation: 'NONE' });
    const axes = b.int32('axes', [2], [1, 2]);
    const mn = b.int8('mn', [1, 1, 1, 6], { scale: 0.03, zeroPoint: 2 });
    b.op({ op: 'MEAN', inputs: [ap, axes], outputs: [mn], keepDims: true });
    const rs = b.int8('rs', [1, 6], { scale: 0.03, zeroPoint: 2 });
    b.op({ op: 'RESHAPE', inputs: [mn], outputs: [rs] });
    const fW = b.int8('f_w', [4, 6], { scale: 0.02, zeroPoint: 3 }, randomInts(6, 24, -127, 127));
    const fB = b.int32('f_b', [4], randomInts(7, 4, -500, 500), { scale: Math.fround(0.03) * Math.fround(0.02) });
    const fc = b.int8('fc', [1, 4], { scale: 0.01, zeroPoint: -4 });
    b.op({ op: 'FULLY_CONNECTED', inputs: [rs, fW, fB], outputs: [fc], activation: 'NONE', keepNumDims: false });
    const y = b.int8('y', [1, 4], { scale: 1 / 256, zeroPoint: -128 });
    b.op({ op: 'LOGISTIC', inputs: [fc], outputs: [y] });
    const model = b.build([x], [y]);
    const { run } = build(model, 'chain');
    expectSameAsInterpreter(model, run, randomInputs(8 * 8 * 3, 40, 99));
    // the intermediate tensors too: every prefix of the chain as its own model
    for (let end = 1; end < model.operators.length; end++) {
      const out = model.operators[end - 1].outputs[0];
      const prefix: TfliteModel = { ...model, operators: model.operators.slice(0, end), outputs: [out] };
      if (model.operators[end - 1].op === 'RESHAPE') continue;
      expectSameAsInterpreter(prefix, build(prefix, `chain${end}`).run, randomInputs(8 * 8 * 3, 20, end));
    }
  }, 60_000);

  it('folds a PAD into the VALID conv that reads it (the padding PyTorch exports): same bytes as the interpreter on the host and QEMU, no padded copy', async () => {
    const b = new ModelBuilder();
    const q = { scale: 0.05, zeroPoint: 7 };
    const x = b.int8('x', [1, 9, 8, 3], q);
    const pads = (t: number, bottom: number, r: number) => b.int32(`pads${t}`, [4, 2], [0, 0, t, bottom, t, r, 0, 0]);
    // PyTorch's symmetric padding before a stride-2 conv, then a PAD below and right only before a depthwise conv
    const xp = b.int8('xp', [1, 11, 10, 3], q);
    b.op({ op: 'PAD', inputs: [x, pads(1, 1, 1)], outputs: [xp] });
    const cW = b.int8('c_w', [8, 3, 3, 3], { scale: 0.01, zeroPoint: 0 }, randomInts(11, 216, -127, 127));
    const cB = b.int32('c_b', [8], randomInts(12, 8, -2000, 2000));
    const cv = b.int8('cv', [1, 5, 4, 8], { scale: 0.04, zeroPoint: -20 });
    b.op({ op: 'CONV_2D', inputs: [xp, cW, cB], outputs: [cv], padding: 'VALID', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'RELU' });
    const cp = b.int8('cp', [1, 6, 5, 8], { scale: 0.04, zeroPoint: -20 });
    b.op({ op: 'PAD', inputs: [cv, pads(0, 1, 1)], outputs: [cp] });
    const dW = b.int8('d_w', [1, 3, 3, 8], { scale: 0.02, zeroPoint: 0, dim: 3 }, randomInts(13, 72, -127, 127));
    const dB = b.int32('d_b', [8], randomInts(14, 8, -2000, 2000));
    const dw = b.int8('dw', [1, 2, 2, 8], { scale: 0.03, zeroPoint: 4 });
    b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [cp, dW, dB], outputs: [dw], padding: 'VALID', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, depthMultiplier: 1, activation: 'NONE' });
    // a PAD wider than the kernel's reach stays a PAD
    const wide = b.int8('wide', [1, 8, 8, 8], { scale: 0.03, zeroPoint: 4 });
    b.op({ op: 'PAD', inputs: [dw, b.int32('pads_w', [4, 2], [0, 0, 3, 3, 3, 3, 0, 0])], outputs: [wide] });
    const pW = b.int8('p_w', [4, 1, 1, 8], { scale: 0.02, zeroPoint: 0 }, randomInts(15, 32, -127, 127));
    const y = b.int8('y', [1, 8, 8, 4], { scale: 0.05, zeroPoint: -3 });
    b.op({ op: 'CONV_2D', inputs: [wide, pW, b.int32('p_b', [4], randomInts(16, 4, -900, 900))], outputs: [y], padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' });
    const model = b.build([x], [y]);
    const { files, ramByOp } = emitNativeC(model);
    // the first two PADs emit nothing; the profile still has one entry per op of the model
    expect(files['model.c']!.match(/#\d+ PAD/g)).toEqual(['#4 PAD']);
    expect(files['model.h']).toContain('#define REPARO_LAYER_COUNT 6');
    expect(ramByOp).toHaveLength(6);
    const inputs = randomInputs(9 * 8 * 3, 24, 77);
    expectSameAsInterpreter(model, build(model, 'fold-pads').run, inputs);
    expectSameAsInterpreter(model, build(model, 'fold-pads-asan', ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']).run, inputs.slice(0, 4));
    const interp = createInterpreter(model);
    const got = await qemuOutputs('qemu-fold-pads', model, inputs);
    inputs.forEach((v, k) => expect(Array.from(got[k] ?? []), `input ${k}`).toEqual(Array.from(interp.invoke(v))));
  }, 60_000);

  it('the mobile-net ops (HARD_SWISH, GELU, CONCATENATION, every RESIZE mode): same bytes as the interpreter, also under ASan/UBSan', () => {
    const models: [string, TfliteModel][] = [['hardswish', hardSwishChain()], ['resize_up', resizeConcat([11, 9])], ['resize_down', resizeConcat([3, 2])], ['gelu', geluConcat()]];
    for (const [name, model] of models) {
      const size = model.tensors[model.inputs[0]].shape.reduce((a, b) => a * b, 1);
      const inputs = randomInputs(size, 16, name.length * 31);
      expectSameAsInterpreter(model, build(model, name).run, inputs);
      expectSameAsInterpreter(model, build(model, `${name}_asan`, ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']).run, inputs.slice(0, 4));
    }
  }, 60_000);

  it('spends the int16 weight budget of the DSP build within its bytes, on the convs with the most output pixels', () => {
    const model = readTflite(readFileSync(PERSON));
    // the generated C calls each gemm layer's assembly (native/mac-asm.ts), named for its weights: 16 for int16, 8 or 8p for int8
    const loops = (budget?: number) => {
      const c = emitNativeC(model, budget === undefined ? {} : { wideWeightBytes: budget }).files['model.c'];
      const calls = [...c.matchAll(/reparo_(?:gemm|mac)(16|8p?)d?_g\d+\(rows, &?l(\d+)_/g)];
      const layers = (wide: boolean) => calls.filter((m) => (m[1] === '16') === wide).map((m) => Number(m[2]));
      return { wide: layers(true), narrow: layers(false) };
    };
    // extra flash of int16 rows: OC * K rounded up to 4, from the model's own shapes
    const extra = (i: number) => {
      const w = model.tensors[model.operators[i].inputs[1]].shape;
      const depthwise = model.operators[i].op === 'DEPTHWISE_CONV_2D';
      const [oc, k] = depthwise ? [w[3], w[1] * w[2]] : [w[0], w[1] * w[2] * w[3]];
      return oc * Math.ceil(k / 4) * 4;
    };
    const pixels = (i: number) => model.tensors[model.operators[i].outputs[0]].shape.slice(1, 3).reduce((a, b) => a * b, 1);
    const all = loops(1 << 30);
    expect(all.narrow).toEqual([]);
    expect(all.wide.length).toBeGreaterThan(10);
    expect(loops(0)).toEqual({ wide: [], narrow: all.wide });
    const def = loops();
    const used = def.wide.reduce((a, i) => a + extra(i), 0);
    expect(used).toBeLessThanOrEqual(DEFAULT_WIDE_WEIGHT_BYTES);
    expect(def.narrow.length).toBeGreaterThan(0);
    for (const i of def.narrow) {
      // greedy, most pixels first: left int8 only because it did not fit in what the layers before it left
      const before = def.wide.filter((j) => pixels(j) > pixels(i) || (pixels(j) === pixels(i) && j < i)).reduce((a, j) => a + extra(j), 0);
      expect(extra(i)).toBeGreaterThan(DEFAULT_WIDE_WEIGHT_BYTES - before);
    }
    // and the layer with the most pixels is int16
    expect(def.wide).toContain(all.wide.reduce((a, i) => (pixels(i) > pixels(a) ? i : a)));
  });

  it('the DSP build on the virtual Cortex-M4 and the scalar one on RV32: every gemm shape gives the interpreter\'s bytes', async () => {
    // conv1: K = 432 > 4 * UNROLL_GROUPS (the pass loop, with a remainder), requantized in assembly; conv2: 1x1
    // stride 2, an odd pixel count, more channels than half K (doubled inputs), a weight of -128 beside a negative
    // one (int8: the packing does not fit); conv3: an odd channel count and a RELU clamp above -128 (the mac block and C
    // requantization), K = 360 in the pass loop; conv4: K = 7 (byte gather, zero-padded to 8)
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 9, 9, 48], { scale: 0.05, zeroPoint: 3 });
    const conv = (name: string, input: number, cin: number, out: number[], q: { scale: number; zeroPoint: number }, k: number, stride: number, activation: 'NONE' | 'RELU', seed: number, edit = (w: number[]) => w) => {
      const oc = out[3]!;
      const w = b.int8(`${name}_w`, [oc, k, k, cin], { scale: randomInts(seed, oc, 5, 15).map((v) => v / 1000), zeroPoint: 0 }, edit(randomInts(seed + 1, oc * k * k * cin, -127, 127)));
      const bias = b.int32(`${name}_b`, [oc], randomInts(seed + 2, oc, -5000, 5000));
      const y = b.int8(name, out, q);
      b.op({ op: 'CONV_2D', inputs: [input, w, bias], outputs: [y], padding: k === 1 ? 'VALID' : 'SAME', strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, activation });
      return y;
    };
    const c1 = conv('c1', x, 48, [1, 9, 9, 16], { scale: 0.08, zeroPoint: -10 }, 3, 1, 'NONE', 10);
    const c2 = conv('c2', c1, 16, [1, 5, 5, 40], { scale: 0.06, zeroPoint: 4 }, 1, 2, 'NONE', 20, (w) => w.map((v, j) => (j === 0 ? -5 : j === 16 ? -128 : v)));
    const c3 = conv('c3', c2, 40, [1, 5, 5, 7], { scale: 0.1, zeroPoint: -20 }, 3, 1, 'RELU', 30);
    const c4 = conv('c4', c3, 7, [1, 5, 5, 6], { scale: 0.05, zeroPoint: 5 }, 1, 1, 'RELU', 40);
    const model = b.build([x], [c4]);
    expect(432 / 4).toBeGreaterThan(UNROLL_GROUPS);
    // the shapes above take the paths named (native/mac-asm.ts): pixel-pair functions with int16 weights
    // (doubled), packed int8 weights (8p) or plain int8 (accumulator doubled in assembly: 'd'; or doubled
    // inputs), mac blocks
    const code = (wideWeightBytes?: number) => emitNativeC(model, wideWeightBytes === undefined ? {} : { wideWeightBytes }).files['model.c'];
    const called = (c: string) => [...c.matchAll(/(reparo_(?:gemm|mac)\w+)\(rows/g)].map((m) => m[1]);
    expect(called(code())).toEqual(['reparo_gemm16_g108', 'reparo_gemm16_g4', 'reparo_mac16_g90', 'reparo_mac16_g2']);
    expect(called(code(0))).toEqual(['reparo_gemm8pd_g108', 'reparo_gemm8_g4', 'reparo_mac8p_g90', 'reparo_mac8p_g2']);
    const inputs = randomInputs(9 * 9 * 48, 3, 5);
    for (const end of [1, 2, 3, 4]) {
      const prefix: TfliteModel = { ...model, operators: model.operators.slice(0, end), outputs: [[c1, c2, c3, c4][end - 1]!] };
      const interp = createInterpreter(prefix);
      for (const wideWeightBytes of [undefined, 0]) {
        const got = await qemuOutputs(`qemu-${end}-${wideWeightBytes ?? 'wide'}`, prefix, inputs, wideWeightBytes === undefined ? {} : { wideWeightBytes });
        inputs.forEach((v, k) => expect(Array.from(got[k] ?? []), `conv ${end}, weights ${wideWeightBytes ?? 'int16'}, input ${k}`).toEqual(Array.from(interp.invoke(v))));
      }
      // the scalar build (native/conv-scalar.ts) on RV32: gathered 3x3 windows, a 1x1 stride-2 gather, an odd pixel
      // count (the last 4 windows overlap), 7 channels (a partial block of 4), K = 7
      const got = await qemuOutputs(`rv-${end}`, prefix, inputs, {}, 30_000, 'qemu-riscv32');
      inputs.forEach((v, k) => expect(Array.from(got[k] ?? []), `RV32 conv ${end}, input ${k}`).toEqual(Array.from(interp.invoke(v))));
    }
  }, 120_000);

  it('the DSP build on the virtual Cortex-M4 and the scalar one on RV32: every depthwise shape gives the interpreter\'s bytes', async () => {
    // d1: 3x3 stride 1 over 33 columns (the assembly row function, 16 pairs, and C for the odd last output);
    // d2: stride 2, depth multiplier 2 (row function at stride 2); d3 and d5: RELU6 (C requantization, the C
    // pairs at stride 2 and 1); d4: 5x5 (the dw4 loop)
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 10, 33, 8], { scale: 0.05, zeroPoint: -7 });
    const dw = (name: string, input: number, cin: number, out: number[], k: number, stride: number, activation: 'NONE' | 'RELU6', q: { scale: number; zeroPoint: number }, seed: number) => {
      const oc = out[3]!;
      const w = b.int8(`${name}_w`, [1, k, k, oc], { scale: randomInts(seed, oc, 5, 15).map((v) => v / 500), zeroPoint: 0, dim: 3 }, randomInts(seed + 1, k * k * oc, -127, 127));
      const bias = b.int32(`${name}_b`, [oc], randomInts(seed + 2, oc, -3000, 3000));
      const y = b.int8(name, out, q);
      b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [input, w, bias], outputs: [y], padding: 'SAME', strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, depthMultiplier: oc / cin, activation });
      return y;
    };
    const d1 = dw('d1', x, 8, [1, 10, 33, 8], 3, 1, 'NONE', { scale: 0.06, zeroPoint: 3 }, 50);
    const d2 = dw('d2', d1, 8, [1, 5, 17, 16], 3, 2, 'NONE', { scale: 0.07, zeroPoint: -2 }, 60);
    const d3 = dw('d3', d2, 16, [1, 3, 9, 16], 3, 2, 'RELU6', { scale: 0.03, zeroPoint: -100 }, 70);
    const d4 = dw('d4', d3, 16, [1, 3, 9, 16], 5, 1, 'NONE', { scale: 0.05, zeroPoint: 9 }, 80);
    const d5 = dw('d5', d4, 16, [1, 3, 9, 16], 3, 1, 'RELU6', { scale: 0.02, zeroPoint: -90 }, 90);
    const model = b.build([x], [d5]);
    const c = emitNativeC(model).files['model.c'];
    expect([...c.matchAll(/static REPARO_NOINLINE void (l\d+_\w+)\(|void (l\d+_row)\(/g)].map((m) => m[1] ?? m[2])).toEqual(['l0_row', 'l1_row', 'l3_pair', 'l3_inner', 'l3_edge']);
    const inputs = randomInputs(10 * 33 * 8, 3, 11);
    const outs = [d1, d2, d3, d4, d5];
    for (let end = 1; end <= outs.length; end++) {
      const prefix: TfliteModel = { ...model, operators: model.operators.slice(0, end), outputs: [outs[end - 1]!] };
      const interp = createInterpreter(prefix);
      const got = await qemuOutputs(`qemu-dw-${end}`, prefix, inputs);
      inputs.forEach((v, k) => expect(Array.from(got[k] ?? []), `depthwise ${end}, input ${k}`).toEqual(Array.from(interp.invoke(v))));
      // the scalar channel-by-channel loop on RV32: borders, stride 2, depth multiplier 2, 5x5
      const rv = await qemuOutputs(`rv-dw-${end}`, prefix, inputs, {}, 30_000, 'qemu-riscv32');
      inputs.forEach((v, k) => expect(Array.from(rv[k] ?? []), `RV32 depthwise ${end}, input ${k}`).toEqual(Array.from(interp.invoke(v))));
    }
  }, 120_000);

  it('dense layers, 4 channels per assembly block on the virtual Cortex-M4 and per scalar block on RV32, give the interpreter\'s bytes', async () => {
    // f1: 2 rows, D = 9 (a zero-padded last group; 3 groups: one of two, one alone), RELU clamp; f2: D = 684 >
    // 4 * UNROLL_GROUPS (the pass loop, 172 groups: a remainder of 4); f3: weights of ±127 over D = 688,
    // Σ|w| ≥ 2^16 (the packing would not be exact: the C dot loop); f4: 6 channels (not a multiple of 4)
    const b = new ModelBuilder();
    const x = b.int8('x', [2, 9], { scale: 0.05, zeroPoint: -4 });
    const fc = (name: string, input: number, d: number, out: number[], q: { scale: number; zeroPoint: number }, activation: 'NONE' | 'RELU', seed: number, weights?: number[]) => {
      const oc = out.at(-1)!;
      const w = b.int8(`${name}_w`, [oc, d], { scale: randomInts(seed, oc, 5, 15).map((v) => v / 1000), zeroPoint: 0 }, weights ?? randomInts(seed + 1, oc * d, -127, 127));
      const bias = b.int32(`${name}_b`, [oc], randomInts(seed + 2, oc, -5000, 5000));
      const y = b.int8(name, out, q);
      b.op({ op: 'FULLY_CONNECTED', inputs: [input, w, bias], outputs: [y], activation, keepNumDims: false });
      return y;
    };
    const f1 = fc('f1', x, 9, [2, 344], { scale: 0.04, zeroPoint: -30 }, 'RELU', 10);
    const r = b.int8('r', [1, 688], { scale: 0.04, zeroPoint: -30 });
    b.op({ op: 'RESHAPE', inputs: [f1], outputs: [r] });
    const f2 = fc('f2', r, 688, [1, 8], { scale: 0.2, zeroPoint: 2 }, 'NONE', 20);
    const big = randomInts(25, 8 * 688, 0, 1).map((v) => (v ? 127 : -127));
    const f3 = fc('f3', r, 688, [1, 8], { scale: 2, zeroPoint: 0 }, 'NONE', 30, big);
    const sum = b.int8('sum', [1, 8], { scale: 0.5, zeroPoint: 1 });
    b.op({ op: 'ADD', inputs: [f2, f3], outputs: [sum], activation: 'NONE' });
    // f5: 32 channels of a batch of 1 over D = 8 (the scalar 16-channel block, 4 inputs an iteration)
    const f5 = fc('f5', sum, 8, [1, 32], { scale: 0.08, zeroPoint: 3 }, 'RELU', 50);
    const f4 = fc('f4', f5, 32, [1, 6], { scale: 0.1, zeroPoint: -1 }, 'NONE', 40);
    const model = b.build([x], [f4]);
    expect(688 / 4).toBeGreaterThan(UNROLL_GROUPS);
    expect([...emitNativeC(model).files['model.c'].matchAll(/(reparo_fc8p_g\d+)\(xs/g)].map((m) => m[1])).toEqual(['reparo_fc8p_g3', 'reparo_fc8p_g172', 'reparo_fc8p_g2']);
    const inputs = randomInputs(18, 4, 17);
    const interp = createInterpreter(model);
    for (const boardId of ['qemu-mps2-an386', 'qemu-riscv32']) {
      const got = await qemuOutputs(`qemu-fc-${boardId}`, model, inputs, {}, 30_000, boardId);
      inputs.forEach((v, k) => expect(Array.from(got[k] ?? []), `${boardId} input ${k}`).toEqual(Array.from(interp.invoke(v))));
    }
    // and the portable build, on the host
    expectSameAsInterpreter(model, build(model, 'fc-host').run, inputs);
  }, 120_000);

  it('the one-multiply requantization forms (left shifts, shifts beyond 22, all-zero channels, ADD tables) give the interpreter\'s bytes on QEMU and the host', async () => {
    // c1: 1x1, effective scales 0.5..1.5 (left shifts 0 and 1; the pixel-pair gemm); d1: 3x3 depthwise over 34
    // columns with left shifts (the row function); c2: channel 0 quantized to almost nothing (shift ~ -30, the
    // zero point after the shift), channel 1 all-zero weights with a bias of 2^30 (a constant output, as in
    // MLPerf Tiny's VWW model); a1: ADD of c2 and itself rescaled (the byte tables); f1: dense with left shifts
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 4, 34, 16], { scale: 0.05, zeroPoint: -3 });
    const c1w = b.int8('c1_w', [8, 1, 1, 16], { scale: randomInts(70, 8, 8, 24).map((v) => v / 1000), zeroPoint: 0 }, randomInts(71, 8 * 16, -1, 1));
    const c1 = b.int8('c1', [1, 4, 34, 8], { scale: 0.0008, zeroPoint: 2 });
    b.op({ op: 'CONV_2D', inputs: [x, c1w, b.int32('c1_b', [8], randomInts(72, 8, -20, 20))], outputs: [c1], padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' });
    const d1w = b.int8('d1_w', [1, 3, 3, 8], { scale: randomInts(73, 8, 100, 300).map((v) => v / 1000), zeroPoint: 0, dim: 3 }, randomInts(74, 9 * 8, -1, 1));
    const d1 = b.int8('d1', [1, 4, 34, 8], { scale: 0.0008 * 0.2, zeroPoint: -1 });
    b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [c1, d1w, b.int32('d1_b', [8], randomInts(75, 8, -20, 20))], outputs: [d1], padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, depthMultiplier: 1, activation: 'NONE' });
    const c2weights = randomInts(76, 8 * 8, -127, 127).map((v, j) => (j >= 8 && j < 16 ? 0 : v));
    const c2w = b.int8('c2_w', [8, 1, 1, 8], { scale: [1e-7, 1e-12, ...randomInts(77, 6, 5, 15).map((v) => v / 1000)], zeroPoint: 0 }, c2weights);
    const c2 = b.int8('c2', [1, 4, 34, 8], { scale: 0.02, zeroPoint: 6 });
    b.op({ op: 'CONV_2D', inputs: [d1, c2w, b.int32('c2_b', [8], [3000, 2 ** 30, ...randomInts(78, 6, -3000, 3000)])], outputs: [c2], padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' });
    const a1 = b.int8('a1', [1, 4, 34, 8], { scale: 0.03, zeroPoint: -5 });
    b.op({ op: 'ADD', inputs: [c2, d1], outputs: [a1], activation: 'NONE' });
    const r = b.int8('r', [1, 1088], { scale: 0.03, zeroPoint: -5 });
    b.op({ op: 'RESHAPE', inputs: [a1], outputs: [r] });
    const f1 = b.int8('f1', [1, 8], { scale: 0.03 * 0.004 * 1.2, zeroPoint: 1 });
    b.op({ op: 'FULLY_CONNECTED', inputs: [r, b.int8('f1_w', [8, 1088], { scale: randomInts(81, 8, 36, 44).map((v) => v / 10000), zeroPoint: 0 }, randomInts(79, 8 * 1088, -1, 1)), b.int32('f1_b', [8], randomInts(80, 8, -50, 50))], outputs: [f1], activation: 'NONE', keepNumDims: false });
    const model = b.build([x], [f1]);
    const c = emitNativeC(model).files['model.c'];
    expect(c).toContain('reparo_gemm16l_g4(rows, &l0_gp');
    expect(c).toContain('reparo_gemm16zp6_g2(rows, &l2_gp');
    expect(c).toContain('l1_row(');
    expect(c).toContain('l3_t1[a8 + 128]');
    expect(c).not.toContain('reparo_mbqm((int32_t)');
    const inputs = randomInputs(4 * 34 * 16, 3, 23);
    const interp = createInterpreter(model);
    const want = inputs.map((v) => Array.from(interp.invoke(v)));
    // the outputs move: not every input saturates
    expect(new Set(want.flat()).size).toBeGreaterThan(4);
    const got = await qemuOutputs('qemu-forms', model, inputs);
    inputs.forEach((_, k) => expect(Array.from(got[k] ?? []), `input ${k}`).toEqual(want[k]));
    expectSameAsInterpreter(model, build(model, 'forms-host').run, inputs);
  }, 120_000);

  it('memory: smallest runs conv chains and residual blocks in row bands, convs and ADD in place: person_detect and four MLPerf Tiny models give real TFLM\'s bytes on QEMU and the host, in less RAM', async () => {
    const cases = [
      { model: PERSON, dir: MODELS, name: 'person_detect', inputs: ['person', 'random1'] },
      { model: join(MODELS, 'mlperf', 'vww_96_int8.tflite'), dir: join(MODELS, 'mlperf'), name: 'vww_96_int8', inputs: ['random1'] },
      // ResNet-8: its three residual blocks, each in bands over its input
      { model: join(MODELS, 'mlperf', 'pretrainedResnet_quant.tflite'), dir: join(MODELS, 'mlperf'), name: 'pretrainedResnet_quant', inputs: ['random1', 'random2'], blocks: 3 },
      { model: join(MODELS, 'mlperf', 'str_ww_ref_model.tflite'), dir: join(MODELS, 'mlperf'), name: 'str_ww_ref_model', inputs: ['random1'], ratio: 0.95 },
      // DS-CNN: every tensor the same size, so its layers run in place (two band buffers each)
      { model: join(MODELS, 'mlperf', 'kws_ref_model.tflite'), dir: join(MODELS, 'mlperf'), name: 'kws_ref_model', inputs: ['random1', 'random2'], inPlace: true, ratio: 0.7 },
    ];
    for (const c of cases) {
      const model = readTflite(readFileSync(c.model));
      const inputs = c.inputs.map((n) => new Int8Array(readFileSync(join(c.dir, `${c.name}.input.${n}.bin`))));
      const want = c.inputs.map((n) => Array.from(new Int8Array(readFileSync(join(c.dir, `${c.name}.output.${n}.bin`)))));
      const fastest = emitNativeC(model);
      const smallest = emitNativeC(model, { memory: 'smallest' });
      expect(fastest.bands).toEqual([]);
      expect(smallest.bands.length, c.name).toBeGreaterThan(0);
      if (c.inPlace) expect(smallest.bands.filter((b) => b.inPlace).length, c.name).toBeGreaterThan(4);
      if (c.blocks) expect(smallest.bands.filter((b) => b.inPlace && model.operators[b.last]!.op === 'ADD').length, c.name).toBe(c.blocks);
      // halo rows are carried: no band recomputes a MAC
      expect(smallest.bands.every((b) => b.extraMacs <= 0), c.name).toBe(true);
      expect(smallest.arenaSize, c.name).toBeLessThan((c.ratio ?? 0.5) * fastest.arenaSize);
      const got = await qemuOutputs(`qemu-bands-${c.name}`, model, inputs, { memory: 'smallest' }, 60_000);
      inputs.forEach((_, k) => expect(Array.from(got[k] ?? []), `${c.name} input ${k}`).toEqual(want[k]));
      // and the portable build's banded loops, on the host, also under ASan/UBSan
      const host = build(model, `bands-${c.name}`, ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'], { memory: 'smallest' }).run(inputs);
      host.forEach((v, k) => expect(Array.from(v), `${c.name} host input ${k}`).toEqual(want[k]));
    }
  }, 240_000);

  it('memory: smallest runs residual blocks in bands (identity, inverted residual, shortcut conv, input read again): the interpreter\'s bytes on the host, QEMU and RV32', async () => {
    const model = residualNet();
    const smallest = emitNativeC(model, { memory: 'smallest' });
    // each block one segment through its ADD; the last writes its own tensor, since its input is read after it
    expect(smallest.bands.map((b) => [b.first, b.last, !!b.inPlace])).toEqual([[1, 2, true], [3, 6, true], [7, 10, true], [11, 12, false]]);
    expect(smallest.bands.every((b) => b.extraMacs <= 0)).toBe(true);
    expect(smallest.arenaSize).toBeLessThan(0.6 * emitNativeC(model).arenaSize);
    const inputs = randomInputs(12 * 10 * 3, 12, 2024);
    const interp = createInterpreter(model);
    const want = inputs.map((x) => Array.from(interp.invoke(x)));
    expectSameAsInterpreter(model, build(model, 'residual-smallest', [], { memory: 'smallest' }).run, inputs);
    expectSameAsInterpreter(model, build(model, 'residual-smallest-asan', ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'], { memory: 'smallest' }).run, inputs.slice(0, 4));
    for (const board of ['qemu-mps2-an386', 'qemu-riscv32']) {
      const got = await qemuOutputs(`qemu-residual-${board}`, model, inputs, { memory: 'smallest' }, 30_000, board);
      inputs.forEach((_, k) => expect(Array.from(got[k] ?? []), `${board} input ${k}`).toEqual(want[k]));
    }
  }, 120_000);

  it('refuses ops it has no kernel for', () => {
    const model = readTflite(readFileSync(PERSON));
    const bad: TfliteModel = { ...model, operators: [...model.operators, { op: 'DEQUANTIZE', inputs: [model.outputs[0]], outputs: [model.outputs[0]] }] };
    expect(() => emitNativeC(bad)).toThrowError(ReparoError);
    try {
      emitNativeC(bad);
    } catch (e) {
      expect((e as ReparoError).code).toBe('E_UNSUPPORTED_OP');
      expect((e as Error).message).toContain('DEQUANTIZE');
    }
  });
});
