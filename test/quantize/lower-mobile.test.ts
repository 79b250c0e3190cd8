/**
 * Lowering the mobile-net ops to int8 TFLite: HardSigmoid gates folded into a conv and its
 * saturation (exact in float, checked in onnxruntime), a Concat's inputs sharing the output's
 * quantization, Resize modes TFLite has no equivalent for refused by name.
 */
import { describe, expect, it } from 'vitest';
import { ReparoError } from '../../toolkit/errors.ts';
import { hardSigmoidAsClip, rewriteToFixedPoint } from '../../toolkit/fuse/index.ts';
import { floatTensor, int, randomInput, type Graph } from '../../toolkit/graph/index.ts';
import type { Dataset } from '../../toolkit/data/index.ts';
import { quantizeGraph } from '../../toolkit/quantize/index.ts';
import { checkEquivalence } from '../../toolkit/verify/index.ts';
import { NetBuilder } from '../helpers/reparam-nets.ts';

const f = (value: number) => ({ kind: 'float' as const, value });
const s = (value: string) => ({ kind: 'string' as const, value });
const calib: Dataset = { source: 'random', count: 32, input: (i) => randomInput(3 * 8 * 8, i, 5), preprocessing: { mean: [0], std: [1] } };
const ops = (g: Graph) => g.nodes.map((n) => n.op);

describe('HardSigmoid (TFLite has none)', () => {
  it('folds α, β into the conv before it, or into a new depthwise 1×1 conv, leaving Clip(0, 1): equal in onnxruntime', async () => {
    const nb = new NetBuilder(41);
    const x = nb.b.input('x', [1, 3, 8, 8]);
    const gate = nb.b.node('HardSigmoid', [nb.conv(x, 3, 3, 1, 1, { bias: true })], { alpha: f(1 / 6), beta: f(0.5) });
    const alone = nb.b.node('HardSigmoid', [nb.b.node('Mul', [x, gate])], { alpha: f(0.2), beta: f(0.4) });
    const g = nb.build(alone);
    const r = rewriteToFixedPoint(g, [hardSigmoidAsClip]).graph;
    expect(ops(r)).toEqual(['Conv', 'Clip', 'Mul', 'Conv', 'Clip']);
    expect(r.nodes[3]!.attrs.group).toEqual(int(3));
    const eq = await checkEquivalence(g, r, { randomSamples: 4 });
    expect(eq.passed, `rel err ${eq.maxRel}`).toBe(true);
    // and to int8: the gate is the conv's saturation, no op for it
    const q = await quantizeGraph(g, calib, { samples: 32, rounding: 'nearest' });
    expect(q.model.operators.map((o) => o.op)).toEqual(['CONV_2D', 'MUL', 'DEPTHWISE_CONV_2D']);
    const gateOut = q.model.tensors[q.model.operators[0]!.outputs[0]!]!.quantization!;
    expect(gateOut.zeroPoint[0]).toBe(-128); // the range starts at the clip's 0
    expect(gateOut.scale[0]! * 255).toBeLessThanOrEqual(1 + 1e-6); // and ends within its 1
  });
});

describe('Concat and Resize', () => {
  it('a Concat\'s inputs share the output\'s scale and zero point (TFLM does not rescale)', async () => {
    const nb = new NetBuilder(42);
    const x = nb.b.input('x', [1, 3, 8, 8]);
    const a = nb.relu(nb.conv(x, 3, 4, 1, 1, { bias: true })), b = nb.conv(x, 3, 2, 3, 3, { pads: [1, 1, 1, 1], bias: true });
    const y = nb.b.node('Concat', [a, b, x], { axis: int(1) });
    const q = await quantizeGraph(nb.build(y), calib, { samples: 32, rounding: 'nearest' });
    const concat = q.model.operators.find((o) => o.op === 'CONCATENATION')!;
    expect(concat).toMatchObject({ axis: 3 });
    const qp = (t: number) => JSON.stringify(q.model.tensors[t]!.quantization);
    for (const t of concat.inputs) expect(qp(t)).toBe(qp(concat.outputs[0]!));
  });

  it('a Resize mode TFLite has no equivalent for is refused, naming the node and the mode', async () => {
    const nb = new NetBuilder(43);
    const x = nb.b.input('x', [1, 3, 8, 8]);
    const y = nb.b.node('Resize', [x, '', nb.b.init('scales', floatTensor([4], [1, 1, 2, 2]))], { mode: s('cubic') }, 'up');
    const err = await quantizeGraph(nb.build(y), calib, { samples: 8, rounding: 'nearest' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReparoError);
    expect((err as ReparoError).code).toBe('E_UNSUPPORTED_OP');
    expect(String(err)).toMatch(/up.*cubic|cubic.*up/s);
  });
});
