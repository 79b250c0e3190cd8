/** Malformed quantization and geometry reach the interpreter as clear errors, not RangeErrors or huge allocations. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';

const PERSON = new URL('../../../shared/models/person_detect.tflite', import.meta.url).pathname;

function thrown(f: () => unknown): ReparoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ReparoError);
    return e as ReparoError;
  }
  throw new Error('expected an error');
}

describe('interpreter hardening', () => {
  it('a negative or zero scale is E_QUANT_PARAMS naming the fix', () => {
    for (const bad of [-0.5, 0]) {
      const m = readTflite(readFileSync(PERSON));
      const conv = m.operators.find((o) => o.op === 'CONV_2D')!;
      m.tensors[conv.outputs[0]!]!.quantization!.scale[0] = bad;
      const e = thrown(() => createInterpreter(m));
      expect(e.code).toBe('E_QUANT_PARAMS');
      expect(e.message).toMatch(/reparo check/);
    }
  });

  it('a dilation far beyond the input is refused before anything is allocated', () => {
    const m = readTflite(readFileSync(PERSON));
    const dw = m.operators.find((o) => o.op === 'DEPTHWISE_CONV_2D' && 'dilationH' in o) as { dilationH: number; dilationW: number };
    dw.dilationH = dw.dilationW = 1 << 20;
    expect(() => createInterpreter(m)).toThrow(ReparoError);
  });
});
