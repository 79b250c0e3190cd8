/**
 * The five MLPerf Tiny reference models against real TensorFlow Lite Micro: each output byte for byte
 * what TFLM (reference kernels) wrote for the same seeded random input (shared/models/mlperf/SOURCE).
 * The streaming wake-word model as shipped keeps no state (no variable tensors or *_VARIABLE ops: it
 * takes a 30-frame window), so invocations in a row must each equal TFLM's fresh single run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';

const dir = fileURLToPath(new URL('../../../shared/models/mlperf/', import.meta.url));
const MODELS = ['ad01_int8', 'kws_ref_model', 'pretrainedResnet_quant', 'str_ww_ref_model', 'vww_96_int8'];

describe.skipIf(!existsSync(dir))('MLPerf Tiny: bit-exact with TFLite Micro (needs shared/models/mlperf)', () => {
  const bytes = (path: string) => new Int8Array(readFileSync(path));

  it.each(MODELS)('%s: three random inputs, one interpreter, invoked in a row', (name) => {
    const model = readTflite(readFileSync(`${dir}${name}.tflite`), `${name}.tflite`);
    // the reader refuses variable tensors; no op reads or writes a resource variable either
    expect(model.operators.filter((o) => /VARIABLE|VAR_HANDLE/.test(o.op))).toEqual([]);
    const interpreter = createInterpreter(model);
    for (const k of [1, 2, 3]) {
      const got = interpreter.invoke(bytes(`${dir}${name}.input.random${k}.bin`));
      expect({ input: k, out: Array.from(got) }).toEqual({ input: k, out: Array.from(bytes(`${dir}${name}.output.random${k}.bin`)) });
    }
  });
});
