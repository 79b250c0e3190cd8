import { describe, expect, it } from 'vitest';
import { foldPads } from '../../toolkit/codegen/native/fold-pads.ts';
import { ModelBuilder, randomInts } from '../int8/model-builder.ts';

/** x [1,8,8,4] → PAD (pads, quantization of its output) → 3x3 conv (padding), with `reader` a second op reading the PAD's output */
function padConv(pads: number[], opts: { padding?: 'SAME' | 'VALID'; zeroPoint?: number; reader?: boolean } = {}) {
  const b = new ModelBuilder();
  const x = b.int8('x', [1, 8, 8, 4], { scale: 0.05, zeroPoint: 3 });
  const [h, w] = [8 + pads[2]! + pads[3]!, 8 + pads[4]! + pads[5]!];
  const xp = b.int8('xp', [1, h, w, 4], { scale: 0.05, zeroPoint: opts.zeroPoint ?? 3 });
  b.op({ op: 'PAD', inputs: [x, b.int32('pads', [4, 2], pads)], outputs: [xp] });
  const padding = opts.padding ?? 'VALID';
  const [oh, ow] = padding === 'SAME' ? [h, w] : [h - 2, w - 2];
  const y = b.int8('y', [1, oh, ow, 2], { scale: 0.1, zeroPoint: 0 });
  const wt = b.int8('w', [2, 3, 3, 4], { scale: 0.01, zeroPoint: 0 }, randomInts(1, 72, -127, 127));
  b.op({ op: 'CONV_2D', inputs: [xp, wt, b.int32('b', [2], [0, 0])], outputs: [y], padding, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' });
  const outputs = [y];
  if (opts.reader) {
    const z = b.int8('z', [1, h, w, 4], { scale: 0.05, zeroPoint: 3 });
    b.op({ op: 'LOGISTIC', inputs: [xp], outputs: [z] });
    outputs.push(z);
  }
  return { model: b.build([x], outputs), x };
}

describe('foldPads', () => {
  it('folds a PAD of H and W into the VALID conv that alone reads it: the conv reads x, pads from the PAD', () => {
    const { model, x } = padConv([0, 0, 1, 2, 0, 1, 0, 0]);
    const f = foldPads(model);
    expect(f.model.operators.map((o) => o.op)).toEqual(['CONV_2D']);
    expect(f.model.operators[0]!.inputs[0]).toBe(x);
    expect(f.original).toEqual([1]);
    expect(f.padding.get(0)).toEqual({ top: 1, left: 0, H: 11, W: 9 });
    expect(f.into.get(0)).toBe(0);
    // the source model is left alone
    expect(model.operators).toHaveLength(2);
  });

  it('leaves a PAD that is not only padding for a VALID conv within its window', () => {
    const unfolded = (m: ReturnType<typeof padConv>['model']) => foldPads(m).model.operators.length === 2;
    // beyond the kernel's reach (3 rows of padding for a 3x3 window)
    expect(unfolded(padConv([0, 0, 3, 0, 0, 0, 0, 0]).model)).toBe(true);
    // padding channels or the batch
    expect(unfolded(padConv([0, 0, 1, 1, 1, 1, 0, 1]).model)).toBe(true);
    // a SAME conv pads again after the PAD
    expect(unfolded(padConv([0, 0, 1, 1, 1, 1, 0, 0], { padding: 'SAME' }).model)).toBe(true);
    // the PAD's output quantized differently from its input: its padding value is not the conv's zero point
    expect(unfolded(padConv([0, 0, 1, 1, 1, 1, 0, 0], { zeroPoint: 5 }).model)).toBe(true);
    // another op reads the padded tensor
    expect(foldPads(padConv([0, 0, 1, 1, 1, 1, 0, 0], { reader: true }).model).model.operators).toHaveLength(3);
  });
});
