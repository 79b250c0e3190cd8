import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { readTflite } from '../../toolkit/tflite/index.ts';

// The oracle: outputs and every intermediate tensor of real TensorFlow Lite Micro (reference
// kernels, x86-64) on the person-detection model; see shared/models/README.md.
const dir = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
const have = existsSync(`${dir}person_detect.tflite`);
const INPUTS = ['person', 'no_person', 'random1', 'random2', 'random3'];

describe.skipIf(!have)('person_detect: bit-exact with TFLite Micro (needs shared/models)', () => {
  const model = have ? readTflite(readFileSync(`${dir}person_detect.tflite`), 'person_detect.tflite') : undefined!;
  const interpreter = have ? createInterpreter(model) : undefined!;
  const bytes = (path: string) => new Int8Array(readFileSync(path));

  it.each(INPUTS)('%s: the output and every intermediate tensor equal the TFLM dumps', (name) => {
    const output = interpreter.invoke(bytes(`${dir}person_detect.input.${name}.bin`));
    expect(Array.from(output)).toEqual(Array.from(bytes(`${dir}person_detect.output.${name}.bin`)));

    const rows = readFileSync(`${dir}person_detect.tensors/${name}/tensors.tsv`, 'utf8').trim().split('\n');
    // every non-constant tensor has a dump
    expect(rows.length).toBe(model.tensors.filter((t) => !t.data).length);
    for (const row of rows) {
      const [index, tensorName, type, shape] = row.split('\t');
      const def = model.tensors[Number(index)];
      expect(def.name).toBe(tensorName);
      expect(def.type).toBe(type.toLowerCase());
      expect(def.shape.join('x')).toBe(shape);
      const want = bytes(`${dir}person_detect.tensors/${name}/${index.padStart(3, '0')}.bin`);
      const got = interpreter.tensor(Number(index)) as Int8Array;
      // compare as arrays so that a failure names the tensor and shows where it departs
      expect({ tensor: tensorName, values: Array.from(got) }).toEqual({ tensor: tensorName, values: Array.from(want) });
    }
  });

  it('repeated invokes give the same result (no state leaks between runs)', () => {
    const x = bytes(`${dir}person_detect.input.person.bin`);
    const first = interpreter.invoke(x);
    interpreter.invoke(bytes(`${dir}person_detect.input.random1.bin`));
    expect(Array.from(interpreter.invoke(x))).toEqual(Array.from(first));
  });
});
