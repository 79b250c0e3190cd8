/** Text helpers shared by the HTML page and the SVG pictures. Every string from a model goes through `esc`. */
import type { InputSource } from './types.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG element content and quoted attribute values alike. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A number that can be drawn or printed: JSON turns Infinity/NaN into null, so accept anything. */
export function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export const NA = 'n/a';

export function kib(bytes: unknown): string {
  if (!isNum(bytes)) return NA;
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  return Math.abs(bytes) >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export function count(n: unknown): string {
  return isNum(n) ? Math.round(n).toLocaleString('en-US') : NA;
}

export function pct(share: unknown, digits = 2): string {
  return isNum(share) ? `${(share * 100).toFixed(digits)}%` : NA;
}

export function sci(x: unknown): string {
  if (typeof x === 'number' && x === Infinity) return '∞';
  return isNum(x) ? x.toExponential(2) : NA;
}

/** A layer/value name short enough for a label: ONNX's `_output_0` suffix dropped, the distinctive tail kept. */
export function shortName(name: string, max = 32): string {
  const s = name.replace(/^\/+/, '').replace(/_output_0$/, '');
  return s.length <= max ? s : `…${s.slice(s.length - max + 1)}`;
}

/** One line for every output that reports a validation. */
export function describeInputs(s: InputSource, count: number): string {
  return s.kind === 'data'
    ? `${count} samples of ${s.path}`
    : `${count} seeded random int8 inputs, no data given (seed ${s.seed}: all −128, all 127, then uniform): bit-exactness only, no accuracy`;
}
