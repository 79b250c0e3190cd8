/**
 * Graph shapes of the re-param nets users have, written by hand as the exporters write them: timm's
 * MobileOne (a constant 0 added where a branch is absent), FastViT's RepMixer and RepCPE, layer
 * scales, GELU spelled out, an SE block pooling with AveragePool, and the exporters' no-ops.
 */
import { describe, expect, it } from 'vitest';
import { floatTensor, int64Tensor, ints, int, rng, type Graph } from '../../toolkit/graph/index.ts';
import { simplifyGraph } from '../../toolkit/fuse/index.ts';
import { parseOnnx, serializeOnnx } from '../../toolkit/onnx/index.ts';
import { NetBuilder } from '../helpers/reparam-nets.ts';
import { fuseAndCheck } from '../helpers/fusion.ts';
import { bothEngines, maxAbsDiff } from '../helpers/ort.ts';

const scalar = (nb: NetBuilder, name: string, v: number) => nb.b.init(name, floatTensor([], [v]));

let zeros = 0;
/** timm's MobileOneBlock as traced: k conv-BN branches, a 1×1 scale branch, a BN skip; Python's 0 for an absent one. */
function mobileOne(nb: NetBuilder, x: string, c: number, cout: number, k: number, branches: number, o: { dw: boolean; scale: boolean; skip: boolean }): string {
  const groups = o.dw ? c : 1;
  const zero = () => nb.b.init(`zero${zeros++}`, floatTensor([], [0]));
  const idOut = o.skip ? nb.bn(x, c) : undefined;
  const scaleOut = o.scale ? nb.convBn(x, c, cout, 1, { groups, pad: 0 }) : undefined;
  let acc = idOut && scaleOut ? nb.add(scaleOut, idOut) : idOut || scaleOut ? nb.add((scaleOut ?? idOut)!, zero()) : undefined;
  for (let i = 0; i < branches; i++) {
    const br = nb.convBn(x, c, cout, k, { groups });
    acc = nb.add(br, acc ?? zero());
  }
  return nb.relu(acc!);
}

describe('re-param nets in the exporters’ shapes fuse to one conv per block', () => {
  it('MobileOne: depthwise and pointwise halves with Add(x, 0) where a branch is absent', async () => {
    const nb = new NetBuilder(21);
    const x = nb.b.input('x', [1, 8, 9, 9]);
    const dw = mobileOne(nb, x, 8, 8, 3, 2, { dw: true, scale: true, skip: true });
    const pw = mobileOne(nb, dw, 8, 8, 1, 2, { dw: false, scale: false, skip: true });
    const head = mobileOne(nb, pw, 8, 16, 3, 2, { dw: false, scale: true, skip: false });
    const r = await fuseAndCheck(nb.build(head));
    expect(r.after.ops).toEqual({ Conv: 3, Relu: 3 });
    expect(r.collapse).toEqual([]); // the rules did it, not the measured collapse
    expect(r.rewrites.simplify).toBeGreaterThanOrEqual(2);
    expect(r.blocks.map((b) => b.singlePath)).toEqual([true, true, true]);
  });

  it('FastViT RepMixer x + γ·(mixer(x) − norm(x)) and RepCPE x + dwconv(x) fold into depthwise convs', async () => {
    const nb = new NetBuilder(22);
    const b = nb.b;
    const x = b.input('x', [1, 6, 8, 8]);
    const mixer = b.node('Add', [nb.convBn(x, 6, 6, 3, { groups: 6 }), nb.bn(x, 6)]);
    const norm = nb.bn(x, 6);
    const gamma = b.init('layer_scale', nb.randn([6, 1, 1], 0.5));
    const mixed = b.node('Add', [x, b.node('Mul', [gamma, b.node('Sub', [mixer, norm])])]);
    const cpe = b.node('Add', [mixed, nb.conv(mixed, 6, 6, 7, 1, { groups: 6, pads: [3, 0, 3, 0], bias: true })]);
    const r = await fuseAndCheck(nb.build(nb.relu(cpe)));
    // one conv each, as timm's reparameterize_model(): a 3×3 then a 7×1 depthwise conv would be a 9×3 one
    expect(r.after.ops).toEqual({ Conv: 2, Relu: 1 });
    expect(r.collapse.filter((c) => c.status === 'collapsed')).toEqual([]);
  });

  it('GELU spelled out (erf, both operand orders, and tanh) becomes one Gelu node, equal in onnxruntime', async () => {
    const nb = new NetBuilder(23);
    const b = nb.b;
    const x = b.input('x', [1, 4, 5, 5]);
    const y = nb.conv(x, 4, 4, 1, 1, { bias: true });
    // torch 1.13: Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)
    const e1 = b.node('Mul', [b.node('Mul', [y, b.node('Add', [b.node('Erf', [b.node('Div', [y, scalar(nb, 'sqrt2', Math.SQRT2)])]), scalar(nb, 'one', 1)])]), scalar(nb, 'half', 0.5)]);
    const z = nb.conv(e1, 4, 4, 1, 1, { bias: true });
    // Mul(Mul(x, 0.5), Add(1, Erf(Mul(x, 1/√2))))
    const e2 = b.node('Mul', [b.node('Mul', [z, scalar(nb, 'half2', 0.5)]), b.node('Add', [scalar(nb, 'one2', 1), b.node('Erf', [b.node('Mul', [z, scalar(nb, 'rsqrt2', Math.SQRT1_2)])])])]);
    const w = nb.conv(e2, 4, 4, 1, 1, { bias: true });
    const cube = b.node('Pow', [w, scalar(nb, 'three', 3)]);
    const inner = b.node('Mul', [b.node('Add', [w, b.node('Mul', [cube, scalar(nb, 'c', 0.044715)])]), scalar(nb, 'k', Math.sqrt(2 / Math.PI))]);
    const e3 = b.node('Mul', [b.node('Mul', [w, scalar(nb, 'half3', 0.5)]), b.node('Add', [b.node('Tanh', [inner]), scalar(nb, 'one3', 1)])]);
    const g = nb.build(e3);
    const r = await fuseAndCheck(g);
    expect(r.after.ops).toEqual({ Conv: 3, Gelu: 3 });
    expect(r.graph.nodes.filter((n) => n.op === 'Gelu').map((n) => n.attrs.approximate)).toEqual(['none', 'none', 'tanh'].map((value) => ({ kind: 'string', value })));
  });

  it('HardSwish as x·HardSigmoid(x) (exporters below opset 14) becomes one HardSwish; another gate stays', async () => {
    const nb = new NetBuilder(26);
    const b = nb.b;
    const x = b.input('x', [1, 4, 5, 5]);
    const hs = (v: string, alpha: number) => b.node('Mul', [v, b.node('HardSigmoid', [v], { alpha: { kind: 'float', value: alpha }, beta: { kind: 'float', value: 0.5 } })]);
    const y = hs(nb.conv(x, 4, 4, 1, 1, { bias: true }), 1 / 6);
    const r = await fuseAndCheck(nb.build(hs(nb.conv(y, 4, 4, 3, 3, { pads: [1, 1, 1, 1], bias: true }), 0.2)));
    expect(r.after.ops).toEqual({ Conv: 2, HardSwish: 1, HardSigmoid: 1, Mul: 1 });
  });

  it('RepViT: a stride-2 conv then a depthwise RepVGG block is two blocks; the block fuses to one conv, the stride-2 conv stays apart', async () => {
    const nb = new NetBuilder(27);
    const b = nb.b;
    const x = b.input('x', [1, 3, 16, 16]);
    const stem = nb.conv(b.node('Relu', [x]), 3, 8, 3, 3, { stride: 2, pads: [1, 1, 1, 1], bias: true });
    const mixer = nb.bn(b.node('Add', [b.node('Add', [nb.convBn(stem, 8, 8, 3, { groups: 8 }), nb.convBn(stem, 8, 8, 1, { groups: 8, pad: 0 })]), stem]), 8);
    const r = await fuseAndCheck(nb.build(nb.relu(mixer)));
    expect(r.after.ops).toEqual({ Relu: 2, Conv: 2 });
    expect(r.blocks.map((k) => [k.input, k.kernels.join('+'), k.singlePath])).toEqual([[stem, '3x3+1x1+id', true]]);
  });

  it('an erf that is not GELU stays as it is', async () => {
    const nb = new NetBuilder(24);
    const b = nb.b;
    const x = b.input('x', [1, 2, 3, 3]);
    const y = b.node('Mul', [x, b.node('Add', [b.node('Erf', [b.node('Div', [x, scalar(nb, 's', 2)])]), scalar(nb, 'one', 1)])]);
    const r = await fuseAndCheck(nb.build(b.node('Mul', [y, scalar(nb, 'h', 0.5)])));
    expect(r.after.ops.Gelu).toBeUndefined();
    expect(r.after.ops.Erf).toBe(1);
  });

  it('an SE block pooling with AveragePool over the whole map keeps its pool', async () => {
    const nb = new NetBuilder(25);
    const b = nb.b;
    const x = b.input('x', [1, 8, 6, 6]);
    const y = nb.repvgg(x, 8, 8);
    const pooled = b.node('AveragePool', [y], { kernel_shape: ints([6, 6]), strides: ints([6, 6]) });
    const gate = b.node('Sigmoid', [nb.conv(nb.relu(nb.conv(pooled, 8, 2, 1, 1, { bias: true })), 2, 8, 1, 1, { bias: true })]);
    const r = await fuseAndCheck(nb.build(b.node('Mul', [y, gate])));
    expect(r.after.ops).toMatchObject({ AveragePool: 1, Conv: 3 });
  });

  it('no-ops go: Identity, Dropout, cancelling Transpose and Reshape pairs, one-input Concat, zero Pad; outputs keep their names', () => {
    const nb = new NetBuilder(26);
    const b = nb.b;
    const x = b.input('x', [1, 3, 4, 4]);
    const c = nb.conv(x, 3, 3, 3, 3, { pads: [1, 1, 1, 1] });
    const t = b.node('Transpose', [b.node('Transpose', [b.node('Identity', [c])], { perm: ints([0, 2, 3, 1]) })], { perm: ints([0, 3, 1, 2]) });
    const r = b.node('Reshape', [b.node('Reshape', [b.node('Dropout', [t]), nb.shape([1, 48])]), nb.shape([1, 3, 4, 4])]);
    const p = b.node('Pad', [b.node('Concat', [r], { axis: int(1) }), b.init('pads', int64Tensor([8], [0, 0, 0, 0, 0, 0, 0, 0]))]);
    const out = b.node('Identity', [nb.relu(p)], {}, 'logits');
    const s = simplifyGraph(nb.build(out));
    expect(s.graph.nodes.map((n) => n.op), JSON.stringify(s.graph.nodes.map((n) => [n.op, n.inputs]))).toEqual(['Conv', 'Relu']);
    expect(s.graph.nodes.at(-1)!.outputs).toEqual(['logits']);
    expect(s.graph.outputs.map((o) => o.name)).toEqual(['logits']);
  });

  it('a Dropout in training mode and an Add that broadcasts are not no-ops', () => {
    const nb = new NetBuilder(27);
    const b = nb.b;
    const x = b.input('x', [1, 3, 1, 1]);
    const grown = b.node('Add', [x, b.init('zeros', floatTensor([1, 3, 2, 2]))]);
    const d = b.node('Dropout', [grown, b.init('ratio', floatTensor([], [0.5])), b.init('train', { dtype: 'bool', dims: [], data: Uint8Array.of(1) })]);
    const g: Graph = nb.build(nb.relu(d));
    expect(simplifyGraph(g).graph.nodes.map((n) => n.op)).toEqual(['Add', 'Dropout', 'Relu']);
  });

  it("DBB's BNAndPadLayer as torch 2.x's TorchScript exporter writes it: index arithmetic (Range, Expand, Concat) into ScatterND folds away, the block becomes one conv", async () => {
    const nb = new NetBuilder(29, 17);
    const b = nb.b;
    const [C, H, W] = [3, 6, 6];
    const x = b.input('x', [1, C, H, W]);
    const i64 = (name: string, v: number[], dims = [v.length]) => b.init(name, int64Tensor(dims, v));
    const range = (name: string, lo: number, hi: number) => b.node('Range', [i64(`${name}.lo`, [lo], []), i64(`${name}.hi`, [hi], []), i64(`${name}.d`, [1], [])]);
    // 1×1 conv-BN, padded by one pixel with the BN's bias-like pad values, then a 3×3 conv without padding
    const rand = rng(30);
    const vec = (f: () => number) => Float32Array.from({ length: C }, f);
    const [gamma, beta, mean, variance] = [vec(() => 0.5 + rand()), vec(() => rand() - 0.5), vec(() => rand() - 0.5), vec(() => 0.5 + rand())];
    const bnInputs = [gamma, beta, mean, variance].map((t, i) => b.init(`bnpad.p${i}`, floatTensor([C], Array.from(t))));
    let y = b.node('BatchNormalization', [nb.conv(x, C, C, 1, 1), ...bnInputs], { epsilon: { kind: 'float', value: 1e-5 } });
    y = b.node('Pad', [y, i64('pads', [0, 0, 1, 1, 0, 0, 1, 1])]);
    // BNAndPadLayer pads with what the BN gives a zero input, so the block stays one conv, borders included
    const padValues = b.init('pad_values', floatTensor([C], Array.from(beta, (bv, c) => bv - (mean[c]! * gamma[c]!) / Math.sqrt(variance[c]! + 1e-5))));
    const rows = [[0, 1, 0, W + 2], [H + 1, H + 2, 0, W + 2], [0, H + 2, 0, 1], [0, H + 2, W + 1, W + 2]];
    rows.forEach(([r0, r1, c0, c1], k) => {
      const shape = [1, C, r1! - r0!, c1! - c0!];
      const grid = [range(`n${k}`, 0, 1), range(`c${k}`, 0, C), range(`h${k}`, r0!, r1!), range(`w${k}`, c0!, c1!)].map((r, axis) => {
        const dims = [1, 1, 1, 1, 1];
        dims[axis] = shape[axis]!;
        return b.node('Expand', [b.node('Reshape', [r, i64(`shape${k}_${axis}`, dims)]), i64(`full${k}_${axis}`, [...shape, 1])]);
      });
      const idx = b.node('Concat', grid, { axis: int(-1) });
      const upd = b.node('Expand', [b.node('Reshape', [padValues, i64(`vshape${k}`, [1, C, 1, 1])]), i64(`ushape${k}`, shape)]);
      y = b.node('ScatterND', [y, idx, upd]);
    });
    const out = nb.relu(b.node('Add', [nb.convBn(y, C, C, 3, { pad: 0 }), nb.convBn(x, C, C, 3)]));
    const g = parseOnnx(serializeOnnx(nb.build(out))); // import folds the constant index arithmetic
    expect(g.nodes.some((n) => n.op === 'Range' || n.op === 'Concat')).toBe(false);
    const fused = await fuseAndCheck(g);
    expect(fused.after.ops, JSON.stringify(fused.collapse)).toEqual({ Conv: 1, Relu: 1 });
  });

  it('Gelu written for onnxruntime below opset 20 computes GELU', async () => {
    const nb = new NetBuilder(28);
    const x = nb.b.input('x', [1, 2, 3, 3]);
    const g = nb.build(nb.b.node('Gelu', [nb.b.node('Gelu', [x], { approximate: { kind: 'string', value: 'tanh' } })]));
    const r = await bothEngines(g);
    expect(maxAbsDiff(r.ort, r.ours)).toBeLessThan(1e-6);
  });
});
