export { readOnnx, parseOnnx, SUPPORTED_OPSETS, type ImportOptions } from './import.ts';
export { serializeOnnx, writeOnnx } from './export.ts';
export { openInOrt, type OrtModel } from './runtime.ts';
export { openGram, openMatMul, type GramSession, type MatMulSession } from './gram.ts';
