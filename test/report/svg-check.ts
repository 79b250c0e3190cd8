/** Checks on SVG/HTML strings for the report tests: well-formed tags, finite attributes, bar rectangles. */

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

/** Throws unless every tag is well-formed (quoted attributes, no stray `<` or `"`) and tags nest properly. */
export function assertWellFormed(markup: string): void {
  const stack: string[] = [];
  const body = markup.replace(/^<!DOCTYPE html>/i, '');
  for (const m of body.matchAll(/<[^>]*>|[^<]+/g)) {
    const tok = m[0];
    if (!tok.startsWith('<')) continue;
    const close = /^<\/([a-zA-Z][\w-]*)>$/.exec(tok);
    if (close) {
      const open = stack.pop();
      if (open !== close[1]) throw new Error(`</${close[1]}> closes <${open}> at ${m.index}`);
      continue;
    }
    const open = /^<([a-zA-Z][\w-]*)(\s+[a-zA-Z][\w:-]*="[^"<>]*")*\s*(\/?)>$/.exec(tok);
    if (!open) throw new Error(`malformed tag at ${m.index}: ${tok.slice(0, 120)}`);
    if (!open[3] && !VOID.has(open[1]!)) stack.push(open[1]!);
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
  if (/<(?![a-zA-Z/!])/.test(body)) throw new Error('a bare < in text');
}

/** Attribute values that a broken scale would produce. */
export function badAttributes(markup: string): string[] {
  return [...markup.matchAll(/\s[a-zA-Z][\w:-]*="[^"]*(?:NaN|Infinity|undefined|null)[^"]*"/g)].map((m) => m[0]);
}

export interface BarRect {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
  title: string;
}

/** Rectangles that carry a <title> (bars, segments, chips), in document order. */
export function titledRects(svg: string): BarRect[] {
  return [...svg.matchAll(/<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"[^>]*><title>([^<]*)<\/title><\/rect>/g)].map((m) => ({
    x: +m[1]!, y: +m[2]!, width: +m[3]!, height: +m[4]!, fill: m[5]!, title: m[6]!,
  }));
}

export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}
