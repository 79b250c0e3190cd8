/** Firmware projects for a board: the fit check, the native C runtime, the TFLM project, the HIL and vector apps. */
export { checkFit, emitProject, readProject, nativeForBoard, type EmitOptions, type FitReport, type Runtime } from './emit.ts';
export { emitNativeC, describeBand, NATIVE_RUNTIME, DEFAULT_WIDE_WEIGHT_BYTES, type BandReport, type NativeOptions, type NativeResult } from './native.ts';
export { emitTflmProject, type TflmProject } from './tflm/index.ts';
