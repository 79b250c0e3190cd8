/**
 * The report page in a real browser: headless Chromium screenshots it (the PNG must show the
 * pictures in their colours) and dumps its DOM (every SVG element must survive HTML parsing, the
 * hostile node name must stay text).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { renderHtml } from '../../toolkit/report/index.ts';
import { COLORS } from '../../toolkit/report/svg/svg.ts';
import { EVIL, fullReport, stoppedAtBuild } from './sample-report.ts';
import { count } from './svg-check.ts';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync(c, ['--version'], { timeout: 10_000 }).status === 0);
const NO_CHROMIUM = 'no chromium on PATH (Debian: apt-get install chromium)';
const TIMEOUT_MS = 40_000;

/** Runs headless Chromium on `url`; kills its whole process group when it exceeds the timeout. */
function chromium(args: string[], url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'reparo-chromium-'));
  return new Promise((resolve, reject) => {
    const p = spawn(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', `--user-data-dir=${profile}`, ...args, url], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      process.kill(-p.pid!, 'SIGKILL');
      reject(new Error(`chromium did not finish in ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

function pixelsOf(png: PNG, [r, g, b]: [number, number, number], tol = 2): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4)
    if (Math.abs(png.data[i]! - r) <= tol && Math.abs(png.data[i + 1]! - g) <= tol && Math.abs(png.data[i + 2]! - b) <= tol) n++;
  return n;
}

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

describe('the report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reparo-report-html-'));
  const page = (name: string, html: string) => {
    const file = join(dir, name);
    writeFileSync(file, html);
    return `file://${file}`;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('screenshot: the PNG has the window size, is not blank, and shows the bars and fused convs in their colours', async (ctx) => {
    ctx.skip(!CHROMIUM, NO_CHROMIUM);
    const png = join(dir, 'full.png');
    const r = await chromium([`--screenshot=${png}`, '--window-size=1200,2000', '--force-device-scale-factor=1'], page('full.html', renderHtml(fullReport(true))));
    expect(existsSync(png), `no screenshot; chromium exit ${r.code}: ${r.stderr.slice(-2000)}`).toBe(true);
    const img = PNG.sync.read(readFileSync(png));
    expect([img.width, img.height]).toEqual([1200, 2000]);
    let nonWhite = 0;
    const colours = new Set<number>();
    for (let i = 0; i < img.data.length; i += 4) {
      const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
      if (r < 245 || g < 245 || b < 245) nonWhite++;
      colours.add((r << 16) | (g << 8) | b);
    }
    expect(nonWhite / (img.width * img.height)).toBeGreaterThan(0.05);
    expect(colours.size).toBeGreaterThan(50);
    // SQNR bars and K×K branch chips, fused-conv boxes: solid areas of exactly the colours drawn
    expect(pixelsOf(img, rgb(COLORS.bar))).toBeGreaterThan(20_000);
    expect(pixelsOf(img, rgb(COLORS.fused))).toBeGreaterThan(5_000);
  });

  test('DOM: every SVG element survives HTML parsing, nothing became a script', async (ctx) => {
    ctx.skip(!CHROMIUM, NO_CHROMIUM);
    for (const [name, report] of [['full', fullReport(true)], ['stopped', stoppedAtBuild()]] as const) {
      const html = renderHtml(report);
      const r = await chromium(['--dump-dom'], page(`${name}-dom.html`, html));
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const dom = r.stdout;
      for (const tag of ['<svg', '<rect', '<text', '<line', '<path', '<title', '<details', '<table']) expect(count(dom, tag), `${name}: ${tag}`).toBe(count(html, tag));
      expect(count(dom, '<svg')).toBe(name === 'full' ? 4 : 3);
      expect(dom).not.toMatch(/<script/i);
      if (name === 'full') expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(dom).not.toContain(EVIL);
    }
  });
});
