/** JUnit XML for CI systems: one testsuite, one testcase per check, failures with their message. */
export interface JunitCase {
  name: string;
  /** seconds */
  time?: number;
  failure?: string;
  /** extra text (numbers) kept in system-out */
  output?: string;
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function junitXml(suite: string, cases: readonly JunitCase[]): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const body = cases.map((c) => {
    const inner = [c.failure !== undefined && `<failure message="${esc(c.failure)}">${esc(c.failure)}</failure>`, c.output && `<system-out>${esc(c.output)}</system-out>`].filter(Boolean).join('');
    return `  <testcase classname="${esc(suite)}" name="${esc(c.name)}" time="${(c.time ?? 0).toFixed(3)}">${inner}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${esc(suite)}" tests="${cases.length}" failures="${failures}">\n${body.join('\n')}\n</testsuite>\n`;
}
