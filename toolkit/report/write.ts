/** Writes the deploy report beside the deploy's outputs: the JSON (every stage) and the HTML page, each whole or not at all. */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { renderHtml, reportJson } from './html.ts';
import type { DeployReport } from './types.ts';

export function writeDeployReport(report: DeployReport, dir: string): { json: string; html: string } {
  const json = join(dir, 'deploy-report.json'), html = join(dir, 'deploy-report.html');
  writeFileAtomic(json, reportJson(report));
  writeFileAtomic(html, renderHtml(report));
  return { json, html };
}
