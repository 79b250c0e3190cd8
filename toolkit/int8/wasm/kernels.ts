/**
 * The multiply-accumulate loops of CONV_2D, FULLY_CONNECTED and DEPTHWISE_CONV_2D in WebAssembly
 * SIMD. int16 × int16 products summed in int32 lanes that wrap: exactly TFLite's int32 accumulator
 * over int8 weights and (x − zero point) inputs, which both fit int16. Then the output stage in
 * int32/int64 scalar code. All pointers are byte addresses in the shared memory.
 */
import { assemble, FunctionBody } from './assembler.ts';

/**
 * dotPairs(w, img, bases, pixels, offsets, taps, pairs, blocks, out): for each output pixel p
 * (two at a time), its window starts at img + bases[p]; tap t adds offsets[t] and spans
 * 2·pairs int16 values. Weights are [block of 8 channels][tap][pair][channel 0..7][2] int16;
 * the sums go to out + p·rowBytes + block·32 as int32 (rowBytes = 32·blocks; `out` has room for
 * pixels + 1 rows). An odd run is padded with a zero weight, so it may read one value past it.
 */
function dotPairs(): FunctionBody {
  const f = new FunctionBody(9);
  const [w, img, bases, pixels, offsets, taps, pairs, blocks, out] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [p, b0, b1, blk, wp, t, p0, p1, j, at, rowBytes] = Array.from({ length: 11 }, () => f.i32());
  const [acc00, acc01, acc10, acc11, wa, wb, xa, xb] = Array.from({ length: 8 }, () => f.v128());
  f.get(blocks).const(32).mul().set(rowBytes);
  // for p in 0, 2, 4 …: the pixel loop steps by 2 through an extra increment in the body
  f.forRange(p, pixels, () => {
    f.get(bases).get(p).const(4).mul().add().load().set(b0);
    // the second pixel, or the first again when p is the last
    f.get(bases).get(p).const(4).mul().add().load(4).get(b0).get(p).const(1).add().get(pixels).ltU().select().set(b1);
    f.get(w).set(wp);
    f.forRange(blk, blocks, () => {
      for (const acc of [acc00, acc01, acc10, acc11]) f.v128Zero().set(acc);
      f.forRange(t, taps, () => {
        f.get(offsets).get(t).const(4).mul().add().load().set(at);
        f.get(img).get(b0).add().get(at).add().set(p0);
        f.get(img).get(b1).add().get(at).add().set(p1);
        f.forRange(j, pairs, () => {
          f.get(p0).load().i32x4Splat().set(xa);
          f.get(p1).load().i32x4Splat().set(xb);
          f.get(wp).v128Load().set(wa);
          f.get(wp).v128Load(16).set(wb);
          for (const [acc, wv, xv] of [[acc00, wa, xa], [acc01, wb, xa], [acc10, wa, xb], [acc11, wb, xb]]) {
            f.get(acc).get(wv).get(xv).i32x4DotI16x8S().i32x4Add().set(acc);
          }
          f.inc(p0, 4).inc(p1, 4).inc(wp, 32);
        });
      });
      f.get(out).get(p).get(rowBytes).mul().add().get(blk).const(32).mul().add().set(at);
      f.get(at).get(acc00).v128Store();
      f.get(at).get(acc01).v128Store(16);
      f.get(at).get(rowBytes).add().set(at);
      f.get(at).get(acc10).v128Store();
      f.get(at).get(acc11).v128Store(16);
    });
    f.inc(p, 1);
  });
  return f;
}

/**
 * depthwise(w, img, bases, pixels, offsets, taps, blocks, out): for each output pixel p and block
 * of 8 channels, Σ over taps of w[block][tap][0..7] · img[bases[p] + offsets[t] + 8·block …] as
 * int16 × int16 → int32, stored at out + p·rowBytes + block·32. Channels of the image and of the
 * output coincide (the depth multiplier is expanded into the image).
 */
function depthwise(): FunctionBody {
  const f = new FunctionBody(8);
  const [w, img, bases, pixels, offsets, taps, blocks, out] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [p, base, blk, wp, t, at, rowBytes] = Array.from({ length: 7 }, () => f.i32());
  const [acc0, acc1, x, wv] = Array.from({ length: 4 }, () => f.v128());
  f.get(blocks).const(32).mul().set(rowBytes);
  f.forRange(p, pixels, () => {
    f.get(img).get(bases).get(p).const(4).mul().add().load().add().set(base);
    f.get(w).set(wp);
    f.forRange(blk, blocks, () => {
      f.v128Zero().set(acc0);
      f.v128Zero().set(acc1);
      f.forRange(t, taps, () => {
        f.get(base).get(offsets).get(t).const(4).mul().add().load().add().get(blk).const(16).mul().add().v128Load().set(x);
        f.get(wp).v128Load().set(wv);
        f.get(acc0).get(x).get(wv).i32x4ExtmulLowI16x8S().i32x4Add().set(acc0);
        f.get(acc1).get(x).get(wv).i32x4ExtmulHighI16x8S().i32x4Add().set(acc1);
        f.inc(wp, 16);
      });
      f.get(out).get(p).get(rowBytes).mul().add().get(blk).const(32).mul().add().set(at);
      f.get(at).get(acc0).v128Store();
      f.get(at).get(acc1).v128Store(16);
    });
  });
  return f;
}

/**
 * requantize(acc, accStride, pixels, channels, params, out, outStride, zeroPoint, min, max): for
 * each pixel row and channel i, with params[i] = {bias, multiplier, left shift, right shift}
 * (4 × int32): out = clamp(RoundingDivideByPOT(SaturatingRoundingDoublingHighMul((acc + bias) <<
 * left, multiplier), right) + zeroPoint) as int8. The high multiply is exact in int64; the
 * multipliers are non-negative, so the INT32_MIN² saturation cannot occur.
 */
function requantize(): FunctionBody {
  const f = new FunctionBody(10);
  const [acc, accStride, pixels, channels, params, out, outStride, zeroPoint, min, max] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [p, i, a, o, prm, high, right, mask, v] = Array.from({ length: 9 }, () => f.i32());
  const ab = f.i64();
  f.forRange(p, pixels, () => {
    f.get(acc).get(p).get(accStride).mul().add().set(a);
    f.get(out).get(p).get(outStride).mul().add().set(o);
    f.get(params).set(prm);
    f.forRange(i, channels, () => {
      // ab = ((acc + bias) << left) · multiplier, then + nudge
      f.get(a).load().get(prm).load().add().get(prm).load(8).shl().i64ExtendI32S();
      f.get(prm).load(4).i64ExtendI32S().i64Mul().set(ab);
      f.get(ab).i64Const(1 << 30).i64Const(1 - (1 << 30)).get(ab).i64Const(0).i64GeS().select().i64Add().set(ab);
      // divide by 2^31 truncating toward zero: add 2^31 − 1 to negatives before the shift
      f.get(ab).get(ab).i64Const(63).i64ShrS().i64Const(0x7fffffff).i64And().i64Add().i64Const(31).i64ShrS().i32WrapI64().set(high);
      // RoundingDivideByPOT(high, right): half away from zero
      f.get(prm).load(12).set(right);
      f.const(1).get(right).shl().const(1).sub().set(mask);
      f.get(high).get(right).shrS();
      f.get(high).get(mask).and().get(mask).const(1).shrS().get(high).const(31).shrU().add().gtS().add();
      f.get(zeroPoint).add().set(v);
      f.get(min).get(v).get(v).get(min).ltS().select().set(v);
      f.get(max).get(v).get(v).get(max).gtS().select().set(v);
      f.get(o).get(i).add().get(v).store8();
      f.inc(a, 4).inc(prm, 16);
    });
  });
  return f;
}

/**
 * widen(src, rows, rowLength, srcStride, dst, dstStride, offset, repeat): int8 rows to int16 rows,
 * each value plus `offset` (−zero point) and written `repeat` times in a row; strides in bytes.
 * Lays an image into the interior of its zero-padded frame (padded-input.ts).
 */
function widen(): FunctionBody {
  const f = new FunctionBody(8);
  const [src, rows, rowLength, srcStride, dst, dstStride, offset, repeat] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, k, j, s, d, v] = Array.from({ length: 6 }, () => f.i32());
  f.forRange(r, rows, () => {
    f.get(src).get(r).get(srcStride).mul().add().set(s);
    f.get(dst).get(r).get(dstStride).mul().add().set(d);
    f.forRange(k, rowLength, () => {
      f.get(s).get(k).add().load8S().get(offset).add().set(v);
      f.forRange(j, repeat, () => {
        f.get(d).get(v).store16();
        f.inc(d, 2);
      });
    });
  });
  return f;
}

export interface WasmKernels {
  dotPairs(w: number, img: number, bases: number, pixels: number, offsets: number, taps: number, pairs: number, blocks: number, out: number): void;
  depthwise(w: number, img: number, bases: number, pixels: number, offsets: number, taps: number, blocks: number, out: number): void;
  requantize(acc: number, accStride: number, pixels: number, channels: number, params: number, out: number, outStride: number, zeroPoint: number, min: number, max: number): void;
  widen(src: number, rows: number, rowLength: number, srcStride: number, dst: number, dstStride: number, offset: number, repeat: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** The kernels bound to a memory (the module is assembled and compiled once per process). */
export function instantiateKernels(memory: WebAssembly.Memory): WasmKernels {
  compiled ??= new WebAssembly.Module(
    assemble([
      { name: 'dotPairs', body: dotPairs() },
      { name: 'depthwise', body: depthwise() },
      { name: 'requantize', body: requantize() },
      { name: 'widen', body: widen() },
    ]),
  );
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as WasmKernels;
}
