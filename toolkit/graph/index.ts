export * from './graph.ts';
export * from './tensor.ts';
export { OPS, type Val } from './ops.ts';
export { evaluate, inferValues, tensorToVal, valToTensor, unsupportedOps, type ValueFacts } from './evaluate.ts';
export { foldConstants } from './fold-constants.ts';
export { GraphBuilder } from './builder.ts';
export { rng, normal, randomInput } from './random.ts';
export { graphStats, type GraphStats } from './stats.ts';
