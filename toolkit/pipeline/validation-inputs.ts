/**
 * What `validate` sends to a board: the samples of a data set, or, with none, seeded random int8
 * tensors over the input's full range (as STM32Cube.AI's validate does), so that a third-party model
 * is checked bit-exact all the same. Every output says which it was.
 */
import { ReparoError } from '../errors.ts';
import { randomInt8Input, RANDOM_INPUT_SEED, type DatasetOptions } from '../data/index.ts';
import type { TfliteModel } from '../tflite/index.ts';
import type { InputSource } from '../report/index.ts';
import { int8Input, openDatasetForModel } from './evaluate.ts';

/** Inputs sent without data unless asked for more. */
export const RANDOM_SAMPLES = 20;

export interface ValidationInputs {
  count: number;
  /** sample i as the model's int8 input tensor */
  input(i: number): Int8Array;
  label?(i: number): number;
  source: InputSource;
}

export function validationInputs(model: TfliteModel, data: string | undefined, opts: DatasetOptions & { samples?: number } = {}): ValidationInputs {
  if (data) {
    const d = openDatasetForModel(model, data, opts);
    return {
      count: Math.min(opts.samples ?? 100, d.count),
      input: (i) => int8Input(model, d, i),
      label: d.labels ? (i) => d.labels![i]! : undefined,
      source: { kind: 'data', path: data },
    };
  }
  const t = model.tensors[model.inputs[0]!]!;
  if (t.type !== 'int8' && t.type !== 'uint8')
    throw new ReparoError('E_USAGE', `the model's input is ${t.type}: random inputs are drawn for int8 inputs only`, { hint: 'pass --data <data> with real inputs' });
  const bytes = t.shape.reduce((a, b) => a * b, 1);
  return { count: opts.samples ?? RANDOM_SAMPLES, input: (i) => randomInt8Input(bytes, i), source: { kind: 'random', seed: RANDOM_INPUT_SEED } };
}
