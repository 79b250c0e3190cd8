/** The quantizer's defaults, in a module of their own so that the CLI's option help loads nothing heavy. */
import type { ReconstructOptions } from './reconstruct.ts';
import type { RangeMethod } from './ranges.ts';

export const DEFAULT_RECONSTRUCT: ReconstructOptions = { rounding: 'gptq', samples: 500, iterations: 300, lambda: 0.01, damp: 0.01, refit: true, maxPatches: 1 << 15 };

export const DEFAULT_QUANTIZE = {
  method: 'mse' as RangeMethod,
  percentile: 99.99,
  samples: 500,
  equalize: true,
  biasCorrection: true,
  perTensorWeights: false,
  rounding: 'gptq' as 'nearest' | 'adaround' | 'gptq',
  iterations: DEFAULT_RECONSTRUCT.iterations,
  refit: DEFAULT_RECONSTRUCT.refit,
};
