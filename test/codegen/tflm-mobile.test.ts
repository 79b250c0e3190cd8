/**
 * The mobile-net ops against real TensorFlow Lite Micro (env TFLM_DIR, reference kernels, on the
 * virtual Cortex-M4): HARD_SWISH, every RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR mode up and down,
 * CONCATENATION, on random inputs over the whole int8 range; TFLM's outputs must equal the int8
 * interpreter's byte for byte. GELU, which TFLM has no kernel for, is refused by name. Without
 * TFLM_DIR the comparison is skipped with the reason printed.
 */
import { describe, expect, it } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { runTflmVectors } from '../../toolkit/toolchain/tflm-vectors.ts';
import { emitTflmProject } from '../../toolkit/codegen/tflm/index.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import type { TfliteModel } from '../../toolkit/tflite/model.ts';
import { writeTflite } from '../../toolkit/tflite/index.ts';
import { geluConcat, hardSwishChain, resizeConcat } from '../int8/mobile-models.ts';
import { randomInts } from '../int8/model-builder.ts';

const TFLM_DIR = process.env.TFLM_DIR;
if (!TFLM_DIR) console.log('TFLM mobile-op comparison not run: set TFLM_DIR (a tflite-micro checkout with its third-party downloads)');

async function expectTflmEqualsInterpreter(model: TfliteModel, seed: number) {
  const size = model.tensors[model.inputs[0]!]!.shape.reduce((a, b) => a * b, 1);
  const inputs = [0, 1, 2, 3].map((k) => Int8Array.from(randomInts(seed + k, size, -128, 127)));
  const run = (await runTflmVectors(model, writeTflite(model), inputs, findBoard('qemu-mps2-an386'), 'reference'))!;
  const interp = createInterpreter(model);
  inputs.forEach((x, k) => expect(Array.from(run.outputs[k]!), `input ${k}`).toEqual(Array.from(interp.invoke(x))));
}

describe('mobile ops: the int8 interpreter equals TFLite Micro', () => {
  it.skipIf(!TFLM_DIR)('HARD_SWISH with its reluish exponent above, at and below 0', () => expectTflmEqualsInterpreter(hardSwishChain(), 1), 1_800_000);
  it.skipIf(!TFLM_DIR)('every resize mode, upsampling 5×4 → 11×9, then CONCATENATION', () => expectTflmEqualsInterpreter(resizeConcat([11, 9]), 10), 1_800_000);
  it.skipIf(!TFLM_DIR)('every resize mode, downsampling 5×4 → 3×2', () => expectTflmEqualsInterpreter(resizeConcat([3, 2]), 20), 1_800_000);
});

describe('GELU on TFLite Micro', () => {
  it('is refused with the op named and the native runtime pointed at', () => {
    expect(() => emitTflmProject(geluConcat(), findBoard('qemu-mps2-an386'), '/nonexistent/never-written')).toThrow(/TFLite Micro has no kernel for GELU/);
  });
});
