/**
 * The MLPerf Tiny DUT firmware (firmware-templates/common/mlperf_dut.c): which benchmarks it serves,
 * each with its reference submission's input and result handling, and the defines that select it.
 */
import { ReparoError } from '../errors.ts';
import type { TfliteModel } from '../tflite/model.ts';

/** db bytes as the runner sends them, and what m-results carries. */
export const MLPERF_BENCHMARKS = {
  ic01: { input: 'uint8', result: 'outputs' },
  vww01: { input: 'uint8', result: 'outputs' },
  kws01: { input: 'int8', result: 'outputs' },
  ad01: { input: 'float32', result: 'mse' },
} as const;
export type MlperfBenchmark = keyof typeof MLPERF_BENCHMARKS;

const cFloat = (x: number) => `${Math.fround(x).toPrecision(9)}f`;

/** reparo_hil_config.h lines for the DUT loop; refuses a model the benchmark's handling does not fit. */
export function mlperfDefines(model: TfliteModel, benchmark: string): string {
  const b = MLPERF_BENCHMARKS[benchmark as MlperfBenchmark];
  if (!b) throw new ReparoError('E_USAGE', `--mlperf ${benchmark}: the DUT firmware serves ${Object.keys(MLPERF_BENCHMARKS).join(', ')}`, { hint: 'the streaming wake-word benchmark (sww01) needs the runner\'s interface board and I2S audio' });
  const input = model.tensors[model.inputs[0]!]!, output = model.tensors[model.outputs[0]!]!;
  for (const [what, t] of [['input', input], ['output', output]] as const)
    if (t.type !== 'int8' || t.quantization?.scale.length !== 1)
      throw new ReparoError('E_USAGE', `--mlperf needs an int8 ${what} tensor with one scale; ${t.name} is ${t.type}`);
  const elems = (s: number[]) => s.reduce((a, c) => a * c, 1);
  if (b.result === 'mse' && elems(input.shape) !== elems(output.shape))
    throw new ReparoError('E_USAGE', `--mlperf ${benchmark} compares the output with the input: ${elems(output.shape)} outputs for ${elems(input.shape)} inputs`);
  return [
    '#define REPARO_MLPERF_DUT 1',
    `#define REPARO_MLPERF_MODEL "${benchmark}"`,
    `#define REPARO_MLPERF_INPUT_FLOAT ${+(b.input === 'float32')}`,
    `#define REPARO_MLPERF_INPUT_UINT8 ${+(b.input === 'uint8')}`,
    `#define REPARO_MLPERF_RESULT_MSE ${+(b.result === 'mse')}`,
    `#define REPARO_INPUT_SCALE ${cFloat(input.quantization!.scale[0]!)}`,
    `#define REPARO_INPUT_ZERO_POINT (${input.quantization!.zeroPoint[0]!})`,
    `#define REPARO_OUTPUT_SCALE ${cFloat(output.quantization!.scale[0]!)}`,
    `#define REPARO_OUTPUT_ZERO_POINT (${output.quantization!.zeroPoint[0]!})`,
  ].join('\n');
}
