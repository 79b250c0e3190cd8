/**
 * MLPerf Tiny's two image models on real pictures, against real TensorFlow Lite Micro (gated: TFLM_DIR,
 * a tflite-micro checkout with its third-party downloads). No person or CIFAR-10 pictures ship here, so
 * the inputs are Debian's Fashion-MNIST test images (examples/fashion-mnist), nearest-resized to the
 * model's height and width and repeated over the 3 channels, as the reference submissions feed pixels:
 * uint8 − 128. TFLM (reference kernels) runs them in QEMU through reparo's TFLM project; every output
 * byte must equal reparo's int8 interpreter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findBoard } from '../../toolkit/boards/index.ts';
import { readIdxImages } from '../../toolkit/data/idx.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { runTflmVectors } from '../../toolkit/toolchain/tflm-vectors.ts';

const dir = fileURLToPath(new URL('../../../shared/models/mlperf/', import.meta.url));
const IMAGES = fileURLToPath(new URL('../../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url));
const TFLM_DIR = process.env.TFLM_DIR;
if (!TFLM_DIR) console.log('MLPerf Tiny image models vs TFLM on real pictures: not run (set TFLM_DIR to a tflite-micro checkout with its downloads)');

/** Image k of the set, nearest-resized to h x w, 3 channels, as int8 pixel − 128 (NHWC). */
function picture(k: number, h: number, w: number): Int8Array {
  const set = readIdxImages(IMAGES);
  const out = new Int8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = set.pixels[k * set.height * set.width + Math.floor((y * set.height) / h) * set.width + Math.floor((x * set.width) / w)]!;
      out.fill(p - 128, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  return out;
}

describe.skipIf(!TFLM_DIR || !existsSync(dir))('MLPerf Tiny image models on pictures: reparo = real TFLM (needs TFLM_DIR)', () => {
  it.each(['vww_96_int8', 'pretrainedResnet_quant'])('%s: four Fashion-MNIST pictures', async (name) => {
    const bytes = new Uint8Array(readFileSync(`${dir}${name}.tflite`));
    const model = readTflite(bytes);
    const [, h, w] = model.tensors[model.inputs[0]!]!.shape;
    const inputs = [0, 1, 2, 3].map((k) => picture(k, h!, w!));
    const tflm = await runTflmVectors(model, bytes, inputs, findBoard('qemu-mps2-an386'), 'reference');
    const interp = createInterpreter(model);
    inputs.forEach((x, k) => expect({ picture: k, out: Array.from(tflm!.outputs[k]!) }).toEqual({ picture: k, out: Array.from(interp.invoke(x)) }));
    // the pictures are not all one class: the outputs differ between them
    expect(new Set(tflm!.outputs.map((o) => Array.from(o).join())).size).toBeGreaterThan(1);
  }, 1_800_000);
});
