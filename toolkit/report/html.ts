/**
 * One self-contained HTML page for a deploy: inline CSS and SVG, no scripts, no network, no external
 * fonts. A summary table first, then a picture per stage that produced one, then each stage's JSON.
 * Every string that comes from the model or a tool (node names, paths, messages) is escaped.
 */
import { count, describeInputs, esc, isNum, kib, NA, pct, sci } from './format.ts';
import { memoryLayout } from './memory-layout.ts';
import { fusionDiagram } from './svg/fusion.ts';
import { latencyChart, unitLabel } from './svg/latency.ts';
import { memoryMap } from './svg/memory.ts';
import { ramPlanChart } from './svg/ram-plan.ts';
import { sqnrChart } from './svg/sqnr.ts';
import { DEFAULT_SQNR_THRESHOLD_DB, STAGES, type DeployReport, type StageName } from './types.ts';

export type StageStatus = 'done' | 'failed' | 'not run';

export function stageStatus(r: DeployReport): Record<StageName, StageStatus> {
  const s = r.stages;
  const present: Record<StageName, boolean> = {
    fuse: !!s.fuse, prove: !!s.fuse?.verify, quantize: !!s.quantize, emit: !!s.emit, build: !!s.build, flash: !!s.flash, bench: !!s.bench, validate: !!s.validate,
  };
  const out = {} as Record<StageName, StageStatus>;
  for (const st of STAGES) out[st] = present[st] ? 'done' : 'not run';
  if (s.fuse?.verify && !s.fuse.verify.passed) out.prove = 'failed';
  if (s.flash && !s.flash.verified) out.flash = 'failed';
  if (r.stopped) out[r.stopped.stage] = 'failed';
  return out;
}

/** JSON for the page and for files: typed arrays as arrays (JSON.stringify would make them objects). */
export function reportJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v), 2);
}

const notRun = '<span class="muted">— not run</span>';

function summaryRows(r: DeployReport): [string, string][] {
  const { fuse, quantize, emit, build, flash, bench, validate } = r.stages;
  const rows: [string, string][] = [['model', esc(r.model) + (fuse ? ` <span class="muted">(input ${esc(fuse.input.name)}: ${esc(fuse.input.dims.join('×'))})</span>` : '')]];
  const b = r.board;
  rows.push(['board', b ? `${esc(b.name)} <span class="muted">(${esc(b.id)}, ${esc(b.core)} @ ${(b.clockHz / 1e6).toFixed(0)} MHz${b.virtual ? ', virtual: QEMU' : ''})</span>` : notRun]);
  rows.push(['runtime', esc(r.runtime ?? emit?.runtime ?? NA)]);
  if (fuse) {
    const single = fuse.blocks.filter((x) => x.singlePath).length;
    const v = fuse.verify;
    rows.push(['fusion', `${single}/${fuse.blocks.length} blocks → one conv; ${count(fuse.before.nodes)} → ${count(fuse.after.nodes)} nodes, ${count(fuse.before.macs)} → ${count(fuse.after.macs)} MACs`]);
    rows.push(['fusion max error', v ? `${sci(v.maxRel)} of the output range (abs ${sci(v.maxAbs)}), tolerance ${sci(v.tolerance.rel)} — <b class="${v.passed ? 'ok' : 'bad'}">${v.passed ? 'equivalent' : 'NOT equivalent'}</b> <span class="muted">(onnxruntime, ${v.samples.random} random + ${v.samples.data} data inputs)</span>` : notRun]);
  } else rows.push(['fusion', notRun]);
  const acc = quantize?.accuracy;
  rows.push(['top-1 float vs int8', acc ? `float ${pct(acc.float.top1)} · int8 ${pct(acc.int8.top1)} <span class="muted">(${isNum(acc.float.top1) && isNum(acc.int8.top1) ? `${((acc.int8.top1 - acc.float.top1) * 100).toFixed(2)} pp, ` : ''}${count(acc.samples)} samples${acc.int8.agreement !== undefined ? `, same class ${pct(acc.int8.agreement)}` : ''})</span>` : quantize ? '<span class="muted">— quantized, not evaluated</span>' : notRun]);
  const mem = (name: 'flash' | 'RAM') => {
    const lc = name === 'flash' ? 'flash' : 'ram';
    if (build) {
      const used = name === 'flash' ? build.size.flashUsed : build.size.ramUsed, total = name === 'flash' ? build.size.flashTotal : build.size.ramTotal;
      return `${kib(used)} of ${kib(total)} (${pct(used / total, 1)})${b ? ` <span class="muted">free for model ${kib(b[lc].freeForModel)}</span>` : ''}`;
    }
    if (emit) return `needs ${kib(emit.fit[lc].needed)} of ${kib(emit.fit[lc].free)} free for model <span class="muted">(fit-check estimate; not built)</span>`;
    return notRun;
  };
  rows.push(['flash', mem('flash')], ['RAM', mem('RAM')]);
  if (flash) rows.push(['flashed', `${esc(flash.method)}${flash.port ? ` on ${esc(flash.port)}` : ''} — <b class="${flash.verified ? 'ok' : 'bad'}">${flash.verified ? 'verified' : 'NOT verified'}</b>`]);
  rows.push(['median latency', bench ? `${count(bench.median)} ${esc(unitLabel(bench.unit))}${bench.us ? ` = ${bench.us.median.toFixed(0)} µs` : ''} <span class="muted">(p90 ${count(bench.p90)}, min ${count(bench.min)}, ${count(bench.runs)} runs)</span>` : notRun]);
  const validated = validate && `<b class="${validate.bitExact === validate.samples ? 'ok' : 'bad'}">${count(validate.bitExact)}/${count(validate.samples)}</b> samples bit-exact with the host interpreter`;
  rows.push(['bit-exact', validate ? (validate.inputs.kind === 'data' ? `${validated}; top-1 device ${pct(validate.deviceTop1)} vs host ${pct(validate.hostTop1)}` : `${validated} on seeded random inputs (no data given)`) : notRun]);
  return rows;
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function fusionSection(r: DeployReport): string {
  const f = r.stages.fuse;
  if (!f) return '';
  const ops = [...new Set([...Object.keys(f.before.ops), ...Object.keys(f.after.ops)])].sort((a, b) => (f.before.ops[b] ?? 0) - (f.before.ops[a] ?? 0));
  const pruned = f.resrep.filter((p) => p.removed > 0);
  return `<section><h2>Fusion</h2>
<figure>${fusionDiagram(f.blocks, f.verify?.tolerance.rel)}</figure>
<div class="cols">${table(['op', 'before', 'after'], ops.map((o) => [esc(o), count(f.before.ops[o] ?? 0), count(f.after.ops[o] ?? 0)]), 'num')}
${table(['', 'before', 'after'], [['nodes', count(f.before.nodes), count(f.after.nodes)], ['parameters', count(f.before.params), count(f.after.params)], ['MACs', count(f.before.macs), count(f.after.macs)]], 'num')}
${pruned.length ? table(['ResRep compactor', 'rows removed'], pruned.map((p) => [esc(p.compactor), `${count(p.removed)} of ${count(p.rows)}`])) : ''}</div></section>`;
}

function int8Section(r: DeployReport): string {
  const q = r.stages.quantize;
  if (!q) return '';
  const acc = q.accuracy;
  const rows = acc ? [['float', pct(acc.float.top1), acc.float.top5 !== undefined ? pct(acc.float.top5) : NA, ''], ['int8', pct(acc.int8.top1), acc.int8.top5 !== undefined ? pct(acc.int8.top5) : NA, acc.int8.agreement !== undefined ? pct(acc.int8.agreement) : NA]] : [];
  return `<section><h2>int8</h2>
<p>${count(q.bytes)} bytes of .tflite${q.output ? ` → <code>${esc(q.output)}</code>` : ''}${q.method ? `; ${esc(q.method)} ranges` : ''}${q.perTensorWeights !== undefined ? `, ${q.perTensorWeights ? 'per-tensor' : 'per-channel'} weights` : ''}${isNum(q.calibrationSamples) ? `, ${count(q.calibrationSamples)} calibration samples` : ''}.</p>
${acc ? table(['model', 'top-1', 'top-5', 'same class as float'], rows, 'num') + `<p class="muted">on ${count(acc.samples)} samples</p>` : ''}
${q.sqnr ? `<figure>${sqnrChart(q.sqnr, q.sqnrThresholdDb ?? DEFAULT_SQNR_THRESHOLD_DB)}</figure>` : ''}</section>`;
}

function memorySection(r: DeployReport): string {
  const { emit, build } = r.stages;
  if (!r.board || (!emit && !build)) return '';
  const bars = memoryLayout(r.board, emit?.fit, emit?.arenaSize, build?.size);
  const top = emit ? emit.fit.consumers.slice(0, 8).map((c) => [esc(c.what), esc(c.memory), kib(c.bytes)]) : [];
  return `<section><h2>Memory</h2>
<figure>${memoryMap(bars, r.board.name)}</figure>
${emit?.memory ? `<figure>${ramPlanChart(emit.memory)}</figure>` : ''}
${build ? table(['text', 'data', 'bss', 'stack'], [[count(build.size.text), count(build.size.data), count(build.size.bss), count(build.size.stack)]], 'num') : ''}
${top.length ? `<h3>Biggest consumers</h3>${table(['what', 'memory', 'size'], top, 'num')}` : ''}</section>`;
}

function latencySection(r: DeployReport): string {
  const b = r.stages.bench;
  if (!b) return '';
  const perLayerSum = b.perLayer?.reduce((a, l) => a + (isNum(l.count) ? l.count : 0), 0);
  return `<section><h2>Latency</h2>
<p>Unit: <b>${esc(unitLabel(b.unit))}</b>${b.identical ? '; every run took the same count' : ''}.</p>
${table(['runs', 'min', 'median', 'p90', 'max'], [[count(b.runs), count(b.min), count(b.median), count(b.p90), b.max !== undefined ? count(b.max) : NA]], 'num')}
${b.us ? `<p>At the board clock: median ${b.us.median.toFixed(1)} µs (min ${b.us.min.toFixed(1)}, p90 ${b.us.p90.toFixed(1)}).</p>` : ''}
${b.perLayer ? `<figure>${latencyChart(b.perLayer, b.unit)}</figure><p class="muted">Shares are of the per-layer sum (${count(perLayerSum)}); the median above also counts the code around the layers.</p>` : ''}</section>`;
}

function validateSection(r: DeployReport): string {
  const v = r.stages.validate;
  if (!v) return '';
  return `<section><h2>Validation on the device</h2>
${table(['samples', 'bit-exact', 'device top-1', 'host top-1'], [[count(v.samples), `${count(v.bitExact)} (${pct(v.bitExact / v.samples, 1)})`, pct(v.deviceTop1), pct(v.hostTop1)]], 'num')}
<p class="muted">Inputs: ${esc(describeInputs(v.inputs, v.samples))}.</p></section>`;
}

function jsonSection(r: DeployReport): string {
  const parts = Object.entries(r.stages)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<details><summary>${esc(k)}</summary><pre>${esc(reportJson(v))}</pre></details>`);
  return `<section><h2>Stage reports (JSON)</h2>${parts.join('\n') || '<p class="muted">none</p>'}</section>`;
}

const CSS = `
body{font-family:"DejaVu Sans","Liberation Sans",Arial,Helvetica,sans-serif;color:#212529;margin:24px auto;max-width:1080px;padding:0 16px;font-size:14px;line-height:1.45}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #dee2e6;padding-bottom:4px;margin-top:28px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #e9ecef;text-align:left;vertical-align:top}th{background:#f1f3f5;font-weight:600}
table.summary th{width:170px}table.num td+td{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#6c757d}.ok{color:#2e8b57}.bad{color:#c8413b}
ol.stages{display:flex;gap:6px;list-style:none;padding:0;margin:12px 0;flex-wrap:wrap}
ol.stages li{padding:4px 12px;border-radius:14px;font-size:13px;border:1px solid #ced4da}
ol.stages li.done{background:#e6f4ea;border-color:#2e8b57}ol.stages li.failed{background:#fbe9e7;border-color:#c8413b;font-weight:bold}ol.stages li.not-run{color:#868e96;background:#f8f9fa}
.stopped{background:#fbe9e7;border-left:4px solid #c8413b;padding:8px 12px;margin:12px 0}
figure{margin:12px 0;overflow-x:auto}svg{display:block;max-width:100%;height:auto}
.cols{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}pre{background:#f8f9fa;padding:8px;overflow:auto;max-height:480px;font-size:12px}
code{font-size:13px}`;

export function renderHtml(r: DeployReport): string {
  const status = stageStatus(r);
  const mark: Record<StageStatus, string> = { done: '✓', failed: '✗', 'not run': '·' };
  const title = `reparo deploy: ${r.model}${r.board ? ` → ${r.board.id}` : ''}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
${r.startedAt ? `<p class="muted">started ${esc(r.startedAt)}</p>` : ''}
<ol class="stages">${STAGES.map((s) => `<li class="${status[s].replace(' ', '-')}">${mark[status[s]]} ${s}</li>`).join('')}</ol>
${r.stopped ? `<div class="stopped"><b>Stopped at ${esc(r.stopped.stage)}</b>${r.stopped.code ? ` [${esc(r.stopped.code)}]` : ''}: ${esc(r.stopped.message)}${r.stopped.hint ? `<br><span class="muted">${esc(r.stopped.hint)}</span>` : ''}</div>` : ''}
<table class="summary"><tbody>${summaryRows(r).map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>
${fusionSection(r)}
${int8Section(r)}
${memorySection(r)}
${latencySection(r)}
${validateSection(r)}
${jsonSection(r)}
</body></html>
`;
}
