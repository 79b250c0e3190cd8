/**
 * The native runtime's matrix-product loops for cores without SIMD (RV32IMC, and every build without
 * the DSP extension), as C text for one layer.
 *
 * A convolution (no groups; a depthwise conv of one input channel) and a fully connected layer are a
 * product of windows (K inputs each) with weight rows. Four output channels at a time, their weights
 * interleaved per input (w[k][0..3]: one base register, constant offsets), and four windows at a
 * time: each input byte loaded once serves four channels, each weight four pixels, so that a MAC
 * costs a multiply, an add and half a load (RV32IM has no multiply-accumulate, and a signed byte
 * costs one LB, where taking four out of a 32-bit word would cost seven). The 16 accumulators stay
 * in registers. A dense layer of batch 1 has one window: 16 channels a block there (8 where the
 * channels are not a multiple of 16).
 *
 * Windows: a 1x1 stride-1 conv's window is its input pixel and a dense row its input row (in place);
 * any other conv gathers each window into the arena scratch, padded taps as the input zero point (the
 * folded bias makes them contribute nothing). The windows past the last group of four take a block
 * of 1 to 3 windows.
 */

import type { ConvGeometry } from './conv-dsp.ts';

export interface ScalarGemm {
  /** inputs per window */
  K: number;
  /** output channels */
  OC: number;
  /** windows in the whole product (pixels of all images, or rows) */
  windows: number;
}

/**
 * The register block of a product with `windows` windows and OC channels: 4 windows x 4 channels, or
 * for fewer than 4 windows (a dense layer of batch 1) one window x 16 channels (8 where OC is not a
 * multiple of 16).
 */
export function scalarBlock(windows: number, OC: number): { P: 1 | 4; C: 4 | 8 | 16 } {
  return windows >= 4 ? { P: 4, C: 4 } : { P: 1, C: OC % 16 === 0 ? 16 : 8 };
}

/** gemm weight rows (OC x rowLen, first K used) as blocks of C channels, inputs interleaved: [OC/C][K][C], zeros past OC. */
export function scalarGemmWeights(rows: Int8Array, OC: number, K: number, C: number, rowLen = K): Int8Array {
  const out = new Int8Array(Math.ceil(OC / C) * K * C);
  for (let oc = 0; oc < OC; oc++) for (let k = 0; k < K; k++) out[Math.floor(oc / C) * K * C + k * C + (oc % C)] = rows[oc * rowLen + k]!;
  return out;
}

/** the bias padded to whole blocks of 16 channels (the widest scalar block) */
export function scalarGemmBias(bias: Int32Array): Int32Array {
  const out = new Int32Array(Math.ceil(bias.length / 16) * 16);
  out.set(bias);
  return out;
}

/**
 * The mac function of P windows (1 to 4) x C channels: windows at x + j * xs, weights [K][C];
 * acc[C * j + c] = bias[c] + the dot product (mod 2^32, as the interpreter's int32 accumulator).
 * A single window takes 4 inputs per iteration where K allows (one pointer update and branch for 32
 * MACs: 3.2 instructions a MAC on RV32); the 4 x 4 block has no registers left for a second input.
 */
export function scalarMacFunction(name: string, P: number, C: 4 | 8 | 16, K: number, xs: number): string {
  const acc = (j: number, c: number) => `a${j}_${c}`;
  const all = (f: (j: number, c: number) => string, sep: string) =>
    Array.from({ length: P }, (_, j) => Array.from({ length: C }, (_, c) => f(j, c)).join(sep)).join(sep);
  const unroll = P === 1 && K % 4 === 0 ? 4 : 1;
  const step = (u: number) => `    {
      const int32_t ${Array.from({ length: P }, (_, j) => `x${j} = x[${j * xs + u}]`).join(', ')};
      int32_t v;
${Array.from({ length: C }, (_, c) => `      v = w[${u * C + c}]; ${Array.from({ length: P }, (_, j) => `${acc(j, c)} += (uint32_t)(x${j} * v);`).join(' ')}`).join('\n')}
    }`;
  return `static inline void ${name}(const int8_t *x, const int8_t *w, const int32_t *b, uint32_t *acc) {
  uint32_t ${all((j, c) => `${acc(j, c)} = (uint32_t)b[${c}]`, ', ')};
  for (const int8_t *e = x + ${K}; x < e; x += ${unroll}, w += ${unroll * C}) {
${Array.from({ length: unroll }, (_, u) => step(u)).join('\n')}
  }
  ${all((j, c) => `acc[${C * j + c}] = ${acc(j, c)};`, ' ')}
}`;
}

export interface ScalarGemmNames {
  /** the layer's C prefix */
  L: string;
  /** the [OC/C][K][C] weights (scalarGemmWeights) and the padded bias */
  weights: string;
  bias: string;
  /** C statements storing channel `c`'s requantized accumulator at dst */
  requant: (acc: string, c: string, dst: string) => string;
}

/**
 * The loop over the windows of a product: `window(first, count)` is C that sets `const int8_t *xw` to the
 * first of `count` windows xs bytes apart (gathering them where needed), `dst(p)` the output row of window p.
 * Returns the helper functions and the loop.
 */
export function scalarGemmLoop(s: ScalarGemm, xs: number, names: ScalarGemmNames, window: (first: string, count: number) => string, dst: (p: string) => string): { helpers: string; body: string } {
  const { L, weights, bias, requant } = names;
  const { P, C } = scalarBlock(s.windows, s.OC);
  const width = Math.ceil(s.OC / C) * C;
  // the windows past the last whole group of P: a block of their own height, in their own mac function
  const full = s.windows - (s.windows % P), tail = s.windows - full;
  const helpers = [scalarMacFunction(`${L}_mac`, P, C, s.K, xs), ...(tail ? [scalarMacFunction(`${L}_mact`, tail, C, s.K, xs)] : [])].join('\n');
  // channel outer, window inner: a channel's requantization constants load once for its windows
  const store = (p: string, n: number) => `for (int c = 0; c < ${s.OC % C ? `(oc + ${C} <= ${s.OC} ? ${C} : ${s.OC % C})` : C}; ++c)
        for (int j = 0; j < ${n}; ++j) {
          int8_t *o = ${dst(`${p} + j`)};
          ${requant(`acc[${C} * j + c]`, 'oc + c', 'o[oc + c]')}
        }`;
  const blocks = (p: string, fn: string, n: number) => `    for (int oc = 0; oc < ${width}; oc += ${C}) {
      ${fn}(xw, ${weights} + oc * ${s.K}, ${bias} + oc, acc);
      ${store(p, n)}
    }`;
  // the p clamp below never bites (the tail has its own block) but is measured: with p = p0 plain, GCC's code
  // for ResNet-8's gemm layers took 4 % more instructions on RV32
  const body = `  uint32_t acc[${P * C}];
  for (int p0 = 0; p0 < ${full}; p0 += ${P}) {
    const int p = p0 + ${P} <= ${full} ? p0 : ${full - P};
${window('p', P)}
${blocks('p', `${L}_mac`, P)}
  }${
    tail
      ? `
  {
    const int p = ${full};
${window('p', tail)}
${blocks('p', `${L}_mact`, tail)}
  }`
      : ''
  }`;
  return { helpers, body };
}

/**
 * The gather of one conv window (pixel oy, ox of image img) into dst: KH x KW taps of IC bytes, a tap
 * outside the image as the input zero point; a row of taps inside the image with dilation 1 in one copy.
 */
export function scalarGatherFunction(name: string, g: ConvGeometry, zeroPoint: number): string {
  const { IH, IW, IC, KH, KW, SH, SW, DH, DW, PT, PL } = g;
  const copy = (dst: string, src: string, n: string, constN?: number) =>
    constN !== undefined && constN >= 16 ? `memcpy(${dst}, ${src}, ${n});` : `for (int t = 0; t < ${n}; ++t) ${dst}[t] = ${src}[t];`;
  return `static void ${name}(const int8_t *img, int oy, int ox, int8_t *dst) {
  const int iy0 = oy * ${SH} - ${PT}, ix0 = ox * ${SW} - ${PL};
  for (int ky = 0; ky < ${KH}; ++ky, dst += ${KW * IC}) {
    const int iy = iy0 + ky * ${DH};
    if ((unsigned)iy >= ${IH}u) { memset(dst, ${zeroPoint}, ${KW * IC}); continue; }
    const int8_t *row = img + iy * ${IW * IC};
    ${DW === 1 ? `if (ix0 >= 0 && ix0 + ${KW - 1} < ${IW}) { const int8_t *s = row + ix0 * ${IC}; ${copy('dst', 's', `${KW * IC}`, KW * IC)} continue; }` : ''}
    for (int kx = 0; kx < ${KW}; ++kx) {
      const int ix = ix0 + kx * ${DW};
      int8_t *d = dst + kx * ${IC};
      if ((unsigned)ix >= ${IW}u) { for (int t = 0; t < ${IC}; ++t) d[t] = ${zeroPoint}; continue; }
      const int8_t *s = row + ix * ${IC};
      ${copy('d', 's', `${IC}`, IC)}
    }
  }
}`;
}

/**
 * A depthwise conv for cores without SIMD, one output channel at a time: its KH x KW weights and
 * requantization constants stay in registers while the loop runs over the pixels, each output KH * KW
 * loads at constant offsets, multiplies and adds. Pixels whose window leaves the image take the
 * input zero point for the taps outside (the folded bias counts them as such).
 * `weights` is TFLite's 1 x KH x KW x OC array, `bias` the folded bias.
 */
export function scalarDepthwiseLoop(g: ConvGeometry, names: ScalarGemmNames & { zeroPoint: number }): string {
  const { B, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL, M } = g;
  const { weights, bias, requant, zeroPoint } = names;
  const taps = Array.from({ length: KH * KW }, (_, t) => ({ t, ky: Math.floor(t / KW), kx: t % KW }));
  const off = (ky: number, kx: number) => (ky * DH * IW + kx * DW) * IC;
  // the interior: outputs whose whole window is inside the image
  const lo = (P: number, S: number) => Math.ceil(P / S);
  const hi = (I: number, P: number, K: number, D: number, S: number, O: number) => Math.min(O - 1, Math.floor((I - 1 - (K - 1) * D + P) / S));
  const [oyLo, oyHi, oxLo, oxHi] = [lo(PT, SH), hi(IH, PT, KH, DH, SH, OH), lo(PL, SW), hi(IW, PL, KW, DW, SW, OW)];
  const fast = `acc += ${taps.map(({ t, ky, kx }) => `(uint32_t)(w${t} * p[${off(ky, kx)}])`).join(' + ')};`;
  const slow = taps
    .map(({ t, ky, kx }) => `{ const int iy = iy0 + ${ky * DH}, ix = ix0 + ${kx * DW}; acc += (uint32_t)(w${t} * ((unsigned)iy < ${IH}u && (unsigned)ix < ${IW}u ? img[(iy * ${IW} + ix) * ${IC}] : ${zeroPoint})); }`)
    .join('\n          ');
  const pixel = (kind: 'fast' | 'slow', ox: string) => `{
          uint32_t acc = (uint32_t)b;
          ${kind === 'fast' ? `const int8_t *p = img + ((oy * ${SH} - ${PT}) * ${IW} + ${ox} * ${SW} - ${PL}) * ${IC};\n          ${fast}` : `const int ix0 = ${ox} * ${SW} - ${PL};\n          ${slow}`}
          ${requant('acc', 'oc', `orow[${ox} * ${OC}]`)}
        }`;
  const interior = oyLo <= oyHi && oxLo <= oxHi;
  return `  for (int n = 0; n < ${B}; ++n)
  for (int oc = 0; oc < ${OC}; ++oc) {
    const int8_t *img = in + n * ${IH * IW * IC} + oc / ${M};
    int8_t *outc = out + n * ${OH * OW * OC} + oc;
    const int32_t ${taps.map(({ t }) => `w${t} = ${weights}[${t * OC} + oc]`).join(', ')};
    const int32_t b = ${bias}[oc];
    for (int oy = 0; oy < ${OH}; ++oy) {
      const int iy0 = oy * ${SH} - ${PT};
      int8_t *orow = outc + oy * ${OW * OC};
      (void)iy0;
      if (${interior ? `oy >= ${oyLo} && oy <= ${oyHi}` : '0'}) {
        for (int ox = 0; ox < ${interior ? oxLo : 0}; ++ox) ${pixel('slow', 'ox')}
        for (int ox = ${interior ? oxLo : 0}; ox <= ${interior ? oxHi : -1}; ++ox) ${pixel('fast', 'ox')}
        for (int ox = ${interior ? oxHi + 1 : OW}; ox < ${OW}; ++ox) ${pixel('slow', 'ox')}
      } else {
        for (int ox = 0; ox < ${OW}; ++ox) ${pixel('slow', 'ox')}
      }
    }
  }`;
}
