/**
 * The graph before and after fusion, one row per block: the training-time branches side by side
 * (convs by kernel size, pools, identity) → the single conv that replaces them, with the block's
 * measured error. One row per block stays readable for a few dozen blocks, where a full node graph
 * would not.
 */
import type { FuseReport } from '../types.ts';
import { isNum, sci, shortName } from '../format.ts';
import { COLORS, line, px, rect, svgDoc, text } from './svg.ts';

type FuseBlock = FuseReport['blocks'][number];

export const FUSION_LAYOUT = { nameRight: 196, familyLeft: 206, familyWidth: 64, branchesLeft: 282, chip: 42, gap: 6, row: 26, chipHeight: 18, top: 50 } as const;

/** Chip colour by branch kind: K×K, 1×1, asymmetric K×1/1×K, average pool, identity. */
export function branchColor(kernel: string): { fill: string; ink: string } {
  if (kernel === 'id') return { fill: '#ced4da', ink: COLORS.text };
  if (kernel === 'avg') return { fill: '#e8a33d', ink: COLORS.text };
  const m = /^(\d+)x(\d+)$/.exec(kernel);
  if (!m) return { fill: '#ced4da', ink: COLORS.text };
  if (m[1] !== m[2]) return { fill: '#8e6cc0', ink: '#ffffff' };
  return m[1] === '1' ? { fill: '#9dbbe3', ink: COLORS.text } : { fill: '#3b6fb6', ink: '#ffffff' };
}

export function fusionDiagram(blocks: readonly FuseBlock[], tolerance?: number): string {
  const L = FUSION_LAYOUT;
  const fused = blocks.filter((b) => b.singlePath).length;
  const title = `Fusion: ${fused} of ${blocks.length} blocks became one conv`;
  if (!blocks.length) return svgDoc(1040, 60, title, [text(0, 16, title, { size: 14, weight: 'bold' }), text(0, 44, 'no re-parameterizable blocks found', { fill: COLORS.muted })]);
  const maxChips = Math.max(1, ...blocks.map((b) => b.kernels.length));
  const branchesRight = L.branchesLeft + maxChips * (L.chip + L.gap);
  const arrowLeft = branchesRight + 6, fusedLeft = arrowLeft + 42, fusedWidth = 92, errLeft = fusedLeft + fusedWidth + 14;
  const width = Math.max(1040, errLeft + 90);
  const out: string[] = [text(0, 16, title, { size: 14, weight: 'bold' })];
  const head = (x: number, s: string) => text(x, 38, s, { size: 11, fill: COLORS.muted });
  out.push(text(L.nameRight, 38, 'block', { size: 11, fill: COLORS.muted, anchor: 'end' }), head(L.familyLeft, 'family'), head(L.branchesLeft, 'training-time branches'), head(fusedLeft, 'deployed'), head(errLeft, 'max rel error'));
  blocks.forEach((b, i) => {
    const y = L.top + i * L.row, cy = y + L.row / 2, chipY = cy - L.chipHeight / 2, base = cy + 4;
    if (i % 2 === 0) out.push(rect(0, y, width, L.row, '#f7f8fa'));
    out.push(text(L.nameRight, base, shortName(b.output, 28), { anchor: 'end', title: b.output }));
    out.push(rect(L.familyLeft, chipY, L.familyWidth, L.chipHeight, '#ffffff', { stroke: COLORS.axis, rx: 9 }));
    out.push(text(L.familyLeft + L.familyWidth / 2, base, b.family, { anchor: 'middle', size: 11 }));
    b.kernels.forEach((k, j) => {
      const x = L.branchesLeft + j * (L.chip + L.gap), c = branchColor(k);
      out.push(rect(x, chipY, L.chip, L.chipHeight, c.fill, { rx: 3, title: `${b.output}: branch ${k}` }));
      out.push(text(x + L.chip / 2, base, k, { anchor: 'middle', size: 11, fill: c.ink }));
    });
    out.push(line(arrowLeft, cy, fusedLeft - 8, cy, COLORS.axis, { width: 1.5 }));
    out.push(`<path d="M${px(fusedLeft - 4)} ${px(cy)} l-7 -4 v8 z" fill="${COLORS.axis}"/>`);
    const ok = b.singlePath;
    out.push(rect(fusedLeft, chipY, fusedWidth, L.chipHeight, ok ? COLORS.fused : COLORS.notFused, { rx: 3, title: ok ? `${b.output}: one ${b.fusedKernel} conv` : `${b.output}: not reduced to one conv` }));
    out.push(text(fusedLeft + fusedWidth / 2, base, ok ? `${b.fusedKernel ?? ''} conv` : 'not fused', { anchor: 'middle', size: 11, fill: '#ffffff' }));
    const over = isNum(b.maxRel) && isNum(tolerance) && b.maxRel > tolerance;
    out.push(text(errLeft, base, b.maxRel === undefined ? '—' : sci(b.maxRel), { size: 11, fill: over || (b.maxRel !== undefined && !isNum(b.maxRel)) ? COLORS.barBad : COLORS.text }));
  });
  const legendY = L.top + blocks.length * L.row + 14;
  const legend: [string, string][] = [
    [branchColor('3x3').fill, 'K×K conv'], [branchColor('1x1').fill, '1×1 conv'], [branchColor('1x3').fill, 'asymmetric conv'],
    [branchColor('avg').fill, 'average pool'], [branchColor('id').fill, 'identity (BN)'], [COLORS.fused, 'the one conv that replaces the block'],
  ];
  let lx = L.branchesLeft;
  for (const [fill, label] of legend) {
    out.push(rect(lx, legendY, 12, 12, fill, { rx: 2 }), text(lx + 16, legendY + 10, label, { size: 11, fill: COLORS.muted }));
    lx += 16 + label.length * 6.2 + 18;
  }
  return svgDoc(width, legendY + 20, title, out);
}
