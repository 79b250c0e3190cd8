/**
 * `reparo validate`: the board's outputs against the host's int8 reference, byte for byte. Each
 * sample's int8 input goes over the wire, the board runs it once, and its output bytes come back
 * CRC-checked; a sample counts as bit-exact only when every byte equals the reference's.
 */
import { ReparoError } from '../errors.ts';
import type { HilClient, HilInfo } from './client.ts';

export interface ValidateSamples {
  count: number;
  /** sample i as the model's int8 input tensor */
  input(i: number): Int8Array;
  /** the host reference's int8 output for that input */
  reference(input: Int8Array): Int8Array;
  /** class label of sample i, when the data has labels */
  label?(i: number): number;
}

export interface ValidateMismatch {
  sample: number;
  /** first differing byte, and the two values there */
  byte: number;
  device: number;
  host: number;
}

export interface ValidateResult {
  info: HilInfo;
  samples: number;
  bitExact: number;
  mismatches: ValidateMismatch[];
  /** top-1 of the board's outputs and of the host reference (undefined without labels) */
  deviceTop1?: number;
  hostTop1?: number;
  retries: number;
}

const argmax = (y: Int8Array) => y.reduce((best, v, i) => (v > y[best]! ? i : best), 0);

export async function runValidate(
  hil: HilClient,
  samples: ValidateSamples,
  opts: { expectedModel: string; progress?: (done: number, total: number) => void },
): Promise<ValidateResult> {
  const info = await hil.hello();
  await hil.checkModel(opts.expectedModel);
  if (samples.count < 1) throw new ReparoError('E_USAGE', 'validate needs at least one sample');
  let bitExact = 0, deviceRight = 0, hostRight = 0;
  const mismatches: ValidateMismatch[] = [];
  for (let i = 0; i < samples.count; i++) {
    const x = samples.input(i);
    if (x.length !== info.inputBytes)
      throw new ReparoError('E_USAGE', `sample ${i} has ${x.length} input bytes; the board's model takes ${info.inputBytes}`, { hint: 'the data does not match the model: check its shape' });
    const host = samples.reference(x);
    await hil.loadInput(x);
    await hil.infer(1, 0);
    const dev = await hil.results();
    const byte = dev.findIndex((v, k) => v !== host[k]);
    if (byte < 0 && dev.length === host.length) bitExact++;
    else mismatches.push({ sample: i, byte: byte < 0 ? Math.min(dev.length, host.length) : byte, device: dev[byte] ?? NaN, host: host[byte] ?? NaN });
    const label = samples.label?.(i);
    if (label !== undefined) {
      deviceRight += +(argmax(dev) === label);
      hostRight += +(argmax(host) === label);
    }
    opts.progress?.(i + 1, samples.count);
  }
  const labelled = samples.label !== undefined;
  return {
    info,
    samples: samples.count,
    bitExact,
    mismatches,
    deviceTop1: labelled ? deviceRight / samples.count : undefined,
    hostTop1: labelled ? hostRight / samples.count : undefined,
    retries: hil.stats.retries,
  };
}
