/**
 * The gemm loop's inner work as generated Thumb-2 functions (naked, AAPCS), shared by the layers with
 * the same inner length and weight width: 2 pixels x 2 output channels over n4 groups of 4 inputs.
 *
 * Why assembly: the 2x2 block needs 4 accumulators, 2 pointers and 8 data words per group, which is
 * all 14 allocatable registers; in C, GCC keeps a loop counter, loads word pairs with LDRD and spends
 * 14 instructions per 8 SMLADs. Here a group is one LDM of the 4 input words, one LDM of the 4 weight
 * words (int16) or one LDRD and 4 SXTB16 (int8), and 8 SMLADs, unrolled over the whole inner length
 * (known when the code is generated): no loop counter. Inner lengths above UNROLL_GROUPS loop over
 * passes of LOOP_GROUPS groups, the end pointer kept on the stack.
 *
 * Two functions use it:
 * - the pixel-pair gemm (gemmPairFunction): every channel pair of two output pixels, requantized in
 *   registers (TFLite's double rounding as in reparo_requant2: SMMLAR, sign fix, shift, SSAT, STRB;
 *   5 instructions an output) and stored; for layers whose requantization takes that form and clamps
 *   to the full int8 range, with an even channel count;
 * - the mac block (macBlockFunction): the four accumulators of one channel pair, for the C loop of
 *   every other layer.
 */

/** groups unrolled without a loop (about 38 B of code per int16 group, 54 B per int8 group) */
export const UNROLL_GROUPS = 80;
/** groups per loop pass above UNROLL_GROUPS */
export const LOOP_GROUPS = 8;

/**
 * int16: two int16 words per channel and group; int8: one word per channel, unpacked by 2 SXTB16s;
 * packed8: one word per channel pair and 2 inputs, each halfword w_u + 256 w_v (packedHalf): one SMLAD
 * of it gives A = Σ x (w_u + 256 w_v), SXTB16 of it w_u for B = Σ x w_u, and A − B = 256 Σ x w_v, so
 * the pair's 2 pixels x 2 inputs take 4 SMLADs and 1 SXTB16 where int8 takes 4 SMLADs and 2 SXTB16s
 * (accumulators {a.u, a.v, b.u, b.v} hold {B, A, B, A}; A starts at bias u + 256 bias v).
 */
export type MacWeights = 'int16' | 'int8' | 'packed8';

/**
 * The halfword w_lo + 256 w_hi, or undefined where it does not fit an int16 (w_hi = −128 and w_lo < 0;
 * TFLite's weights are within ±127). SXTB16 of it gives back w_lo.
 */
export function packedHalf(lo: number, hi: number): number | undefined {
  const v = lo + 256 * hi;
  return v < -32768 ? undefined : v & 0xffff;
}

/** The largest |accumulator| of a packed8 channel v for which A − B = 256 × it fits an int32. */
export const PACKED_HIGH_BOUND = 2 ** 23;

/**
 * The one-multiply requantization's constants of one channel: for right shifts (reparo_requant2)
 * multiplier, 2^(e-1) + (zp << e), e; for left shifts (reparo_requantl2) multiplier, zp, the left shift.
 */
export interface RqConstants {
  multiplier: number;
  add: number;
  shift: number;
}

/**
 * A layer's one-multiply requantization: every channel's shift right (1..31) or every one left (≥ 0);
 * zpAfter: the zero point, added after the right shift where the add could not hold it (shifts beyond 22).
 */
export interface FastRequant {
  left: boolean;
  zpAfter?: number;
  rq: RqConstants[];
}

/**
 * acc (doubled) requantized into `out` with the constants in registers m, add, e: right shifts round once
 * more (SMMLAR, the sign fix, the shift), left shifts scale first (LSL, SMMLAR with the zero point).
 */
function requantLines(f: FastRequant, out: string, acc: string, m: string, add: string, e: string): string[] {
  if (f.left) return [`lsl ${acc}, ${acc}, ${e}`, `smmlar ${out}, ${acc}, ${m}, ${add}`];
  const zp = f.zpAfter ? [`${f.zpAfter > 0 ? 'add' : 'sub'} ${out}, ${out}, #${Math.abs(f.zpAfter)}`] : [];
  return [`smmlar ${out}, ${acc}, ${m}, ${add}`, `add ${out}, ${out}, ${acc}, asr #31`, `asr ${out}, ${out}, ${e}`, ...zp];
}

// the zero point is an immediate of the code: z128 for -128, zp5 for 5
const formTag = (f: FastRequant) => (f.left ? 'l' : f.zpAfter === undefined ? '' : f.zpAfter < 0 ? `z${-f.zpAfter}` : `zp${f.zpAfter}`);

// registers: r0 the input rows, r1 the weights; r2, r3, r12, lr the accumulators {a.u, a.v, b.u, b.v}
// (pixels a, b; channels u, v); r4-r7 the inputs {a even, a odd, b even, b odd}; r8-r11 the weights
// {u even, u odd, v even, v odd}
const SMLADS = [
  'smlad r2, r4, r8, r2', 'smlad r2, r5, r9, r2', 'smlad r3, r4, r10, r3', 'smlad r3, r5, r11, r3',
  'smlad r12, r6, r8, r12', 'smlad r12, r7, r9, r12', 'smlad lr, r6, r10, lr', 'smlad lr, r7, r11, lr',
];

// packed8: r8, r10 the pair's words for the even and the odd inputs; A in r3 and lr, B in r2 and r12
const PACKED_MACS = [
  'ldrd r8, r10, [r1], #8',
  'smlad r3, r4, r8, r3', 'smlad r3, r5, r10, r3', 'smlad lr, r6, r8, lr', 'smlad lr, r7, r10, lr',
  'sxtb16 r8, r8', 'sxtb16 r10, r10',
  'smlad r2, r4, r8, r2', 'smlad r2, r5, r10, r2', 'smlad r12, r6, r8, r12', 'smlad r12, r7, r10, r12',
];

function group(weights: MacWeights): string[] {
  if (weights === 'packed8') return ['ldm r0!, {r4-r7}', ...PACKED_MACS];
  const loadW =
    weights === 'int16'
      ? ['ldm r1!, {r8-r11}']
      : // channel u's 4 bytes in r8, v's in r10, unpacked in the order SXTB16 gave the inputs
        ['ldrd r8, r10, [r1], #8', 'sxtb16 r9, r8, ror #8', 'sxtb16 r8, r8', 'sxtb16 r11, r10, ror #8', 'sxtb16 r10, r10'];
  return ['ldm r0!, {r4-r7}', ...loadW, ...SMLADS];
}

const WIDTH_TAG: Record<MacWeights, string> = { int16: '16', int8: '8', packed8: '8p' };

/**
 * The accumulation over n4 groups; `end` is where the pass loop finds its end pointer (the input
 * pointer after the last group), used only above UNROLL_GROUPS.
 */
function accumulate(n4: number, weights: MacWeights, end: string): string[] {
  const repeat = (n: number) => Array.from({ length: n }, () => group(weights)).flat();
  if (n4 <= UNROLL_GROUPS) return repeat(n4);
  return [...repeat(n4 % LOOP_GROUPS), '2:', ...repeat(LOOP_GROUPS), `ldr r4, ${end}`, 'cmp r0, r4', 'bne 2b'];
}

/** r<d> = r0 + bytes (any size) */
function addBytes(d: string, bytes: number): string[] {
  return [`movw ${d}, #${bytes & 0xffff}`, `movt ${d}, #${bytes >>> 16}`, `add ${d}, r0`];
}

/** The C definition; the parameters, read only by the assembly, are marked unused for the C compiler. */
function nakedFunction(comment: string, name: string, params: string[], lines: string[]): string {
  return `/* ${comment} */
__attribute__((naked, noinline)) static void ${name}(${params.map((p) => `${p} __attribute__((unused))`).join(', ')}) {
  __asm__(
${lines.map((l) => (l.endsWith(':') ? `    "${l}\\n"` : `    "  ${l}\\n"`)).join('\n')}
  );
}`;
}

export function macBlockName(n4: number, weights: MacWeights): string {
  return `reparo_mac${WIDTH_TAG[weights]}_g${n4}`;
}

/** out = bias + the 2x2 block: r0 the interleaved input rows, r1 the weights, r2 the bias of the two channels, r3 int32_t[4] out. */
export function macBlockFunction(n4: number, weights: MacWeights): string {
  const loop = n4 > UNROLL_GROUPS;
  // [sp] the out pointer, and below it the end pointer while the pass loop runs
  const lines = [
    'push {r3-r11, lr}',
    ...(loop ? [...addBytes('r4', 16 * n4), 'push {r4}'] : []),
    'ldrd r2, r3, [r2]', ...(weights === 'packed8' ? ['add r3, r2, r3, lsl #8'] : []), 'mov r12, r2', 'mov lr, r3',
    ...accumulate(n4, weights, '[sp]'),
    ...(loop ? ['add sp, #4'] : []),
    ...(weights === 'packed8' ? ['sub r3, r3, r2', 'asr r3, r3, #8', 'sub lr, lr, r12', 'asr lr, lr, #8'] : []),
    'ldr r4, [sp]', 'stm r4, {r2, r3, r12, lr}', 'pop {r3-r11, pc}',
  ];
  return nakedFunction(`out = bias + 2 pixels x 2 channels over ${n4} groups of 4 inputs, ${weights} weights`, macBlockName(n4, weights), ['const int32_t *x', 'const void *w', 'const int32_t *bias', 'int32_t *out'], lines);
}

export function gemmPairName(n4: number, weights: MacWeights, double: boolean, f: FastRequant): string {
  return `reparo_gemm${WIDTH_TAG[weights]}${double ? 'd' : ''}${formTag(f)}_g${n4}`;
}

/**
 * The pixel-pair gemm's one stream of constants, per channel pair: the accumulators' start {bias u,
 * bias v, bias u, bias v} (one LDM), the pair's weight words (wordsPerPair), then for u and v
 * reparo_requant2's constants: multiplier, 2^(e-1) + (zp << e), e. One pointer walks it all.
 */
export function gemmPairStream(weights: Int32Array, wordsPerPair: number, bias: ArrayLike<number>, rq: RqConstants[], packed = false): Int32Array {
  const out = new Int32Array((bias.length / 2) * (10 + wordsPerPair));
  for (let c = 0, o = 0; c < bias.length; c += 2) {
    const v = packed ? (bias[c]! + Math.imul(bias[c + 1]!, 256)) | 0 : bias[c + 1]!;
    out.set([bias[c]!, v, bias[c]!, v], o);
    out.set(weights.subarray((c / 2) * wordsPerPair, (c / 2 + 1) * wordsPerPair), o + 4);
    o += 4 + wordsPerPair;
    for (const q of [rq[c]!, rq[c + 1]!]) {
      out.set([q.multiplier, q.add, q.shift], o);
      o += 3;
    }
  }
  return out;
}

/**
 * Two output pixels, every channel pair: r0 the interleaved input rows, r1 reparo_gemm_t {gemmPairStream,
 * channel pairs}, r2 and r3 the outputs of pixels a and b. `double`: the accumulator is doubled here (one
 * LSL an output) because neither the weights nor the inputs were; `f`: the layer's form of requantization.
 */
export function gemmPairFunction(n4: number, weights: MacWeights, double: boolean, f: FastRequant): string {
  // the frame below the saved registers: [sp] x, [sp, #4] the stream, [sp, #8] oa, [sp, #12] ob, [sp, #16] oa end, [sp, #20] x end
  // packed8: channel v's accumulator is (A − B) / 256, doubled with the same shift
  const packed = weights === 'packed8';
  const requant = (acc: string, q: number, out: string) => [
    ...(packed && (acc === 'r3' || acc === 'lr') ? [`asr ${acc}, ${acc}, #${double ? 7 : 8}`] : double ? [`lsl ${acc}, ${acc}, #1`] : []),
    ...requantLines(f, 'r1', acc, `r${q}`, `r${q + 1}`, `r${q + 2}`), 'ssat r1, #8, r1', `strb r1, [${out}], #1`,
  ];
  const lines = [
    'push {r4-r11, lr}',
    'ldm r1, {r1, r4}', 'add r4, r2, r4, lsl #1', ...addBytes('r5', 16 * n4), 'sub sp, #24', 'stm sp, {r0-r5}',
    '1:',
    'ldm sp, {r0, r1}', 'ldm r1!, {r2, r3, r12, lr}',
    ...accumulate(n4, weights, '[sp, #20]'),
    ...(packed ? ['sub r3, r3, r2', 'sub lr, lr, r12'] : []),
    'ldm r1!, {r4-r9}', 'str r1, [sp, #4]', 'ldrd r10, r11, [sp, #8]',
    ...requant('r2', 4, 'r10'), ...requant('r3', 7, 'r10'), ...requant('r12', 4, 'r11'), ...requant('lr', 7, 'r11'),
    'strd r10, r11, [sp, #8]', 'ldr r0, [sp, #16]', 'cmp r10, r0', 'bne 1b',
    'add sp, #24', 'pop {r4-r11, pc}',
  ];
  return nakedFunction(
    `2 output pixels, every channel pair: ${n4} groups of 4 inputs, ${weights} weights${double ? ', accumulator doubled before the requantization' : ''}${f.left ? ', left shifts' : f.zpAfter !== undefined ? ', zero point after the shift' : ''}`,
    gemmPairName(n4, weights, double, f),
    ['const int32_t *x', 'const reparo_gemm_t *p', 'int8_t *oa', 'int8_t *ob'],
    lines,
  );
}

/**
 * Per-channel table of the dw3 row function, words: the channel's 6 weight words (dw3Weights, doubled),
 * its doubled bias, then reparo_requant2's multiplier, 2^(e-1) + (zp << e), e.
 */
export function dw3RowTable(weights: Int32Array, bias2: ArrayLike<number>, rq: RqConstants[]): Int32Array {
  const out = new Int32Array(10 * bias2.length);
  for (let c = 0; c < bias2.length; c++) out.set([...weights.subarray(6 * c, 6 * c + 6), bias2[c]!, rq[c]!.multiplier, rq[c]!.add, rq[c]!.shift], 10 * c);
  return out;
}

/** Whether dw3RowFunction can address a plane row PW int16 wide (LDRD offsets reach 1020 bytes) and C-apart outputs. */
export function dw3RowFits(PW: number, S: number, C: number): boolean {
  return 4 * PW + 4 * S <= 1020 && C < 2048;
}

/**
 * One output row of one channel of the dw3 loop (native/conv-dsp.ts), `pairs` output pairs, the channel's
 * weights and bias in registers for the whole row: r0 the plane at the row's first window, r1 the first
 * output (outputs C bytes apart), r2 the channel's dw3RowTable entry. Per pair and kernel row one LDRD
 * (and one LDR at stride 2) and 4 multiplies; the requantization constants, the bias and the end pointer
 * wait on the stack while their registers serve as temporaries.
 */
export function dw3RowFunction(name: string, pairs: number, PW: number, S: number, C: number, f: FastRequant): string {
  // r3-r8 the weights {w0, w1} {w1, w2} of kernel rows 0..2, r9 the bias, r10-r11 plane words, r12 and lr outputs a and b
  const rowBytes = 2 * PW;
  const macs: string[] = [];
  for (let ky = 0; ky < 3; ky++) {
    const [u, v] = [`r${3 + 2 * ky}`, `r${4 + 2 * ky}`];
    // row 0 loads with post-increment (the next pair), rows 1 and 2 at offsets from the advanced pointer
    const at = ky === 0 ? `[r0], #${4 * S}` : `[r0, #${ky * rowBytes - 4 * S}]`;
    const [a0, b0] = ky === 0 ? ['r9', 'r9'] : ['r12', 'lr'];
    macs.push(`ldrd r10, r11, ${at}`);
    if (S === 1) macs.push(`smlad r12, r10, ${u}, ${a0}`, `smlatb lr, r10, ${u}, ${b0}`, `smlabt r12, r11, ${v}, r12`, `smlad lr, r11, ${v}, lr`);
    else macs.push(`smlad r12, r10, ${u}, ${a0}`, `smlabt r12, r11, ${v}, r12`, `smlad lr, r11, ${u}, ${b0}`, `ldr r10, [r0, #${ky * rowBytes + 8 - 4 * S}]`, `smlabt lr, r10, ${v}, lr`);
  }
  // STRB's post-increment reaches 255 bytes
  const store = (second: boolean) => (C <= 255 ? [`strb r9, [r1], #${C}`] : second ? [`strb r9, [r1, #${C}]`, `add r1, #${2 * C}`] : ['strb r9, [r1]']);
  const requant = (acc: string, second: boolean) => [...requantLines(f, 'r9', acc, 'r10', 'r11', 'r2'), 'ssat r9, #8, r9', ...store(second)];
  // the frame: [sp] bias, [sp, #4] multiplier, [sp, #8] add, [sp, #12] e, [sp, #16] the end pointer
  const lines = [
    'push {r4-r11, lr}',
    'ldm r2, {r3-r12}', 'sub sp, #24', 'stm sp, {r9-r12}', ...addBytes('r2', 4 * S * pairs), 'str r2, [sp, #16]',
    '1:',
    ...macs,
    'ldrd r10, r11, [sp, #4]', 'ldr r2, [sp, #12]',
    ...requant('r12', false), ...requant('lr', true),
    'ldr r9, [sp]', 'ldr r2, [sp, #16]', 'cmp r0, r2', 'bne 1b',
    'add sp, #24', 'pop {r4-r11, pc}',
  ];
  return nakedFunction(`dw3: ${pairs} output pairs of one channel's row, stride ${S}`, name, ['const int16_t *r', 'int8_t *o', 'const int32_t *table'], lines);
}

export function fcBlockName(n4: number): string {
  return `reparo_fc8p_g${n4}`;
}

/**
 * A dense layer's int8 weights packed for fcBlockFunction, or undefined where the packing is not exact.
 * Channels pair up (4b, 4b+1) and (4b+2, 4b+3), the first of a pair "low", the second "high"; per block of
 * 4 channels and group g of 4 inputs 4 words {pair 0 x-word 0, pair 0 x-word 1, pair 1 x-word 0, pair 1
 * x-word 1}, x-word j holding inputs 4g+j and 4g+2+j (the SXTB16 order), each halfword the int16
 * w_low + 256 * w_high (zero beyond the inputs). One SMLAD of such a word accumulates A += Σ x (w_low +
 * 256 w_high); SXTB16 of it gives w_low, and a second SMLAD B += Σ x w_low: 4 MACs in 3 instructions,
 * and A − B = 256 Σ x w_high exactly while it fits an int32. Exact where every halfword fits an int16
 * (packedHalf) and 128 Σ|w_high| < PACKED_HIGH_BOUND per channel (|x| ≤ 128).
 */
export function fcBlockWeights(w: Int8Array, OC: number, D: number): Int32Array | undefined {
  const n4 = Math.ceil(D / 4);
  const at = (c: number, k: number) => (k < D ? w[c * D + k]! : 0);
  for (let c = 1; c < OC; c += 2) {
    let sum = 0;
    for (let k = 0; k < D; k++) sum += Math.abs(at(c, k));
    if (128 * sum >= PACKED_HIGH_BOUND) return undefined;
  }
  const out = new Int32Array(OC * n4);
  for (let c = 0; c < OC; c += 4)
    for (let g = 0; g < n4; g++)
      for (let p = 0; p < 2; p++)
        for (let j = 0; j < 2; j++) {
          const [h0, h1] = [4 * g + j, 4 * g + 2 + j].map((k) => packedHalf(at(c + 2 * p, k), at(c + 2 * p + 1, k)));
          if (h0 === undefined || h1 === undefined) return undefined;
          out[((c / 4) * n4 + g) * 4 + 2 * p + j] = h0 | (h1 << 16);
        }
  return out;
}

/**
 * One dense row x 4 output channels over n4 groups of 4 inputs: r0 the row as SXTB16 pairs (per group
 * the words {x0, x2}, {x1, x3}), r1 the block's fcBlockWeights, r2 the 4 biases, r3 int32_t[4] out =
 * {B0, A0, B1, A1}: channel 4b's accumulator B0, and A0 − B0 = 256 × channel 4b+1's sum without its bias
 * (the same for the second pair). Two groups are one LDM of the 4 input words, two LDMs of 4 weight words
 * and 24 multiply/extend instructions: 27 instructions for 32 MACs.
 */
export function fcBlockFunction(n4: number): string {
  // r2, r3 B0, A0; r12, lr B1, A1; r4-r7 the inputs of two groups; r8-r11 one group's weights
  const macs = (x0: string, x1: string) =>
    [['r8', x0, 'r3', 'r2'], ['r9', x1, 'r3', 'r2'], ['r10', x0, 'lr', 'r12'], ['r11', x1, 'lr', 'r12']].flatMap(([w, x, a, b]) => [
      `smlad ${a}, ${w}, ${x}, ${a}`, `sxtb16 ${w}, ${w}`, `smlad ${b}, ${w}, ${x}, ${b}`,
    ]);
  const steps = (groups: number) => [
    ...Array.from({ length: groups >> 1 }, () => ['ldm r0!, {r4-r7}', 'ldm r1!, {r8-r11}', ...macs('r4', 'r5'), 'ldm r1!, {r8-r11}', ...macs('r6', 'r7')]).flat(),
    ...(groups & 1 ? ['ldm r0!, {r4, r5}', 'ldm r1!, {r8-r11}', ...macs('r4', 'r5')] : []),
  ];
  const loop = n4 > UNROLL_GROUPS;
  // [sp] the out pointer, and below it the end pointer while the pass loop runs
  const lines = [
    'push {r3-r11, lr}',
    ...(loop ? [...addBytes('r4', 8 * n4), 'push {r4}'] : []),
    'ldr r3, [r2]', 'ldr lr, [r2, #8]', 'mov r2, r3', 'mov r12, lr',
    ...(loop ? [...steps(n4 % LOOP_GROUPS), '2:', ...steps(LOOP_GROUPS), 'ldr r4, [sp]', 'cmp r0, r4', 'bne 2b', 'add sp, #4'] : steps(n4)),
    'ldr r4, [sp]', 'stm r4, {r2, r3, r12, lr}', 'pop {r3-r11, pc}',
  ];
  return nakedFunction(`one dense row x 4 channels over ${n4} groups of 4 inputs, packed int8 weights`, fcBlockName(n4), ['const int32_t *x', 'const int32_t *w', 'const int32_t *bias', 'int32_t *out'], lines);
}
