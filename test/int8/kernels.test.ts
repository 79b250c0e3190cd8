import { describe, expect, it } from 'vitest';
import { ReparoError } from '../../toolkit/errors.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import type { Activation, Operator } from '../../toolkit/tflite/model.ts';
import { ModelBuilder, randomInts } from './model-builder.ts';

// One small model per op, expected outputs derived by hand from the reference formulas in the
// comments (multipliers from QuantizeMultiplier: real = m·2^(shift−31)).
const run = (b: ModelBuilder, inputs: number[], outputs: number[], data: ArrayLike<number>[]) =>
  Array.from(createInterpreter(b.build(inputs, outputs)).run(data.map((d, i) => (b.tensors[inputs[i]].type === 'float32' ? Float32Array.from(d) : Int8Array.from(d))))[0] as ArrayLike<number>);

describe('ADD: inputs ·2^20, rescaled to 2·max scale, summed, rescaled to the output', () => {
  // s1 = 0.5 → m 2^30 shift 0; s2 = 0.25 → m 2^30 shift −1; out 2/(2^20·1) → m 2^30 shift −19
  const add = (shape2: number[], activation: Activation, x2: number[]) => {
    const b = new ModelBuilder();
    const a = b.int8('a', [1, 2, 2, 1], { scale: 0.5, zeroPoint: 0 });
    const c = b.int8('c', shape2, { scale: 0.25, zeroPoint: 10 });
    const y = b.int8('y', [1, 2, 2, 1], { scale: 1, zeroPoint: -5 });
    b.op({ op: 'ADD', inputs: [a, c], outputs: [y], activation });
    return run(b, [a, c], [y], [[3, -3, 127, 0], x2]);
  };
  it('rounds ties away from zero and adds the zero point', () => {
    // 1.5 + 1 = 2.5 → 3 → −2; −1.5 − 1 = −2.5 → −3 → −8; 63.5 + 29.25 = 92.75 → 93 → 88; 0 → −5
    expect(add([1, 2, 2, 1], 'NONE', [14, 6, 127, 10])).toEqual([-2, -8, 88, -5]);
  });
  it('clamps to the fused RELU6 range [q(0), q(6)] = [−5, 1]', () => {
    expect(add([1, 2, 2, 1], 'RELU6', [14, 6, 127, 10])).toEqual([-2, -5, 1, -5]);
  });
  it('broadcasts a one-element input', () => {
    // x2 = 14 (real 1): 2.5 → −2; −0.5 → −1 → −6; 64.5 → 65 → 60; 1 → −4
    expect(add([1], 'NONE', [14])).toEqual([-2, -6, 60, -4]);
  });
});

describe('MUL: (x1 − zp1)(x2 − zp2) · s1·s2/sOut', () => {
  it('rounds twice (SRDHM, then RoundingDivideByPOT) and saturates', () => {
    // real = 0.5·0.25/0.375 = 1/3 → m = round(2/3·2^31) = 1431655765, shift −1
    const b = new ModelBuilder();
    const a = b.int8('a', [4], { scale: 0.5, zeroPoint: 1 });
    const c = b.int8('c', [4], { scale: 0.25, zeroPoint: -2 });
    const y = b.int8('y', [4], { scale: 0.375, zeroPoint: 3 });
    b.op({ op: 'MUL', inputs: [a, c], outputs: [y], activation: 'NONE' });
    // 2·1 = 2: srdhm = 1.83 → 1, /2 = 0.5 → 1, +3 = 4
    // 4·1 = 4: srdhm = 3.17 → 3, /2 = 1.5 → 2, +3 = 5 (one rounding of 4/3 would give 1 → 4)
    // −129·129: far below −128 → −128;  0·x → 3
    expect(run(b, [a, c], [y], [[3, 5, -128, 1], [-1, -1, 127, 50]])).toEqual([4, 5, -128, 3]);
  });
});

const grid = [1, 4, -6, 0, -1, 1, 2, -3, 5];
const pool = (op: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', padding: 'SAME' | 'VALID', stride: number, activation: Activation, zp: number, values = grid) => {
  const b = new ModelBuilder();
  const x = b.int8('x', [1, 3, 3, 1], { scale: 1, zeroPoint: zp });
  const y = b.int8('y', [1, 2, 2, 1], { scale: 1, zeroPoint: zp });
  b.op({ op, inputs: [x], outputs: [y], padding, strideH: stride, strideW: stride, filterH: 2, filterW: 2, activation });
  return run(b, [x], [y], [values]);
};

describe('AVERAGE_POOL_2D: (sum ± n/2) / n with C division, windows clipped to the image', () => {
  it('VALID 2×2 stride 1', () => {
    // sums 4, −2, −2, 2 over 4: 1, −0.5 → −1, −1, 0.5 → 1
    expect(pool('AVERAGE_POOL_2D', 'VALID', 1, 'NONE', 0)).toEqual([1, -1, -1, 1]);
  });
  it('SAME 2×2 stride 2 counts only the taps inside, RELU clamps at the zero point', () => {
    // padding bottom/right 1: windows {1,4,0,−1} → 1; {−6,1} → −2.5 → −3; {2,−3} → −0.5 → −1; {5} → 5
    expect(pool('AVERAGE_POOL_2D', 'SAME', 2, 'NONE', 0)).toEqual([1, -3, -1, 5]);
    // zero point −2: RELU's lower bound is q(0) = −2
    expect(pool('AVERAGE_POOL_2D', 'SAME', 2, 'RELU', -2)).toEqual([1, -2, -1, 5]);
  });
});

describe('MAX_POOL_2D', () => {
  it('SAME 2×2 stride 2 with RELU6 range [q(0), q(6)] = [−2, 4]', () => {
    // maxima 4, max(−6, −4) = −4, 2, 5 → clamped 4, −2, 2, 4
    expect(pool('MAX_POOL_2D', 'SAME', 2, 'RELU6', -2, [1, 4, -6, 0, -1, -4, 2, -3, 5])).toEqual([4, -2, 2, 4]);
  });
});

describe('MEAN: int32 sums, 1/n folded into the multiplier', () => {
  it('over H and W (n = 4) with keep_dims', () => {
    // sIn/sOut = 1 → (2^30, 1); n = 4: s = 2, m' = 2^30·4/4 = 2^30, shift' = −1
    // c0: sum 11 → srdhm(11) = 6 → 6/2 = 3;  c1: sum 9 → srdhm(9) = 5 → 5/2 = 2.5 → 3 (mean 2.25: double rounding)
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 2, 2, 2], { scale: 0.5, zeroPoint: 0 });
    const axes = b.int32('axes', [2], [1, 2]);
    const y = b.int8('y', [1, 1, 1, 2], { scale: 0.5, zeroPoint: 0 });
    b.op({ op: 'MEAN', inputs: [x, axes], outputs: [y], keepDims: true });
    expect(run(b, [x], [y], [[1, 2, 2, 2, 3, 2, 5, 3]])).toEqual([3, 3]);
  });
  it('over a negative axis of size 3 with zero points', () => {
    // sIn/sOut = 2 → (2^30, 2); n = 3: s = 1, m' = ⌊2^31/3⌋ = 715827882, shift' = 1; subtract zp·n = 12
    // c0: 19 − 12 = 7 → srdhm(14, m') = 5.17 → 5, −1 → 4;  c1: 4 − 12 = −8 → srdhm(−16, m') = −5.83 → −5, −1 → −6
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 3, 2], { scale: 0.5, zeroPoint: 4 });
    const axes = b.int32('axes', [1], [-2]);
    const y = b.int8('y', [1, 2], { scale: 0.25, zeroPoint: -1 });
    b.op({ op: 'MEAN', inputs: [x, axes], outputs: [y], keepDims: false });
    expect(run(b, [x], [y], [[5, 0, 6, 1, 8, 3]])).toEqual([4, -6]);
  });
});

describe('PAD', () => {
  const pad = (constant?: number) => {
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 2, 2, 1], { scale: 1, zeroPoint: -7 });
    const p = b.int32('paddings', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0]);
    const c = constant === undefined ? undefined : b.int8('c', [], { scale: 1, zeroPoint: -7 }, [constant]);
    const y = b.int8('y', [1, 3, 3, 1], { scale: 1, zeroPoint: -7 });
    b.op({ op: 'PAD', inputs: c === undefined ? [x, p] : [x, p, c], outputs: [y] });
    return run(b, [x], [y], [[1, 2, 3, 4]]);
  };
  it('fills with the output zero point (real 0)', () => {
    expect(pad()).toEqual([-7, -7, -7, 1, 2, -7, 3, 4, -7]);
  });
  it('fills with constant_values when given', () => {
    expect(pad(9)).toEqual([9, 9, 9, 1, 2, 9, 3, 4, 9]);
  });
});

describe('FULLY_CONNECTED', () => {
  const fc = (perChannel: boolean, activation: Activation, input: number[], batches: number) => {
    const b = new ModelBuilder();
    const x = b.int8('x', [batches, 3], { scale: 0.5, zeroPoint: -1 });
    const w = perChannel
      ? b.int8('w', [2, 3], { scale: [0.25, 0.5], zeroPoint: [0, 0] }, [1, 2, 3, 1, -1, 5])
      : b.int8('w', [2, 3], { scale: 0.25 }, [1, 2, 3, -1, -127, 127]);
    const bias = b.int32('b', [2], perChannel ? [5, -3] : [5, 0], { scale: 0.125 });
    const y = b.int8('y', [batches, 2], { scale: 0.125, zeroPoint: 2 });
    b.op({ op: 'FULLY_CONNECTED', inputs: [x, w, bias], outputs: [y], activation, keepNumDims: false });
    return run(b, [x], [y], [input]);
  };
  it('per-tensor weights: multiplier from the float32 product in·w', () => {
    // 0.5·0.25/0.125 = 1 → acc passes through. x − zp = [2, 4, 0]
    // o0 = 2 + 8 + 0 + 5 = 15 → 17;  o1 = −2 − 508 + 0 = −510 → −128
    expect(fc(false, 'NONE', [1, 3, -1], 1)).toEqual([17, -128]);
  });
  it('per-channel weights (one scale per output row), three rows, RELU at q(0) = 2', () => {
    // ch0 ×1, ch1 ×2 (0.5·0.5/0.125)
    // row [2,4,0]: 10+5 = 15 → 17;  2−4+0−3 = −5 → −10+2 = −8 → 2
    // row [0,0,0]: 5 → 7;  −3 → −6+2 = −4 → 2
    // row [1,2,3]: 1+4+9+5 = 19 → 21;  1−2+15−3 = 11 → 22+2 = 24
    expect(fc(true, 'RELU', [1, 3, -1, -1, -1, -1, 0, 1, 2], 3)).toEqual([17, 2, 7, 2, 21, 24]);
  });
});

describe('CONV_2D and DEPTHWISE_CONV_2D geometry', () => {
  it('padded taps contribute nothing (not (0 − zp)·w)', () => {
    // zp 3, all inputs 3 except the centre 10; 3×3 ones, SAME: every window holds the centre → 7.
    // Treating padding as the value 0 would give the corner 7 − 5·3 = −8.
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 3, 3, 1], { scale: 1, zeroPoint: 3 });
    const w = b.int8('w', [1, 3, 3, 1], { scale: 1 }, new Array(9).fill(1));
    const y = b.int8('y', [1, 3, 3, 1], { scale: 1, zeroPoint: 0 });
    b.op({ op: 'CONV_2D', inputs: [x, w, -1], outputs: [y], padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' });
    expect(run(b, [x], [y], [[3, 3, 3, 3, 10, 3, 3, 3, 3]])).toEqual(new Array(9).fill(7));
  });

  it('SAME stride 2 pads after (bottom/right), per-channel multipliers', () => {
    // 4×4 of 0…15, 3×3 ones: total padding 1 → top/left 0. Sums 45, 39 (cols 2–3), 66 (rows 2–3), 50.
    // channel 1 has weight scale 0.5: srdhm(acc, 2^30) = acc/2 rounded up on ties → 23, 20, 33, 25
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 4, 4, 1], { scale: 1, zeroPoint: 0 });
    const w = b.int8('w', [2, 3, 3, 1], { scale: [1, 0.5], zeroPoint: [0, 0] }, new Array(18).fill(1));
    const y = b.int8('y', [1, 2, 2, 2], { scale: 1, zeroPoint: 0 });
    b.op({ op: 'CONV_2D', inputs: [x, w, -1], outputs: [y], padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'NONE' });
    expect(run(b, [x], [y], [Array.from({ length: 16 }, (_, i) => i)])).toEqual([45, 23, 39, 20, 66, 33, 50, 25]);
  });

  it('depthwise with depth multiplier 2 and dilation 2', () => {
    // 3×3 of 1…9, 2×2 taps dilated to (0,0),(0,2),(2,0),(2,2) → 1, 3, 7, 9
    // channel 0 weights 1,1,1,1 → 20; channel 1 weights 1,−1,2,0 → 1 − 3 + 14 = 12
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 3, 3, 1], { scale: 1, zeroPoint: 0 });
    const w = b.int8('w', [1, 2, 2, 2], { scale: [1, 1], zeroPoint: [0, 0], dim: 3 }, [1, 1, 1, -1, 1, 2, 1, 0]);
    const y = b.int8('y', [1, 1, 1, 2], { scale: 1, zeroPoint: 0 });
    b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [x, w, -1], outputs: [y], padding: 'VALID', strideH: 1, strideW: 1, dilationH: 2, dilationW: 2, depthMultiplier: 2, activation: 'NONE' });
    expect(run(b, [x], [y], [[1, 2, 3, 4, 5, 6, 7, 8, 9]])).toEqual([20, 12]);
  });
});

describe('LOGISTIC: Q4.27 input, gemmlowp logistic, Q0.8 output − 128', () => {
  // s = float32(0.1) = 13421773·2^-27: s·2^27 = 13421773 = 0.8000000119·2^24 → left shift 24,
  // radius ⌊15·2^27 / 2^24⌋ = 120
  const b = new ModelBuilder();
  const x = b.int8('x', [256], { scale: 0.1, zeroPoint: 0 });
  const y = b.int8('y', [256], { scale: 1 / 256, zeroPoint: -128 });
  b.op({ op: 'LOGISTIC', inputs: [x], outputs: [y] });
  const inputs = Array.from({ length: 256 }, (_, i) => i - 128);
  const out = run(b, [x], [y], [inputs]);
  it('exact at 0 (one half → 128 − 128 = 0) and saturated beyond the radius', () => {
    const at = (v: number) => out[v + 128];
    expect(at(0)).toBe(0);
    expect([at(120), at(127), at(-120), at(-128)]).toEqual([127, 127, -128, -128]);
  });
  it('within one step of round(256·σ(x·s)) − 128 everywhere', () => {
    inputs.forEach((v, i) => {
      const want = Math.min(127, Math.round(256 / (1 + Math.exp(-v * Math.fround(0.1)))) - 128);
      expect(Math.abs(out[i] - want), `input ${v}`).toBeLessThanOrEqual(1);
    });
  });
});

describe('SOFTMAX: exp of differences to the row max in Q5.26, reciprocal of the Q12.19 sum', () => {
  const softmax = (scale: number, beta: number, rows: number[][], zp = -128) => {
    const b = new ModelBuilder();
    const depth = rows[0].length;
    const x = b.int8('x', [rows.length, depth], { scale, zeroPoint: 7 });
    const y = b.int8('y', [rows.length, depth], { scale: 1 / 256, zeroPoint: zp });
    b.op({ op: 'SOFTMAX', inputs: [x], outputs: [y], beta });
    return run(b, [x], [y], [rows.flat()]);
  };
  it('equal inputs share 1/depth exactly: 64 − 128 = −64', () => {
    // exp(0) = 2^31 − 1 → Rescale<12> = 2^19 each; sum 2^21 = 4.0 → reciprocal ≈ 1·2^-2; 2^31/2^25 = 64
    expect(softmax(0.1, 1, [[5, 5, 5, 5]])).toEqual([-64, -64, -64, -64]);
  });
  it('differences below diff_min output −128; a lone maximum saturates at 127', () => {
    // s = 1, β = 1: β·s·2^26 = 2^26 → (2^30, 27); diff_min = −⌊31·2^26/2^27⌋ = −15
    expect(softmax(1, 1, [[5, -11, -10]])).toEqual([127, -128, -128]);
  });
  it('within one step of the float softmax on random rows', () => {
    const rows = Array.from({ length: 8 }, (_, i) => randomInts(40 + i, 10, -128, 127));
    const out = softmax(0.1, 1, rows);
    rows.forEach((row, r) => {
      const e = row.map((v) => Math.exp(Math.fround(0.1) * (v - Math.max(...row))));
      const sum = e.reduce((a, v) => a + v, 0);
      e.forEach((v, c) => expect(Math.abs(out[r * 10 + c] - Math.min(127, Math.round((256 * v) / sum) - 128))).toBeLessThanOrEqual(1));
    });
  });
  it('refuses an output not quantized as (1/256, −128)', () => {
    expect(() => softmax(0.1, 1, [[1, 2]], 0)).toThrow(expect.objectContaining({ code: 'E_QUANT_PARAMS' }));
  });
});

describe('QUANTIZE and DEQUANTIZE', () => {
  it('float32 → int8: round(x / s) half away from zero, + zp, saturate', () => {
    // 1.25/0.5 = 2.5 → 3 → 0; −2.5 → −3 → −6; 2000 − 3 → 127; −2003 → −128; 0.4 → 0 → −3
    const b = new ModelBuilder();
    const x = b.float32('x', [5]);
    const y = b.int8('y', [5], { scale: 0.5, zeroPoint: -3 });
    b.op({ op: 'QUANTIZE', inputs: [x], outputs: [y] });
    expect(run(b, [x], [y], [[1.25, -1.25, 1000, -1000, 0.2]])).toEqual([0, -6, 127, -128, -3]);
  });
  it('int8 → int8 requantizes with MultiplyByQuantizedMultiplier', () => {
    const requantize = (outScale: number, values: number[]) => {
      const b = new ModelBuilder();
      const x = b.int8('x', [values.length], { scale: 0.5, zeroPoint: 0 });
      const y = b.int8('y', [values.length], { scale: outScale, zeroPoint: 10 });
      b.op({ op: 'QUANTIZE', inputs: [x], outputs: [y] });
      return run(b, [x], [y], [values]);
    };
    // ×0.5 → (2^30, 0): srdhm ties go up: 1.5 → 2, −1.5 → −1, 63.5 → 64, −64
    expect(requantize(1, [3, -3, 127, -128])).toEqual([12, 9, 74, -54]);
    // ×2 → (2^30, 2): 2x + 10, saturated
    expect(requantize(0.25, [3, 100, -70])).toEqual([16, 127, -128]);
  });
  it('int8 → float32: float(double(s)·(x − zp))', () => {
    // s = float32(0.1) = 13421773·2^-27. x = 0: −5·13421773 = −(2^26 + 1) → nearest float32 is −2^26 → −0.5
    // x = 7: 2s = float32(0.2); x = 127: 122·s rounds to float32(12.2); x = −128: −133·s → −float32(13.3)
    const b = new ModelBuilder();
    const x = b.int8('x', [5], { scale: 0.1, zeroPoint: 5 });
    const y = b.float32('y', [5]);
    b.op({ op: 'DEQUANTIZE', inputs: [x], outputs: [y] });
    expect(run(b, [x], [y], [[0, 5, 7, 127, -128]])).toEqual([-0.5, 0, Math.fround(0.2), Math.fround(12.2), -Math.fround(13.3)]);
  });
});

describe('RESHAPE', () => {
  it('keeps the bytes', () => {
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 2, 2, 1], { scale: 1, zeroPoint: 0 });
    const y = b.int8('y', [1, 4], { scale: 1, zeroPoint: 0 });
    b.op({ op: 'RESHAPE', inputs: [x], outputs: [y] });
    expect(run(b, [x], [y], [[1, -2, 3, -4]])).toEqual([1, -2, 3, -4]);
  });
});

describe('interpreter', () => {
  const tiny = () => {
    const b = new ModelBuilder();
    const x = b.int8('x', [1, 2, 2, 1], { scale: 1, zeroPoint: 0 });
    const h = b.int8('h', [1, 4], { scale: 1, zeroPoint: 0 });
    const y = b.int8('y', [1, 4], { scale: 1, zeroPoint: 0 });
    b.op({ op: 'RESHAPE', inputs: [x], outputs: [h] });
    b.op({ op: 'MAX_POOL_2D', inputs: [h], outputs: [y], padding: 'VALID', strideH: 1, strideW: 1, filterH: 1, filterW: 1, activation: 'NONE' } as Operator);
    return b;
  };
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof ReparoError ? e.code : String(e);
    }
    return 'no error';
  };

  it('keeps every intermediate tensor readable after invoke', () => {
    const b = new ModelBuilder();
    const x = b.int8('x', [4], { scale: 1, zeroPoint: 0 });
    const h = b.int8('h', [4], { scale: 0.5, zeroPoint: 0 });
    const y = b.int8('y', [4], { scale: 1, zeroPoint: 0 });
    b.op({ op: 'QUANTIZE', inputs: [x], outputs: [h] }).op({ op: 'QUANTIZE', inputs: [h], outputs: [y] });
    const it = createInterpreter(b.build([x], [y]));
    expect(Array.from(it.invoke(Int8Array.from([1, -2, 60, 100])))).toEqual([1, -2, 60, 64]);
    expect(Array.from(it.tensor(h) as Int8Array)).toEqual([2, -4, 120, 127]);
  });

  it('fails up front, naming what is wrong', () => {
    const unsupported = tiny().build([0], [2]);
    (unsupported.operators[1] as { op: string }).op = 'CAST';
    expect(code(() => createInterpreter(unsupported))).toBe('E_UNSUPPORTED_OP');
    // MAX_POOL over a rank-2 tensor
    expect(code(() => createInterpreter(tiny().build([0], [2])))).toBe('E_SHAPE');
    const b = new ModelBuilder();
    const x = b.tensor('x', 'int8', [4]);
    const y = b.int8('y', [4], { scale: 1, zeroPoint: 0 });
    b.op({ op: 'QUANTIZE', inputs: [x], outputs: [y] });
    expect(code(() => createInterpreter(b.build([x], [y])))).toBe('E_QUANT_PARAMS');
  });

  it('checks the inputs it is given', () => {
    const b = new ModelBuilder();
    const x = b.int8('x', [4], { scale: 1, zeroPoint: 0 });
    const y = b.float32('y', [4]);
    b.op({ op: 'DEQUANTIZE', inputs: [x], outputs: [y] });
    const it = createInterpreter(b.build([x], [y]));
    expect(code(() => it.invoke(new Int8Array(4)))).toBe('E_USAGE'); // float output: use run()
    expect(code(() => it.run([new Int8Array(3)]))).toBe('E_USAGE');
    expect(Array.from(it.run([Int8Array.from([1, 2, 3, 4])])[0] as Float32Array)).toEqual([1, 2, 3, 4]);
  });
});
