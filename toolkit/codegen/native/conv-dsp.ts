/**
 * The DSP (SMLAD) loops of the native runtime's convolutions, as C text for one layer.
 *
 * Three shapes of work, chosen per layer when the code is generated:
 * - gemm: a convolution (any kernel, stride, dilation, padding; no groups) as a matrix product. Two output
 *   pixels at a time, their input windows are gathered (im2col; a byte gather copies a window inside the
 *   image row by row) and sign-extended once into int16 rows in the arena scratch, the two rows interleaved
 *   per group of 4 inputs, padded taps as the input zero point (the bias has the zero point folded in, so
 *   a padded tap contributes nothing); K rounded up to 4 and zero-padded. The multiply-accumulate is
 *   generated Thumb-2 (native/mac-asm.ts): 2 pixels x 2 output channels, per group of 4 inputs one LDM of
 *   the inputs, one LDM of int16 weights (on the layers the flash budget allows; else LDRD + 4 SXTB16 of
 *   int8 weights) and 8 SMLADs, unrolled over K: 1.25 instructions per SMLAD with int16 weights. Where the
 *   requantization allows it (reparo_requant2's form, full int8 range, even channel count) one call
 *   computes every channel of the pixel pair and requantizes in registers (5 instructions an output);
 *   otherwise a mac block returns the 4 accumulators to the C loop. A 1x1 stride-1 conv's window is its
 *   input pixel.
 * - dw3: a 3x3 depthwise conv of stride 1 or 2 (any depth multiplier): per input channel an int16 plane
 *   with a zero-point border (no border code), then per output channel and kernel row, 4 multiplies for
 *   two adjacent outputs (SMLAD on column pairs: see dw3Loop); long rows in generated Thumb-2 with the
 *   channel's weights in registers.
 * - dw4: any other depthwise conv with multiplier 1 and channels in fours, SMLABB/SMLATT on int16-pair
 *   weights (stored only that way in DSP builds, doubled where the requantization takes a doubled
 *   accumulator); interior pixels two at a time where both fit, sharing the input columns they have in
 *   common, with constant tap offsets; taps of border pixels point at a row of zero points in the scratch.
 */
import { packedHalf } from './mac-asm.ts';

export interface ConvGeometry {
  B: number;
  IH: number;
  IW: number;
  IC: number;
  OH: number;
  OW: number;
  OC: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  DH: number;
  DW: number;
  PT: number;
  PL: number;
  depthwise: boolean;
  /** depth multiplier (depthwise only) */
  M: number;
  /** input channels per group (conv) */
  GIC: number;
}

export type DspConvKind =
  | { kind: 'gemm'; K: number; K4: number; scratch: number; gather: 'none' | 'words' | 'bytes' }
  | { kind: 'dw3'; scratch: number; PH: number; PW: number }
  | { kind: 'dw4'; scratch: number }
  | { kind: 'none'; scratch: 0 };

/** Which DSP loop a conv layer gets, and the arena scratch (bytes) it needs. */
export function dspConvKind(g: ConvGeometry): DspConvKind {
  if (g.depthwise && g.KH === 3 && g.KW === 3 && g.DH === 1 && g.DW === 1 && g.SH === g.SW && (g.SH === 1 || g.SH === 2)) {
    // the plane holds the input and the columns of whole output pairs (an odd last pixel is computed, not stored)
    const OWe = g.OW + (g.OW % 2);
    const PH = Math.max(g.SH * (g.OH - 1) + 3, g.IH + g.PT);
    const PW = Math.max(g.SH * (OWe - 1) + 3, g.IW + g.PL) + 1;
    return { kind: 'dw3', scratch: 2 * PH * (PW + (PW % 2)), PH, PW: PW + (PW % 2) };
  }
  if (g.depthwise ? g.IC === 1 : g.GIC === g.IC) {
    const cin = g.depthwise ? 1 : g.IC;
    const K = g.KH * g.KW * cin;
    const K4 = Math.ceil(K / 4) * 4;
    const plain = g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PT === 0 && g.PL === 0 && g.IH === g.OH && g.IW === g.OW;
    const gather = plain && cin % 4 === 0 ? 'none' : cin % 4 === 0 ? 'words' : 'bytes';
    const pixels = g.OH * g.OW;
    const scratch = 4 * K4 + (gather === 'bytes' ? K4 : 0) + (pixels % 2 ? g.OC : 0);
    return { kind: 'gemm', K, K4, scratch, gather };
  }
  if (g.depthwise && g.M === 1 && g.OC % 4 === 0) return { kind: 'dw4', scratch: g.OC };
  return { kind: 'none', scratch: 0 };
}

/** Weight rows for the gemm loop: OHWI int8 (depthwise 1HWO transposed), each row zero-padded to K4. */
export function gemmWeights(w: Int8Array, g: ConvGeometry, K: number, K4: number): Int8Array {
  const out = new Int8Array(g.OC * K4);
  for (let oc = 0; oc < g.OC; oc++)
    for (let k = 0; k < K; k++) out[oc * K4 + k] = g.depthwise ? w[k * g.OC + oc] : w[oc * K + k];
  return out;
}

/** gemm weights for the int8 loop: two rows (output channels oc, oc + 1; zeros past an odd count) interleaved per 4 bytes. */
export function gemmWeights8(rows: Int8Array, OC: number, K4: number): Int8Array {
  const out = new Int8Array(Math.ceil(OC / 2) * 2 * K4);
  for (let oc = 0; oc < OC; oc++)
    for (let k = 0; k < K4; k++) out[(oc >> 1) * 2 * K4 + (k >> 2) * 8 + (oc & 1) * 4 + (k & 3)] = rows[oc * K4 + k]!;
  return out;
}

/**
 * gemm weights for the packed8 loop (mac-asm.ts): per channel pair (oc, oc + 1; zeros past an odd count)
 * and group of 4 the words {w(k0) | w(k2) << 16, w(k1) | w(k3) << 16}, each halfword packedHalf(w_oc,
 * w_oc+1); undefined where a halfword does not fit.
 */
export function gemmWeightsPacked(rows: Int8Array, OC: number, K4: number): Int32Array | undefined {
  const out = new Int32Array(Math.ceil(OC / 2) * (K4 / 2));
  const at = (oc: number, k: number) => (oc < OC ? rows[oc * K4 + k]! : 0);
  for (let oc = 0; oc < OC; oc += 2)
    for (let k = 0; k < K4; k++) {
      const h = packedHalf(at(oc, k), at(oc + 1, k));
      if (h === undefined) return undefined;
      // k = 4g + j: word (oc/2, g, j & 1), halfword j >> 1
      const o = (oc / 2) * (K4 / 2) + (k >> 2) * 2 + (k & 1);
      out[o] = (out[o]! | (h << (k & 2 ? 16 : 0))) | 0;
    }
  return out;
}

/**
 * Wide gemm weights (times factor): int16 pairs in the order SXTB16 unpacks the inputs, two rows (output
 * channels oc, oc + 1; zeros past an odd count) interleaved per group of 4 as {w0 even, w0 odd, w1 even, w1 odd}.
 */
export function gemmWeights16(rows: Int8Array, OC: number, K4: number, factor = 1): Int32Array {
  const out = new Int32Array(Math.ceil(OC / 2) * K4);
  const at = (oc: number, k: number) => (oc < OC ? factor * rows[oc * K4 + k]! : 0);
  const pair = (lo: number, hi: number) => (lo & 0xffff) | (hi << 16);
  for (let oc = 0; oc < OC; oc += 2)
    for (let k = 0; k < K4; k += 4) {
      const o = (oc / 2) * K4 + k;
      for (const r of [0, 1]) {
        out[o + 2 * r] = pair(at(oc + r, k), at(oc + r, k + 2));
        out[o + 2 * r + 1] = pair(at(oc + r, k + 1), at(oc + r, k + 3));
      }
    }
  return out;
}

/** dw4 weights (times factor): per group of 4 channels and tap, {w[c], w[c+2]} and {w[c+1], w[c+3]} as int16 pairs. */
export function dw4Weights(w: Int8Array, g: ConvGeometry, factor = 1): Int32Array {
  const taps = g.KH * g.KW;
  const out = new Int32Array((g.OC / 4) * taps * 2);
  const pair = (lo: number, hi: number) => ((lo * factor) & 0xffff) | ((hi * factor) << 16);
  for (let q = 0; q < g.OC / 4; q++)
    for (let t = 0; t < taps; t++) {
      const c = 4 * q;
      out[(q * taps + t) * 2] = pair(w[t * g.OC + c], w[t * g.OC + c + 2]);
      out[(q * taps + t) * 2 + 1] = pair(w[t * g.OC + c + 1], w[t * g.OC + c + 3]);
    }
  return out;
}

/** dw3 weights (times factor) per channel, as int16 pairs per kernel row ky: {w[ky][0], w[ky][1]}, {w[ky][1], w[ky][2]} */
export function dw3Weights(w: Int8Array, g: ConvGeometry, factor = 1): Int32Array {
  const out = new Int32Array(g.OC * 6);
  const at = (ky: number, kx: number, c: number) => factor * w[(ky * 3 + kx) * g.OC + c]!;
  const pair = (lo: number, hi: number) => (lo & 0xffff) | (hi << 16);
  for (let c = 0; c < g.OC; c++)
    for (let ky = 0; ky < 3; ky++) {
      out[c * 6 + 2 * ky] = pair(at(ky, 0, c), at(ky, 1, c));
      out[c * 6 + 2 * ky + 1] = pair(at(ky, 1, c), at(ky, 2, c));
    }
  return out;
}

export interface DspLoopNames {
  /** the layer's C prefix (l7) */
  L: string;
  /** C expression of the scratch pointer (int8_t *) */
  scratch: string;
  /** the folded bias array */
  bias: string;
  /** weights: gemm rows (int8) or dw4 pairs (int32) */
  weights: string;
  inZeroPoint: number;
  /** C statements storing the requantized accumulator `acc` of channel `c` at `dst` */
  requant: (acc: string, c: string, dst: string) => string;
}

/** How the gemm loop computes a pixel pair's outputs from the gathered rows (native/mac-asm.ts). */
export interface GemmCall {
  /**
   * C statement: a pixel-pair function (every channel of rows into oa and ob), or a mac block that fills
   * int32_t acc[4] for the channels oc and oc + 1, which the loop then requantizes with n.requant
   */
  call: string;
  pairs: boolean;
  /** the gathered inputs are doubled (n.bias and n.requant must then be the doubled ones) */
  doubledInputs: boolean;
}

/** C body of the gemm loop (inside #if REPARO_DSP). */
export function gemmLoop(g: ConvGeometry, k: Extract<DspConvKind, { kind: 'gemm' }>, n: DspLoopNames, c: GemmCall): string {
  const doubled = c.doubledInputs;
  const { K, K4, gather } = k;
  const cin = g.depthwise ? 1 : g.IC;
  const pixels = g.OH * g.OW;
  const f = doubled ? 2 : 1;
  const zpPair = (((f * n.inZeroPoint) & 0xffff) | ((f * n.inZeroPoint) << 16)) | 0;
  const expand = doubled ? 'reparo_expand2_s8' : 'reparo_expand_s8';
  const window = (tap: string, fast = '') => `const int iy0 = (p / ${g.OW}) * ${g.SH} - ${g.PT}, ix0 = (p % ${g.OW}) * ${g.SW} - ${g.PL};
        ${fast}for (int ky = 0; ky < ${g.KH}; ++ky)
          for (int kx = 0; kx < ${g.KW}; ++kx) {
            const int iy = iy0 + ky * ${g.DH}, ix = ix0 + kx * ${g.DW};
            const int inside = (unsigned)iy < ${g.IH}u && (unsigned)ix < ${g.IW}u;
            ${tap}
          }`;
  // a window wholly inside the image with contiguous taps (DW 1) is KH rows of KW * cin bytes
  const interior = (row: (ky: string, src: string) => string) =>
    g.DW === 1
      ? `if (iy0 >= 0 && iy0 + ${(g.KH - 1) * g.DH} < ${g.IH} && ix0 >= 0 && ix0 + ${g.KW - 1} < ${g.IW}) {
          for (int ky = 0; ky < ${g.KH}; ++ky) ${row('ky', `img + ((iy0 + ky * ${g.DH}) * ${g.IW} + ix0) * ${cin}`)}
        } else `
      : '';
  // the two pixels' gathered rows are interleaved: 4 words per group of 4 inputs
  const gatherRow = {
    none: `${expand}(dst, img + p * ${cin}, ${K4 / 4});`,
    words: window(`int32_t *d = dst + (ky * ${g.KW} + kx) * ${cin};
            if (inside) ${expand}(d, img + (iy * ${g.IW} + ix) * ${cin}, ${cin / 4});
            else reparo_fill_pairs(d, ${zpPair}, ${cin / 4});`),
    bytes: `${window(`int8_t *d = bytes + (ky * ${g.KW} + kx) * ${cin};
            if (inside) memcpy(d, img + (iy * ${g.IW} + ix) * ${cin}, ${cin});
            else memset(d, ${n.inZeroPoint}, ${cin});`, interior((ky, src) => `memcpy(bytes + ${ky} * ${g.KW * cin}, ${src}, ${g.KW * cin});`))}
        ${expand}(dst, bytes, ${K4 / 4});`,
  }[gather];
  const odd = g.OC % 2 === 1;
  const bytesAt = 4 * K4;
  const spareAt = bytesAt + (gather === 'bytes' ? K4 : 0);
  return `  int32_t *rows = (int32_t *)(void *)${n.scratch};
${gather === 'bytes' ? `  int8_t *bytes = ${n.scratch} + ${bytesAt};\n${K4 > K ? `  memset(bytes + ${K}, 0, ${K4 - K});\n` : ''}` : ''}\
  for (int n = 0; n < ${g.B}; ++n) {
    const int8_t *img = in + n * ${g.IH * g.IW * g.IC};
    for (int p0 = 0; p0 < ${pixels}; p0 += 2) {
      int8_t *oa = out + (n * ${pixels} + p0) * ${g.OC};
      int8_t *ob = ${pixels % 2 ? `p0 + 1 < ${pixels} ? oa + ${g.OC} : ${n.scratch} + ${spareAt}` : `oa + ${g.OC}`};
      for (int q = 0; q < 2; ++q) {
        const int p = ${pixels % 2 ? `p0 + 1 < ${pixels} ? p0 + q : p0` : 'p0 + q'};
        int32_t *dst = rows + q * 2;
        ${gatherRow}
      }
      ${c.pairs ? c.call : `for (int oc = 0; oc < ${g.OC}; oc += 2) {
        int32_t acc[4];
        ${c.call}
        ${n.requant('acc[0]', 'oc', 'oa[oc]')}
        ${n.requant('acc[2]', 'oc', 'ob[oc]')}
        ${odd ? `if (oc + 1 < ${g.OC}) ` : ''}{
          ${n.requant('acc[1]', 'oc + 1', 'oa[oc + 1]')}
          ${n.requant('acc[3]', 'oc + 1', 'ob[oc + 1]')}
        }
      }`}
    }
  }`;
}

/**
 * The dw4 loop: C helper functions (one output pixel each, kept out of line so that the interior one,
 * with constant tap offsets, is allocated registers on its own) and the body (inside #if REPARO_DSP).
 */
export function dw4Loop(g: ConvGeometry, n: DspLoopNames): { helpers: string; body: string } {
  const taps = g.KH * g.KW;
  const C = g.OC;
  const offset = (t: number) => (Math.floor(t / g.KW) * g.DH * g.IW + (t % g.KW) * g.DW) * C;
  const group = (x: (t: number) => string) => `for (int c = 0; c < ${C}; c += 4) {
    const int32_t *wq = ${n.weights} + (c / 4) * ${2 * taps};
    int32_t acc[4];
    acc[0] = ${n.bias}[c]; acc[1] = ${n.bias}[c + 1]; acc[2] = ${n.bias}[c + 2]; acc[3] = ${n.bias}[c + 3];
    ${Array.from({ length: taps }, (_, t) => `reparo_dw_tap4(${x(t)}, wq + ${2 * t}, acc);`).join('\n    ')}
    ${[0, 1, 2, 3].map((j) => n.requant(`acc[${j}]`, `c + ${j}`, `o[c + ${j}]`)).join('\n    ')}
  }`;
  // two horizontally adjacent pixels, one half (h: channels c+h, c+h+2) at a time: with stride 1 the
  // pixels share KW - 1 input columns, each loaded and sign-extended once for both
  const pairHalf = (h: number) => {
    const seen = new Map<number, string>();
    const xAt = (d: number) => {
      if (seen.has(d)) return { name: seen.get(d)!, decl: '' };
      const name = `x${seen.size}`;
      seen.set(d, name);
      return { name, decl: `const int32_t ${name} = ${h ? 'reparo_sxtb16_ror8_at' : 'reparo_sxtb16_at'}(xc + c + ${d}); ` };
    };
    const steps = Array.from({ length: taps }, (_, t) => {
      const a = xAt(offset(t));
      const b = xAt(offset(t) + g.SW * C);
      return `${a.decl}${b.decl}w = wq[${2 * t + h}];
      a0 = __smlabb(${a.name}, w, a0); a1 = __smlatt(${a.name}, w, a1); b0 = __smlabb(${b.name}, w, b0); b1 = __smlatt(${b.name}, w, b1);`;
    });
    return `{
      int32_t a0 = ${n.bias}[c + ${h}], a1 = ${n.bias}[c + ${h + 2}], b0 = a0, b1 = a1, w;
      ${steps.join('\n      ')}
      ${n.requant('a0', `c + ${h}`, `o[c + ${h}]`)}
      ${n.requant('a1', `c + ${h + 2}`, `o[c + ${h + 2}]`)}
      ${n.requant('b0', `c + ${h}`, `o[${C} + c + ${h}]`)}
      ${n.requant('b1', `c + ${h + 2}`, `o[${C} + c + ${h + 2}]`)}
    }`;
  };
  const helpers = `#if REPARO_DSP
/* two interior output pixels side by side (xc and xc + ${g.SW * C}), out at o and o + ${C} */
static REPARO_NOINLINE void ${n.L}_pair(const int8_t *xc, int8_t *o) {
  for (int c = 0; c < ${C}; c += 4) {
    const int32_t *wq = ${n.weights} + (c / 4) * ${2 * taps};
    ${pairHalf(0)}
    ${pairHalf(1)}
  }
}

/* one interior output pixel: every tap inside the image, at a constant offset from xc */
static REPARO_NOINLINE void ${n.L}_inner(const int8_t *xc, int8_t *o) {
  ${group((t) => `xc + c + ${offset(t)}`)}
}

/* one border output pixel: tap t reads tp[t] (the zero-point row where it falls outside) */
static REPARO_NOINLINE void ${n.L}_edge(const int8_t *const *tp, int8_t *o) {
  ${group((t) => `tp[${t}] + c`)}
}
#endif`;
  const body = `  int8_t *zrow = ${n.scratch};
  memset(zrow, ${n.inZeroPoint}, ${C});
  for (int n = 0; n < ${g.B}; ++n) {
    const int8_t *img = in + n * ${g.IH * g.IW * C};
    for (int oy = 0; oy < ${g.OH}; ++oy) {
      const int iy0 = oy * ${g.SH} - ${g.PT};
      for (int ox = 0; ox < ${g.OW}; ++ox) {
        const int ix0 = ox * ${g.SW} - ${g.PL};
        int8_t *o = out + ((n * ${g.OH} + oy) * ${g.OW} + ox) * ${C};
        if (iy0 >= 0 && iy0 + ${(g.KH - 1) * g.DH} < ${g.IH} && ix0 >= 0 && ix0 + ${(g.KW - 1) * g.DW} < ${g.IW}) {
          if (ox + 1 < ${g.OW} && ix0 + ${g.SW + (g.KW - 1) * g.DW} < ${g.IW}) {
            ${n.L}_pair(img + (iy0 * ${g.IW} + ix0) * ${C}, o);
            ++ox;
          } else ${n.L}_inner(img + (iy0 * ${g.IW} + ix0) * ${C}, o);
        } else {
          const int8_t *tp[${taps}];
          for (int ky = 0; ky < ${g.KH}; ++ky)
            for (int kx = 0; kx < ${g.KW}; ++kx) {
              const int iy = iy0 + ky * ${g.DH}, ix = ix0 + kx * ${g.DW};
              tp[ky * ${g.KW} + kx] = (unsigned)iy < ${g.IH}u && (unsigned)ix < ${g.IW}u ? img + (iy * ${g.IW} + ix) * ${C} : zrow;
            }
          ${n.L}_edge(tp, o);
        }
      }
    }
  }`;
  return { helpers, body };
}

/** The dw3 loop's assembly row function (native/mac-asm.ts dw3RowFunction) and its per-channel table. */
export interface Dw3Row {
  fn: string;
  table: string;
  /** output pairs per row it computes (an odd last output is left to C) */
  pairs: number;
}

/** C copying IW bytes C apart from src into the int16 row d (src advances past them): 4 at a time, constant offsets */
function copyRow(IW: number, C: number): string {
  const four = `for (int ix = 0; ix < ${IW - (IW % 4)}; ix += 4, src += ${4 * C}) { d[ix] = src[0]; d[ix + 1] = src[${C}]; d[ix + 2] = src[${2 * C}]; d[ix + 3] = src[${3 * C}]; }`;
  const rest = Array.from({ length: IW % 4 }, (_, j) => `d[${IW - (IW % 4) + j}] = src[${j * C}];`);
  return [IW >= 4 ? four : '', ...rest, IW % 4 ? `src += ${(IW % 4) * C};` : ''].filter(Boolean).join('\n        ');
}

/**
 * The dw3 loop (inside #if REPARO_DSP): a 3x3 depthwise conv of stride 1 or 2, any depth multiplier, one
 * input channel at a time. The channel is copied as int16 into a plane whose border holds the input zero
 * point (border pixels need no code of their own), then every output channel of it runs over the plane,
 * two horizontally adjacent outputs at a time, its 6 weight words {w0, w1}, {w1, w2} per kernel row in
 * registers. Per kernel row, stride 1: one load of 4 plane columns {A, B}, a = SMLAD(A, {w0, w1}) +
 * SMLABT(B, {w1, w2}), b = SMLATB(A, {w0, w1}) + SMLAD(B, {w1, w2}); stride 2: 6 columns {A0, A1, A2},
 * a = SMLAD(A0, {w0, w1}) + SMLABT(A1, {w1, w2}), b the same on A1, A2.
 */
export function dw3Loop(g: ConvGeometry, k: Extract<DspConvKind, { kind: 'dw3' }>, n: DspLoopNames, row?: Dw3Row): string {
  const { PH, PW } = k;
  const C = g.OC;
  const S = g.SH;
  const load = (name: string, col: number, ky: number) => `memcpy(&${name}, r + ${ky * PW + col}, 4);`;
  const kernelRow = (ky: number) => {
    const [u, v] = [`w${2 * ky}`, `w${2 * ky + 1}`];
    return S === 1
      ? `${load('A', 0, ky)} ${load('B', 2, ky)}
            a = __smlad(A, ${u}, a); a = __smlabt(B, ${v}, a); b = __smlatb(A, ${u}, b); b = __smlad(B, ${v}, b);`
      : `${load('A', 0, ky)} ${load('B', 2, ky)} ${load('D', 4, ky)}
            a = __smlad(A, ${u}, a); a = __smlabt(B, ${v}, a); b = __smlad(B, ${u}, b); b = __smlabt(D, ${v}, b);`;
  };
  // the C pairs: every pair, or with the row function only an odd last output
  const first = row ? 2 * row.pairs : 0;
  const cPairs =
    first >= g.OW
      ? ''
      : `for (int ox = ${first}; ox < ${g.OW}; ox += 2) {
            const int16_t *r = plane + oy * ${S * PW} + ox * ${S};
            int32_t A, B, ${S === 2 ? 'D, ' : ''}a = bias, b = bias;
            ${kernelRow(0)}
            ${kernelRow(1)}
            ${kernelRow(2)}
            ${n.requant('a', 'c', `o[(oy * ${g.OW} + ox) * ${C}]`)}
            ${g.OW % 2 ? `if (ox + 1 < ${g.OW}) ` : ''}${n.requant('b', 'c', `o[(oy * ${g.OW} + ox + 1) * ${C}]`)}
          }`;
  return `  int16_t *plane = (int16_t *)(void *)${n.scratch};
  for (int k = 0; k < ${PH * PW}; ++k) plane[k] = ${n.inZeroPoint};
  for (int n = 0; n < ${g.B}; ++n)
    for (int ic = 0; ic < ${g.IC}; ++ic) {
      const int8_t *src = in + n * ${g.IH * g.IW * g.IC} + ic;
      for (int iy = 0; iy < ${g.IH}; ++iy) {
        int16_t *d = plane + (iy + ${g.PT}) * ${PW} + ${g.PL};
        ${copyRow(g.IW, g.IC)}
      }
      for (int c = ic * ${g.M}; c < (ic + 1) * ${g.M}; ++c) {
        const int32_t *wc = ${row ? `${row.table} + c * 10` : `${n.weights} + c * 6`};
        ${cPairs ? `/* loaded before the stores: int8 stores may alias anything */
        const int32_t w0 = wc[0], w1 = wc[1], w2 = wc[2], w3 = wc[3], w4 = wc[4], w5 = wc[5], bias = ${row ? 'wc[6]' : `${n.bias}[c]`};` : ''}
        int8_t *o = out + n * ${g.OH * g.OW * C} + c;
        for (int oy = 0; oy < ${g.OH}; ++oy) {
          ${row ? `${row.fn}(plane + oy * ${S * PW}, o + oy * ${g.OW * C}, wc);` : ''}
          ${cPairs}
        }
      }
    }`;
}

