/** TFLite Micro projects: the project writer, the model array, the op resolver, the arena estimate. */
export { emitTflmProject, TFLM_BARE_METAL_TEMPLATE_DIR, TFLM_ESP_IDF_TEMPLATE_DIR, TFLM_STACK_BYTES, type TflmProject, type TflmProjectOptions } from './project.ts';
export { modelArrayC, type ModelArray } from './model-array.ts';
export { modelOps, opResolverHeader, TFLM_RESOLVER_METHOD } from './op-resolver.ts';
export { estimateTflmArena, TFLM_PERSISTENT, TFLM_PERSISTENT_MARGIN, type TflmArenaEstimate } from './arena-estimate.ts';
export { createTflmGreedyPlanner } from './arena-planner.ts';
