/** reparo fuse and reparo inspect: the float ONNX side. */
import type { Command } from 'commander';
import type { FuseReport } from '../../toolkit/pipeline/index.ts';
import { count, sci, table } from '../format.ts';
import { positive, shapes } from '../options.ts';

function printFuse(r: FuseReport): void {
  const fam = Object.entries(r.families).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const lines = [
    `model      ${r.model}  input ${r.input.name} [${r.input.dims.join('×')}]`,
    `blocks     ${r.blocks.filter((b) => b.singlePath).length}/${r.blocks.length} fused to one conv (${fam})`,
    '',
    table(
      [
        ['nodes', count(r.before.nodes), count(r.after.nodes)],
        ['params', count(r.before.params), count(r.after.params)],
        ['MACs', count(r.before.macs), count(r.after.macs)],
        ['BatchNormalization', r.before.ops.BatchNormalization ?? 0, r.after.ops.BatchNormalization ?? 0],
        ['Add', r.before.ops.Add ?? 0, r.after.ops.Add ?? 0],
      ],
      ['', 'training-time', 'fused'],
    ),
    '',
  ];
  if (r.blocks.length)
    lines.push(
      table(
        r.blocks.map((b) => [b.output, b.family, b.kernels.join('+'), b.singlePath ? b.fusedKernel ?? '' : 'NOT FUSED', sci(b.maxAbs), sci(b.maxRel)]),
        ['block output', 'family', 'branches', 'fused', 'max abs err', 'max rel err'],
      ),
      '',
    );
  for (const p of r.resrep)
    lines.push(p.kept ? `resrep     ${p.compactor}: rows kept (${p.kept})` : `resrep     ${p.compactor}: removed ${p.removed}/${p.rows} channels, ${count(p.paramsRemoved)} params`);
  for (const c of r.collapse)
    lines.push(c.status === 'collapsed' ? `collapse   ${c.output}: ${c.nodes.length} ops → one ${c.kernel!.join('×')} conv (proof rel err ${sci(c.proofRelErr)})` : `collapse   ${c.output}: refused — ${c.reason}`);
  const v = r.verify;
  lines.push(
    `verify     onnxruntime, ${v.samples.random} random + ${v.samples.data} data inputs: max abs ${sci(v.maxAbs)}, max rel ${sci(v.maxRel)} (tolerance ${v.tolerance.rel}) → ${v.passed ? 'EQUIVALENT' : 'NOT EQUIVALENT'}`,
  );
  if (r.written) lines.push(`wrote      ${r.output}`);
  console.log(lines.join('\n'));
}
export function registerModelCommands(program: Command): void {
  program
    .command('fuse')
    .description('fold a training-time re-param net into one conv per block, prove it equal in onnxruntime, write ONNX')
    .argument('<model.onnx>', 'training-time ONNX model')
    .option('-o, --output <file>', 'fused ONNX model to write')
    .option('--report <file>', 'write the JSON report here')
    .option('--json', 'print one JSON object on stdout')
    .option('--data <idx>', 'IDX images (gz or plain) to verify on, besides random inputs')
    .option('--samples <n>', 'how many images of --data', positive, 100)
    .option('--random <n>', 'random inputs to verify on', positive, 8)
    .option('--tolerance <rel>', 'max error relative to the output range', positive, 1e-4)
    .option('--compactor-threshold <norm>', 'ResRep compactor rows below this L2 norm are removed', positive, 1e-5)
    .option('--no-collapse', 'do not collapse remaining linear regions by measurement')
    .option('--input-shape <name=dims>', 'fix a dynamic input shape, e.g. input=1x1x28x28', shapes)
    .option('--force', 'write even when the error exceeds the tolerance')
    .action(async (model: string, o) => {
      const { fuseCommand } = await import('../../toolkit/pipeline/index.ts');
      const { report } = await fuseCommand(model, {
        output: o.output,
        report: o.report,
        data: o.data,
        samples: o.samples,
        randomSamples: o.random,
        tolerance: o.tolerance,
        compactorThreshold: o.compactorThreshold,
        noCollapse: !o.collapse,
        inputShapes: o.inputShape,
        force: o.force,
      });
      if (o.json) console.log(JSON.stringify(report));
      else printFuse(report);
    });

  program
    .command('inspect')
    .description('ops, detected re-param blocks, params, MACs, input and output shapes of an ONNX model')
    .argument('<model.onnx>')
    .option('--json', 'print one JSON object on stdout')
    .option('--input-shape <name=dims>', 'fix a dynamic input shape', shapes)
    .action(async (model: string, o) => {
      const [{ readOnnx }, { detectBlocks }, { graphStats }] = await Promise.all([
        import('../../toolkit/onnx/index.ts'), import('../../toolkit/fuse/index.ts'), import('../../toolkit/graph/index.ts'),
      ]);
      const g = readOnnx(model, { inputShapes: o.inputShape });
      const stats = graphStats(g);
      const blocks = detectBlocks(g);
      const info = {
        model,
        opset: g.opset,
        inputs: g.inputs.map((i) => ({ name: i.name, dims: i.dims })),
        outputs: g.outputs.map((i) => ({ name: i.name, dims: i.dims })),
        ...stats,
        blocks: blocks.map((b) => ({ output: b.output, family: b.family, kernels: b.kernels, ops: b.ops })),
      };
      if (o.json) return console.log(JSON.stringify(info));
      console.log(
        [
          `model    ${model} (opset ${g.opset})`,
          ...info.inputs.map((i) => `input    ${i.name} [${i.dims.join('×')}]`),
          ...info.outputs.map((i) => `output   ${i.name} [${i.dims.join('×')}]`),
          `params   ${count(stats.params)}   MACs ${count(stats.macs)}   nodes ${stats.nodes}`,
          `ops      ${Object.entries(stats.ops).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          '',
          blocks.length ? table(blocks.map((b) => [b.output, b.family, b.kernels.join('+'), Object.entries(b.ops).map(([k, v]) => `${k}×${v}`).join(' ')]), ['block output', 'family', 'branches', 'ops']) : 'no re-param blocks found',
        ].join('\n'),
      );
    });
}
