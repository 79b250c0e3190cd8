/**
 * The reader against a real third-party model (tflite-micro's person_detect.tflite) and the facts
 * TFLite Micro itself recorded about it (shared/models/README.md, person_detect.tensors/).
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTflite, writeTflite, type TensorDef } from '../../toolkit/tflite/index.ts';
import { comparable, PERSON_DETECT } from './models.ts';

const bytes = readFileSync(PERSON_DETECT);
const model = readTflite(bytes, 'person_detect.tflite');
const tensorsDir = new URL('../../../shared/models/person_detect.tensors/', import.meta.url);
const elements = (t: TensorDef) => t.shape.reduce((a, b) => a * b, 1);

describe('person_detect.tflite', () => {
  it('has the ops, sizes and input the README states', () => {
    expect([...new Set(model.operators.map((o) => o.op))].sort()).toEqual(['AVERAGE_POOL_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'RESHAPE', 'SOFTMAX']);
    expect(model.tensors.length).toBe(89);
    expect(model.operators.length).toBe(31);
    expect(model.version).toBe(3);
    expect(model.inputs.length).toBe(1);
    const input = model.tensors[model.inputs[0]];
    expect(input).toMatchObject({ name: 'input', type: 'int8', shape: [1, 96, 96, 1] });
    expect(input.quantization!.scale.length).toBe(1);
    expect(statSync(new URL('../../../shared/models/person_detect.input.person.bin', import.meta.url)).size).toBe(elements(input));
    const output = model.tensors[model.outputs[0]];
    expect(output).toMatchObject({ type: 'int8', shape: [1, 2] });
    expect(statSync(new URL('../../../shared/models/person_detect.output.person.bin', import.meta.url)).size).toBe(elements(output));
  });

  it('lists exactly the non-constant tensors TFLM dumped, with the same index, name, type and shape', () => {
    const rows = readFileSync(new URL('person/tensors.tsv', tensorsDir), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const ours = model.tensors.flatMap((t, i) => (t.data ? [] : [[String(i).padStart(3, '0'), t.name, t.type.toUpperCase(), t.shape.join('x')]]));
    expect(ours).toEqual(rows.map(([i, ...rest]) => [i.padStart(3, '0'), ...rest]));
    for (const [i] of rows) {
      const t = model.tensors[Number(i)];
      expect(statSync(new URL(`person/${i.padStart(3, '0')}.bin`, tensorsDir)).size).toBe(elements(t));
    }
  });

  it('has per-channel symmetric filters: quantized_dimension 0 for conv (OHWI), 3 for depthwise (1HWO)', () => {
    const filters = (op: string) => model.operators.filter((o) => o.op === op).map((o) => model.tensors[o.inputs[1]]);
    for (const [op, dim] of [['CONV_2D', 0], ['DEPTHWISE_CONV_2D', 3]] as const) {
      const fs = filters(op);
      expect(fs.length).toBeGreaterThan(0);
      for (const f of fs) {
        expect(f.type).toBe('int8');
        expect(f.quantization!.quantizedDimension).toBe(dim);
        expect(f.quantization!.scale.length).toBe(f.shape[dim]);
        expect(f.quantization!.zeroPoint.every((z) => z === 0)).toBe(true);
        expect(f.data!.length).toBe(elements(f));
      }
    }
    // biases: int32, one value per output channel
    for (const o of model.operators.filter((o) => o.op === 'CONV_2D' || o.op === 'DEPTHWISE_CONV_2D')) {
      const bias = model.tensors[o.inputs[2]];
      expect(bias.type).toBe('int32');
      expect(bias.data!.length).toBe(4 * model.tensors[o.outputs[0]].shape[3]);
    }
  });

  it('decodes options and values as flatc --json with the official schema shows them', () => {
    // values taken from `flatc --json --strict-json --raw-binary schema.fbs -- person_detect.tflite`
    expect(model.description).toBe('TOCO Converted.');
    expect(model.operators[0]).toEqual({
      op: 'DEPTHWISE_CONV_2D', inputs: [88, 0, 33], outputs: [34], padding: 'SAME', strideH: 2, strideW: 2,
      dilationH: 1, dilationW: 1, depthMultiplier: 8, activation: 'RELU6',
    });
    expect(model.operators.at(-2)).toEqual({ op: 'RESHAPE', inputs: [28, 32], outputs: [31], newShape: [1, 2] });
    expect(model.operators.at(-1)).toEqual({ op: 'SOFTMAX', inputs: [31], outputs: [87], beta: 1 });
    expect(model.tensors[88].quantization).toEqual({ scale: [Math.fround(0.007843137718737125)], zeroPoint: [-1], quantizedDimension: 0, min: [-1], max: [1] });
    expect(model.tensors[0].quantization!.scale.slice(0, 3).map((s) => s.toPrecision(4))).toEqual(['0.01636', '0.02661', '0.003038']);
    expect(model.tensors[2].shape).toEqual([128, 1, 1, 128]);
    expect(Array.from(model.tensors[32].data!)).toEqual([1, 0, 0, 0, 2, 0, 0, 0]); // the reshape target [1, 2] as int32
  });

  it('round-trips: read → write → read is equal and rewriting is byte-identical', () => {
    const written = writeTflite(model);
    const again = readTflite(written);
    expect(comparable(again)).toStrictEqual(comparable(model));
    expect(Buffer.compare(writeTflite(again), written)).toBe(0);
  });
});
