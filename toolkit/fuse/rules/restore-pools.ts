import { attrInt, attrInts, type Node } from '../../graph/graph.ts';
import type { Rule } from '../rewrite.ts';

/**
 * A depthwise conv with equal 1/(kh·kw) taps and no bias is an AveragePool (counting pads): pools
 * turned into convs for merging (DBB's AVG branch, an SE block's pooling) go back to being pools when
 * no conv merged into them: less flash, and the int8 runtime's pooling kernel.
 */
export const restoreAveragePool: Rule = {
  name: 'restore-avgpool',
  match(n, ctx) {
    if (n.op !== 'Conv') return null;
    const w = ctx.g.initializers.get(n.inputs[1]!);
    const b = n.inputs[2] ? ctx.g.initializers.get(n.inputs[2]) : undefined;
    if (!w || w.dims.length !== 4 || (n.inputs[2] && !b)) return null;
    const [O, I, kh, kw] = w.dims as [number, number, number, number];
    const C = ctx.dims(n.inputs[0]!)[1];
    if (I !== 1 || O !== C || attrInt(n, 'group', 1) !== C || kh * kw === 1) return null;
    if (attrInts(n, 'dilations', [1, 1]).some((d) => d !== 1) || n.attrs.auto_pad) return null;
    const tap = Math.fround(1 / (kh * kw));
    if (!w.data.every((v) => v === tap) || (b && !b.data.every((v) => v === 0))) return null;
    const pads = attrInts(n, 'pads', [0, 0, 0, 0]);
    const pool: Node = {
      name: ctx.freshName(`${n.name}_pool`),
      op: 'AveragePool',
      inputs: [n.inputs[0]!],
      outputs: [...n.outputs],
      attrs: {
        kernel_shape: { kind: 'ints', value: [kh, kw] },
        strides: { kind: 'ints', value: attrInts(n, 'strides', [1, 1]) },
        pads: { kind: 'ints', value: pads },
        ...(pads.some((p) => p !== 0) ? { count_include_pad: { kind: 'int', value: 1 } } : {}),
      },
    };
    return { remove: [n], add: [pool] };
  },
};
