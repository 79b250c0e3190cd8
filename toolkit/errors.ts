/**
 * The one error class of reparo. `code` is stable (scripts may match on it); the message names
 * where it happened (file, node, byte offset) and what to do about it.
 */
export type ErrorCode =
  | 'E_IO'
  | 'E_ONNX_PARSE'
  | 'E_ONNX_EXTERNAL_DATA'
  | 'E_UNSUPPORTED_OP'
  | 'E_DYNAMIC_SHAPE'
  | 'E_SHAPE'
  | 'E_GRAPH'
  | 'E_FUSE'
  | 'E_VERIFY'
  | 'E_TOLERANCE'
  | 'E_TFLITE_PARSE'
  | 'E_TFLITE_INVALID'
  | 'E_TFLITE_UNSUPPORTED'
  | 'E_USAGE'
  | 'E_QUANT_PARAMS'
  | 'E_BOARD'
  | 'E_BUILD'
  | 'E_FIT'
  | 'E_SERIAL'
  | 'E_TIMEOUT'
  | 'E_HIL'
  | 'E_FLASH';

export interface ErrorWhere {
  file?: string;
  node?: string;
  op?: string;
  hint?: string;
}

export class ReparoError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorWhere;
  constructor(code: ErrorCode, message: string, where: ErrorWhere = {}) {
    const loc = [where.file && `file ${where.file}`, where.node && `node '${where.node}'${where.op ? ` (${where.op})` : ''}`]
      .filter(Boolean)
      .join(', ');
    super(`${loc ? `${loc}: ` : ''}${message}${where.hint ? `\n  → ${where.hint}` : ''}`);
    this.name = 'ReparoError';
    this.code = code;
    this.where = where;
  }
}
