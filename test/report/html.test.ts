import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml, reportJson, stageStatus, writeDeployReport, type DeployReport } from '../../toolkit/report/index.ts';
import { fuseCommand } from '../../toolkit/pipeline/index.ts';
import { findBoard } from '../../toolkit/boards/index.ts';
import { esc } from '../../toolkit/report/format.ts';
import { EVIL, fullReport, stoppedAtBuild } from './sample-report.ts';
import { assertWellFormed, badAttributes, count } from './svg-check.ts';

/** The summary table's row for `label`, tags stripped. */
function summary(html: string, label: string): string {
  const m = new RegExp(`<tr><th>${label}</th><td>(.*?)</td></tr>`).exec(html);
  if (!m) throw new Error(`no summary row '${label}'`);
  return m[1]!.replace(/<[^>]+>/g, '');
}

function checkPage(html: string): void {
  assertWellFormed(html);
  expect(badAttributes(html)).toEqual([]);
  // self-contained: no scripts, nothing fetched (tags and the style sheet; text may say anything, escaped)
  const tags = [...html.matchAll(/<[^>]*>/g)].map((m) => m[0]);
  expect(tags.filter((t) => /^<\/?(script|link|img|iframe|object|embed|use|image|foreignObject)\b/i.test(t) || /\s(src|href|xlink:href|on\w+)=/i.test(t))).toEqual([]);
  expect(/<style>([\s\S]*?)<\/style>/.exec(html)![1]).not.toMatch(/url\(|@import|@font-face/i);
  expect(tags.join('')).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
}

describe('renderHtml', () => {
  test('a full deploy: summary with every figure, four pictures, every stage JSON', () => {
    const r = fullReport();
    const html = renderHtml(r);
    checkPage(html);
    expect(summary(html, 'board')).toContain('QEMU MPS2 AN386');
    expect(summary(html, 'board')).toContain('cortex-m4f @ 25 MHz');
    expect(summary(html, 'runtime')).toBe('native');
    expect(summary(html, 'fusion')).toBe('6/6 blocks → one conv; 37 → 17 nodes, 1,400,704 → 1,263,488 MACs');
    expect(summary(html, 'fusion max error')).toContain('1.50e-7 of the output range');
    expect(summary(html, 'fusion max error')).toContain('equivalent');
    expect(summary(html, 'top-1 float vs int8')).toContain('float 94.00% · int8 93.00%');
    expect(summary(html, 'top-1 float vs int8')).toContain('-1.00 pp, 300 samples');
    expect(summary(html, 'flash')).toContain('52.2 KiB of 4.00 MiB (1.3%)');
    expect(summary(html, 'RAM')).toContain('22.6 KiB of 4.00 MiB (0.6%)');
    expect(summary(html, 'median latency')).toContain('11,030,040 instructions (QEMU -icount), not cycles');
    expect(summary(html, 'bit-exact')).toContain('100/100 samples bit-exact');
    expect(count(html, '<svg ')).toBe(4);
    for (const t of ['Fusion: 6 of 6 blocks', 'Per-layer int8 error', 'Memory map on QEMU MPS2 AN386', 'Per-layer latency']) expect(html).toContain(t);
    // each stage's JSON, collapsible, parses back to the stage
    const details = [...html.matchAll(/<details><summary>(\w+)<\/summary><pre>([\s\S]*?)<\/pre><\/details>/g)];
    expect(details.map((d) => d[1])).toEqual(['fuse', 'quantize', 'emit', 'build', 'flash', 'bench', 'validate']);
    const unesc = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    for (const [, stage, body] of details) expect(JSON.parse(unesc(body!))).toEqual(JSON.parse(JSON.stringify(r.stages[stage as keyof DeployReport['stages']])));
    expect(Object.values(stageStatus(r))).toEqual(Array(8).fill('done'));
    expect(count(html, 'class="done"')).toBe(8);
  });

  test('a deploy stopped at build: what ran is shown, build failed, the rest not run, memory from the fit check', () => {
    const r = stoppedAtBuild();
    const html = renderHtml(r);
    checkPage(html);
    expect(stageStatus(r)).toEqual({ fuse: 'done', prove: 'done', quantize: 'done', emit: 'done', build: 'failed', flash: 'not run', bench: 'not run', validate: 'not run' });
    expect(html).toContain('<li class="failed">✗ build</li>');
    expect(html).toContain('Stopped at build</b> [E_BUILD]: the image does not fit board &#39;qemu-mps2-an386&#39;');
    expect(summary(html, 'flash')).toContain('needs 76.1 KiB of 3.94 MiB free for model (fit-check estimate; not built)');
    expect(summary(html, 'median latency')).toBe('— not run');
    expect(summary(html, 'bit-exact')).toBe('— not run');
    expect(count(html, '<svg ')).toBe(3);
    expect(html).toContain('estimate from the fit check');
    expect(html).not.toContain('<h2>Latency');
    expect(count(html, '<details>')).toBe(3);
  });

  test('a deploy that stopped at once still renders', () => {
    const r: DeployReport = { model: 'm.onnx', stages: {}, stopped: { stage: 'fuse', code: 'E_ONNX_PARSE', message: 'not an ONNX file' } };
    const html = renderHtml(r);
    checkPage(html);
    expect(count(html, '<svg ')).toBe(0);
    expect(stageStatus(r).fuse).toBe('failed');
    expect(summary(html, 'fusion')).toBe('— not run');
  });

  test('a failed proof and an unverified flash show as failures', () => {
    const r = fullReport();
    r.stages.fuse!.verify.passed = false;
    r.stages.flash!.verified = false;
    const html = renderHtml(r);
    expect(stageStatus(r)).toMatchObject({ prove: 'failed', flash: 'failed' });
    expect(html).toContain('NOT equivalent');
    expect(html).toContain('NOT verified');
  });

  test('strings from the model are escaped everywhere: a node named <script>alert(1)</script>', () => {
    const r = fullReport(true);
    r.model = `${EVIL}.onnx`;
    r.stopped = { stage: 'validate', message: `mismatch at ${EVIL}`, hint: `look at "${EVIL}" & retry` };
    r.stages.fuse!.before.ops[`<img src=x onerror=alert(1)>`] = 1;
    r.stages.bench!.perLayer![0]!.name = `a" onload="alert(1)`;
    const html = renderHtml(r);
    checkPage(html);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('a&quot; onload=&quot;alert(1)');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // the block row, the SQNR and latency label tooltips, the consumer table, the JSON, the title, the stop message
    expect(count(html, esc(EVIL))).toBeGreaterThanOrEqual(8);
    expect(html).toContain(`<title>reparo deploy: ${esc(EVIL)}.onnx → qemu-mps2-an386</title>`);
  });

  test('the JSON round trip (Infinity → null, typed arrays) renders the same figures without NaN', () => {
    const r = fullReport();
    r.stages.fuse!.blocks[0]!.maxRel = Infinity;
    (r.stages.quantize as unknown as { predictions: Int32Array }).predictions = Int32Array.from([3, 1, 4]);
    const back = JSON.parse(reportJson(r)) as DeployReport;
    expect((back.stages.quantize as unknown as { predictions: number[] }).predictions).toEqual([3, 1, 4]);
    expect(back.stages.fuse!.blocks[0]!.maxRel).toBeNull();
    const html = renderHtml(back);
    checkPage(html);
    expect(html).toContain('>n/a</text>');
    expect(summary(html, 'median latency')).toBe(summary(renderHtml(r), 'median latency'));
  });

  test('writeDeployReport writes the JSON and the page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reparo-report-'));
    try {
      const r = stoppedAtBuild();
      const out = writeDeployReport(r, join(dir, 'deploy'));
      expect(JSON.parse(readFileSync(out.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)));
      expect(readFileSync(out.html, 'utf8')).toBe(renderHtml(r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a real FuseReport (reparo fuse on the RepVGG fixture) draws one row per block with its measured error', async () => {
    const { report } = await fuseCommand('test/fixtures/repvgg.onnx', { randomSamples: 2 });
    const html = renderHtml({ model: report.model, board: findBoard('qemu-mps2-an386'), stages: { fuse: report } });
    checkPage(html);
    expect(report.blocks.length).toBeGreaterThan(0);
    for (const b of report.blocks) {
      expect(html).toContain(`<title>${esc(b.output)}</title>`);
      expect(html).toContain(`>${b.maxRel!.toExponential(2)}</text>`);
    }
    expect(count(html, '<title>') - count(html, ': branch ')).toBeGreaterThan(report.blocks.length);
    expect(count(html, ': branch ')).toBe(report.blocks.reduce((a, b) => a + b.kernels.length, 0));
    expect(summary(html, 'fusion')).toContain(`${report.blocks.length}/${report.blocks.length} blocks → one conv`);
  });
});
