/** What `reparo check` finds: problems (each with where, what and a hint) and a summary of the model. */
import { ReparoError, type ErrorCode } from '../errors.ts';

export interface Problem {
  severity: 'error' | 'warning';
  code: ErrorCode;
  /** byte offset, tensor or operator */
  where: string;
  what: string;
  hint: string;
}

export interface TensorSummary {
  name: string;
  type: string;
  shape: number[];
}

export interface CheckReport {
  file?: string;
  format: 'tflite' | 'onnx' | 'unknown';
  /** no error-level problem */
  ok: boolean;
  problems: Problem[];
  /** op → number of nodes or operators, in order of first use */
  ops: Record<string, number>;
  tensors?: { count: number; constants: number; constantBytes: number; activationBytes: number; inputs: TensorSummary[]; outputs: TensorSummary[] };
  /** TFLite only: how the tensors are quantized */
  quantization?: { perTensor: number; perChannel: number; none: number; byType: Record<string, number> };
}

/** A ReparoError as a problem: its first line without the "file …: " prefix, its hint, where it points. */
export function problemFrom(e: ReparoError, fallbackWhere: string): Problem {
  const [first] = e.message.split('\n  → ');
  const what = e.where.file ? first!.replace(`file ${e.where.file}: `, '').replace(`file ${e.where.file}, `, '') : first!;
  const byte = /\(at byte (\d+)\)/.exec(what);
  const where = e.where.node || (byte ? `byte ${byte[1]}` : fallbackWhere);
  return { severity: 'error', code: e.code, where, what, hint: e.where.hint ?? '' };
}

/** Throws the first error of a failed check as a ReparoError that counts the others. */
export function throwIfFailed(report: CheckReport, context: string): void {
  const errors = report.problems.filter((p) => p.severity === 'error');
  if (!errors.length) return;
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem(s))` : '';
  const file = report.file ?? "<model>";
  throw new ReparoError(first.code, `${context}: the model check failed at ${first.where}: ${first.what}${more}`, {
    file: report.file,
    hint: `${first.hint ? `${first.hint}; ` : ''}reparo check ${file} lists every problem`,
  });
}
