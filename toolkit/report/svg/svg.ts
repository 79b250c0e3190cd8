/** SVG primitives for the report pictures: strings only, every coordinate checked finite, every text escaped. */
import { esc } from '../format.ts';

export const COLORS = {
  bar: '#3b6fb6',
  barBad: '#c8413b',
  latency: '#d9822b',
  fused: '#2e8b57',
  notFused: '#c8413b',
  marker: '#c8413b',
  axis: '#6c757d',
  grid: '#e3e6ea',
  text: '#212529',
  muted: '#6c757d',
  free: '#eef0f3',
} as const;

export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** A coordinate for an attribute. Non-finite means a bug in the caller's scale: fail loudly, never write NaN. */
export function px(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`report picture: non-finite coordinate ${x}`);
  return String(Math.round(x * 10) / 10);
}

export function rect(x: number, y: number, w: number, h: number, fill: string, opts: { title?: string; stroke?: string; rx?: number } = {}): string {
  const attrs = `x="${px(x)}" y="${px(y)}" width="${px(Math.max(0, w))}" height="${px(Math.max(0, h))}" fill="${fill}"${opts.stroke ? ` stroke="${opts.stroke}"` : ''}${opts.rx ? ` rx="${px(opts.rx)}"` : ''}`;
  return opts.title ? `<rect ${attrs}><title>${esc(opts.title)}</title></rect>` : `<rect ${attrs}/>`;
}

export interface TextOptions {
  anchor?: 'start' | 'middle' | 'end';
  size?: number;
  weight?: 'normal' | 'bold';
  fill?: string;
  title?: string;
}

export function text(x: number, y: number, s: string, o: TextOptions = {}): string {
  const attrs = `x="${px(x)}" y="${px(y)}" font-size="${o.size ?? 12}"${o.anchor && o.anchor !== 'start' ? ` text-anchor="${o.anchor}"` : ''}${o.weight === 'bold' ? ' font-weight="bold"' : ''} fill="${o.fill ?? COLORS.text}"`;
  return `<text ${attrs}>${o.title ? `<title>${esc(o.title)}</title>` : ''}${esc(s)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, opts: { dash?: string; width?: number } = {}): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${stroke}" stroke-width="${opts.width ?? 1}"${opts.dash ? ` stroke-dasharray="${opts.dash}"` : ''}/>`;
}

export function svgDoc(width: number, height: number, title: string, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" role="img" aria-label="${esc(title)}" font-family="${FONT_FAMILY}"><title>${esc(title)}</title>${body.join('')}</svg>`;
}

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

/** Short tick labels: 12.5, 3.2k, 11M. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(4));
}
