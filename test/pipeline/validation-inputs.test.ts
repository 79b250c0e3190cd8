/** The inputs validate sends without data: seeded, reproducible, over the whole int8 range, and refused for a float input. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTflite } from '../../toolkit/tflite/index.ts';
import { randomInt8Input } from '../../toolkit/data/index.ts';
import { validationInputs } from '../../toolkit/pipeline/validation-inputs.ts';

const MODELS = new URL('../../../shared/models/', import.meta.url).pathname;

describe('validation inputs without data', () => {
  const model = readTflite(readFileSync(`${MODELS}mlperf/kws_ref_model.tflite`));
  const inputs = validationInputs(model, undefined);

  it('20 by default, the size of the input tensor, said to be random', () => {
    expect(inputs.count).toBe(20);
    expect(inputs.source).toEqual({ kind: 'random', seed: 1 });
    expect(inputs.label).toBeUndefined();
    expect(inputs.input(5).length).toBe(49 * 10);
  });

  it('the two ends of the range first, then uniform draws that repeat from the seed', () => {
    expect(new Set(inputs.input(0))).toEqual(new Set([-128]));
    expect(new Set(inputs.input(1))).toEqual(new Set([127]));
    const a = inputs.input(2), b = inputs.input(3);
    expect(a).toEqual(randomInt8Input(a.length, 2));
    expect(a).not.toEqual(b);
    // 490 uniform draws: both halves of the range and values near both ends
    expect(Math.min(...a)).toBeLessThan(-120);
    expect(Math.max(...a)).toBeGreaterThan(119);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean + 0.5)).toBeLessThan(10);
  });

  it('--samples sets how many', () => {
    expect(validationInputs(model, undefined, { samples: 3 }).count).toBe(3);
  });

  it('a float input needs data', () => {
    const float = { ...model, tensors: model.tensors.map((t, i) => (i === model.inputs[0] ? { ...t, type: 'float32' as const } : t)) };
    expect(() => validationInputs(float, undefined)).toThrow(/input is float32.*int8 inputs only/);
  });
});
