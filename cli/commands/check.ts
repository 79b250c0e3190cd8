/** reparo check: a .tflite or ONNX file verified in full (structure, shapes, ops, quantization) before emit or flash. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CheckReport } from '../../toolkit/check/index.ts';
import { count, table } from '../format.ts';

const shape = (s: number[]) => `[${s.join(',')}]`;

function printReport(r: CheckReport): void {
  const lines = [`model      ${r.file} (${r.format})`];
  if (r.tensors) {
    const io = (ts: NonNullable<CheckReport['tensors']>['inputs']) => ts.map((t) => `${t.name} ${t.type}${shape(t.shape)}`).join(', ');
    lines.push(
      `ops        ${Object.entries(r.ops).map(([op, n]) => `${op}×${n}`).join(' ')}`,
      `tensors    ${r.tensors.count} (${r.tensors.constants} constant, ${count(r.tensors.constantBytes)} B)${r.format === 'tflite' ? `, activations ${count(r.tensors.activationBytes)} B before reuse` : ''}`,
      `inputs     ${io(r.tensors.inputs)}`,
      `outputs    ${io(r.tensors.outputs)}`,
    );
  }
  if (r.quantization) {
    const q = r.quantization;
    lines.push(`quant      ${q.perChannel} per-channel, ${q.perTensor} per-tensor, ${q.none} without; ${Object.entries(q.byType).map(([t, n]) => `${t} ${n}`).join(', ')}`);
  }
  if (r.problems.length) lines.push('', table(r.problems.map((p) => [p.severity, p.code, p.where, p.what]), ['', 'code', 'where', 'what']), ...r.problems.filter((p) => p.hint).map((p) => `  → ${p.where}: ${p.hint}`));
  lines.push('', r.ok ? 'ok         the model passes every check' : `FAILED     ${r.problems.filter((p) => p.severity === 'error').length} problem(s)`);
  console.log(lines.join('\n'));
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('verify a .tflite or ONNX file in full (offsets, sizes, types, shapes, op support, quantization) before emitting or flashing it')
    .argument('<model>', '.tflite or .onnx file')
    .option('--runtime <r>', 'also check that this runtime takes the model: native, or none', (v) => {
      if (v !== 'native' && v !== 'none') throw new InvalidArgumentError('expected native or none');
      return v;
    }, 'native')
    .option('--json', 'print the report as one JSON object on stdout')
    .action(async (model: string, o) => {
      const [{ checkModel }, { NATIVE_RUNTIME }] = await Promise.all([import('../../toolkit/check/index.ts'), import('../../toolkit/codegen/native.ts')]);
      const r = checkModel(model, { runtime: o.runtime === 'none' ? undefined : NATIVE_RUNTIME });
      if (o.json) console.log(JSON.stringify(r));
      else printReport(r);
      if (!r.ok) process.exitCode = 1;
    });
}
