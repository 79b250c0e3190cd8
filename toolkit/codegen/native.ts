/**
 * The native runtime: an int8 TfliteModel as portable C99 with no interpreter and no malloc.
 *
 * emitNativeC writes model.h (sizes, shapes, quantization as #defines; reparo_invoke), model.c
 * (weights and precomputed requantization constants as static const arrays, one static arena with
 * every activation at a fixed offset from memory-plan.ts, one function per layer with its shapes
 * as constants) and reparo_kernels.h (the integer arithmetic of TFLite Micro's reference kernels:
 * SaturatingRoundingDoublingHighMul + RoundingDivideByPOT, double rounding).
 *
 * Bit-exactness with the int8 interpreter (toolkit/int8) comes from computing every constant with
 * the interpreter's own functions. Accumulators are uint32 so int32 wraparound is defined and
 * matches TFLM's; the input zero point is folded into the bias (exact modulo 2^32) wherever the
 * whole window lies inside the image, border pixels use the raw bias and subtract the zero point.
 */
import { ReparoError } from '../errors.ts';
import type { Operator, TensorDef, TfliteModel } from '../tflite/model.ts';
import { quantizeMultiplier, type QuantizedMultiplier } from '../int8/arithmetic.ts';
import { activationRange, channelMultipliers, windowOutputSize, windowPaddingBefore, type TensorQuant } from '../int8/quant.ts';
import { allocateTensor } from '../int8/tensors.ts';
import type { KernelContext, TensorData } from '../int8/kernel.ts';
import { prepareSoftmax } from '../int8/kernels/softmax.ts';
import { prepareLogistic } from '../int8/kernels/logistic.ts';
import { createMemoryPlan } from './memory-plan.ts';

export interface NativeOptions {
  /** arena and weight alignment in bytes (default 16) */
  alignment?: number;
}

export interface NativeResult {
  files: Record<string, string>;
  /** bytes of the static activation arena */
  arenaSize: number;
  /** the sum of all planned activation buffers (what the arena would be without reuse) */
  activationBytes: number;
}

const SUPPORTED = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'MUL', 'MEAN', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'PAD', 'RESHAPE', 'SOFTMAX', 'LOGISTIC']);

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function fail(code: 'E_UNSUPPORTED_OP' | 'E_SHAPE' | 'E_QUANT_PARAMS' | 'E_GRAPH', message: string, op?: Operator, opIndex?: number): never {
  throw new ReparoError(code, message, op ? { op: op.op, node: `#${opIndex}` } : {});
}

/** C initializer rows of integers. */
function cArray(values: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i += 24) parts.push('  ' + Array.from(Array.prototype.slice.call(values, i, i + 24) as number[], cInt).join(', '));
  return parts.join(',\n');
}

/** An int32 as a C literal (INT32_MIN cannot be written directly). */
function cInt(v: number): string {
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

/**
 * Packs int8 weights as int16 pairs for SMLAD: each run of `n` values (runs start every `n`) gives
 * floor(n / 4) groups of two words, {w0, w2} and {w1, w3} (low half first), matching
 * __sxtb16(x) (bytes 0 and 2) and __sxtb16(x ror 8) (bytes 1 and 3) of a little-endian input load.
 */
function packPairs(w: ArrayLike<number>, runs: number, n: number): Int32Array {
  const g4 = Math.floor(n / 4);
  const out = new Int32Array(Math.max(runs * g4 * 2, 1));
  const pair = (lo: number, hi: number) => ((lo & 0xffff) | (hi << 16)) | 0;
  for (let r = 0; r < runs; r++)
    for (let g = 0; g < g4; g++) {
      const b = r * n + 4 * g;
      out[(r * g4 + g) * 2] = pair(w[b], w[b + 2]);
      out[(r * g4 + g) * 2 + 1] = pair(w[b + 1], w[b + 3]);
    }
  return out;
}

function cFloat(v: number): string {
  const s = v.toPrecision(9);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

export function emitNativeC(model: TfliteModel, opts: NativeOptions = {}): NativeResult {
  const alignment = opts.alignment ?? 16;
  const unsupported = [...new Set(model.operators.map((o) => o.op).filter((o) => !SUPPORTED.has(o)))];
  if (unsupported.length) throw new ReparoError('E_UNSUPPORTED_OP', `the native C runtime has no kernel for ${unsupported.join(', ')}`);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) fail('E_GRAPH', `the native runtime needs one input and one output; the model has ${model.inputs.length} and ${model.outputs.length}`);
  const [inT, outT] = [model.inputs[0], model.outputs[0]];
  const def = (i: number): TensorDef => {
    const d = model.tensors[i];
    if (!d) fail('E_GRAPH', `tensor index ${i} is out of range`);
    return d;
  };
  for (const t of [inT, outT]) if (def(t).type !== 'int8') fail('E_GRAPH', `model input/output '${def(t).name}' is ${def(t).type}; the native runtime needs int8`);
  if (inT === outT) fail('E_GRAPH', 'the model output is its input');
  const quantOf = (i: number): TensorQuant => {
    const q = def(i).quantization;
    if (!q || !q.scale.length || !q.zeroPoint.length) fail('E_QUANT_PARAMS', `tensor ${i} '${def(i).name}' has no quantization parameters`);
    return { scale: Math.fround(q.scale[0]), zeroPoint: q.zeroPoint[0] };
  };
  const constData = new Map<number, TensorData>();
  const constant = (i: number): TensorData => {
    if (!def(i).data) fail('E_GRAPH', `tensor ${i} '${def(i).name}' must be constant`);
    if (!constData.has(i)) constData.set(i, allocateTensor(def(i), i));
    return constData.get(i)!;
  };
  const ints = (i: number): number[] => Array.from(constant(i) as ArrayLike<number | bigint>, Number);

  // ---- memory plan: RESHAPE outputs alias their inputs unless the output is the model output
  const alias = new Map<number, number>();
  const root = (t: number): number => (alias.has(t) ? root(alias.get(t)!) : t);
  model.operators.forEach((op) => {
    if (op.op === 'RESHAPE' && op.outputs[0] !== outT) alias.set(op.outputs[0], op.inputs[0]);
  });
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const isActivation = (t: number) => t >= 0 && !def(t).data;
  model.operators.forEach((op, i) => {
    for (const t of op.outputs) {
      const r = root(t);
      if (!first.has(r)) first.set(r, i);
      last.set(r, Math.max(last.get(r) ?? i, i));
    }
    for (const t of op.inputs) {
      if (!isActivation(t)) continue;
      const r = root(t);
      if (r !== inT && !first.has(r)) fail('E_GRAPH', `tensor ${t} '${def(t).name}' is read before it is written`, op, i);
      last.set(r, Math.max(last.get(r) ?? i, i));
    }
  });
  const plan = createMemoryPlan(alignment);
  const bufferOf = new Map<number, number>();
  let activationBytes = 0;
  for (const [r, f] of first) {
    if (r === outT || r === inT) continue;
    const size = Math.max(...[...model.tensors.keys()].filter((t) => root(t) === r).map((t) => count(def(t).shape)));
    activationBytes += size;
    bufferOf.set(r, plan.addBuffer(size, f, last.get(r)!));
  }
  const arenaSize = plan.arenaSize();
  const decls: string[] = [];
  const constOperands = new Set<number>();
  const ptr = (t: number): string => {
    if (def(t).data) {
      if (def(t).type !== 'int8') fail('E_UNSUPPORTED_OP', `constant operand '${def(t).name}' is ${def(t).type}; only int8 is supported`);
      if (!constOperands.has(t)) {
        constOperands.add(t);
        decls.push(`static const int8_t c${t}[${Math.max(count(def(t).shape), 1)}] REPARO_ALIGN = {\n${cArray(constant(t) as Int8Array)}\n};`);
      }
      return `c${t}`;
    }
    const r = root(t);
    if (r === inT) return 'input';
    if (r === outT) return 'output';
    return `(arena + ${plan.offsetOf(bufferOf.get(r)!)})`;
  };

  // ---- layers
  const funcs: string[] = [];
  const calls: string[] = [];
  const constArray = (name: string, type: string, values: ArrayLike<number>) => {
    decls.push(`static const ${type} ${name}[${Math.max(values.length, 1)}] REPARO_ALIGN = {\n${values.length ? cArray(values) : '  0'}\n};`);
  };
  /** int16-pair weights for the DSP path; only compiled where that path is. */
  const dspArray = (name: string, values: Int32Array) => {
    decls.push(`#if REPARO_DSP\nstatic const int32_t ${name}[${values.length}] REPARO_ALIGN = {\n${cArray(values)}\n};\n#endif`);
  };

  model.operators.forEach((op, i) => {
    const L = `l${i}`;
    const o = op.outputs[0];
    const x = op.inputs[0];
    if (op.op === 'RESHAPE') {
      if (count(def(x).shape) !== count(def(o).shape)) fail('E_SHAPE', `cannot reshape [${def(x).shape}] to [${def(o).shape}]`, op, i);
      if (root(o) !== root(x)) calls.push(`  memcpy(${ptr(o)}, ${ptr(x)}, ${count(def(o).shape)}); /* #${i} RESHAPE */`);
      else calls.push(`  /* #${i} RESHAPE: aliased */`);
      return;
    }
    for (const t of [...op.inputs.filter(isActivation), o]) if (def(t).type !== 'int8') fail('E_UNSUPPORTED_OP', `tensor '${def(t).name}' is ${def(t).type}; only int8 activations are supported`, op, i);
    const body = emitLayer(op, i, L);
    funcs.push(`/* #${i} ${op.op}: ${def(x).name} [${def(x).shape}] -> ${def(o).name} [${def(o).shape}] */\nstatic void ${L}(${body.params}) {\n${body.code}\n}`);
    calls.push(`  ${L}(${body.args.join(', ')});`);
  });

  function emitLayer(op: Operator, i: number, L: string): { params: string; args: string[]; code: string } {
    const o = op.outputs[0];
    const x = op.inputs[0];
    const unary = { params: 'const int8_t *in, int8_t *out', args: [ptr(x), ptr(o)] };
    const inQ = quantOf(x);
    const outQ = quantOf(o);
    const clampStore = (lhs: string, v: string, min: number, max: number) => `${lhs} = (int8_t)(${v} < ${min} ? ${min} : ${v} > ${max} ? ${max} : ${v});`;
    switch (op.op) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const depthwise = op.op === 'DEPTHWISE_CONV_2D';
        const [wIdx, bIdx] = [op.inputs[1], op.inputs[2] ?? -1];
        const [B, IH, IW, IC] = def(x).shape;
        const ws = def(wIdx).shape;
        const [OB, OH, OW, OC] = def(o).shape;
        if (def(x).shape.length !== 4 || ws.length !== 4 || def(o).shape.length !== 4 || OB !== B) fail('E_SHAPE', 'conv shapes must be rank 4', op, i);
        const [KH, KW] = [ws[1], ws[2]];
        const GIC = depthwise ? 1 : ws[3];
        const M = depthwise ? op.depthMultiplier : 1;
        if (depthwise ? ws[0] !== 1 || ws[3] !== OC || OC !== IC * M : ws[0] !== OC || IC % GIC !== 0 || OC % (IC / GIC) !== 0) fail('E_SHAPE', `filter [${ws}] does not fit input [${def(x).shape}] and output [${def(o).shape}]`, op, i);
        const GOC = depthwise ? 1 : OC / (IC / GIC);
        const { strideH: SH, strideW: SW, dilationH: DH, dilationW: DW } = op;
        const oh = windowOutputSize(op.padding, IH, KH, SH, DH);
        const ow = windowOutputSize(op.padding, IW, KW, SW, DW);
        if (oh !== OH || ow !== OW) fail('E_SHAPE', `output ${OH}x${OW} does not match ${op.padding} geometry ${oh}x${ow}`, op, i);
        const PT = windowPaddingBefore(IH, KH, SH, DH, OH);
        const PL = windowPaddingBefore(IW, KW, SW, DW, OW);
        const wq = def(wIdx).quantization;
        if (!wq || !wq.scale.length) fail('E_QUANT_PARAMS', 'weights have no scale', op, i);
        if (wq.scale.length !== 1 && (wq.scale.length !== OC || wq.quantizedDimension !== (depthwise ? 3 : 0))) fail('E_QUANT_PARAMS', 'weights scales do not match output channels', op, i);
        const wScales = wq.scale.length === 1 ? new Array<number>(OC).fill(Math.fround(wq.scale[0])) : wq.scale.map((s) => Math.fround(s));
        const { multipliers, shifts } = channelMultipliers(inQ.scale, wScales, outQ.scale);
        const { min, max } = activationRange(op.activation, outQ);
        const w = constant(wIdx) as Int8Array;
        const bias = bIdx >= 0 ? (constant(bIdx) as Int32Array) : new Int32Array(OC);
        if (bias.length !== OC) fail('E_SHAPE', `bias has ${bias.length} values for ${OC} channels`, op, i);
        const inOff = -inQ.zeroPoint;
        const taps = KH * KW;
        const folded = Int32Array.from(bias, (b, c) => {
          let s = 0;
          if (depthwise) for (let t = 0; t < taps; t++) s += w[t * OC + c];
          else for (let k = 0; k < taps * GIC; k++) s += w[c * taps * GIC + k];
          return (b + Math.imul(inOff, s)) | 0;
        });
        let border = false;
        for (let oy = 0; oy < OH; oy++) for (const ox of [0, OW - 1]) {
          const [iy, ix] = [oy * SH - PT, ox * SW - PL];
          if (iy < 0 || iy + (KH - 1) * DH >= IH || ix < 0 || ix + (KW - 1) * DW >= IW) border = true;
        }
        for (const oy of [0, OH - 1]) for (let ox = 0; ox < OW; ox++) {
          const [iy, ix] = [oy * SH - PT, ox * SW - PL];
          if (iy < 0 || iy + (KH - 1) * DH >= IH || ix < 0 || ix + (KW - 1) * DW >= IW) border = true;
        }
        constArray(`${L}_w`, 'int8_t', w);
        constArray(`${L}_bias`, 'int32_t', folded);
        if (border) constArray(`${L}_braw`, 'int32_t', bias);
        constArray(`${L}_mult`, 'int32_t', multipliers);
        constArray(`${L}_shift`, 'int32_t', shifts);
        const off = border ? ' + off' : '';
        const tapCheckY = border ? `if ((unsigned)iy >= ${IH}u) continue;` : '';
        const tapCheckX = border ? `if ((unsigned)ix >= ${IW}u) continue;` : '';
        const G4 = depthwise ? 0 : Math.floor(GIC / 4);
        if (G4) dspArray(`${L}_wp`, packPairs(w, OC * taps, GIC));
        const scalarInner = `for (int k = 0; k < ${GIC}; ++k) acc += (uint32_t)(wp[k] * (xp[k]${off}));`;
        const inner = depthwise
          ? `acc += (uint32_t)(${L}_w[(ky * ${KW} + kx) * ${OC} + oc] * (xp[ic]${off}));`
          : G4
            ? `{
              const int8_t *wp = wrow + (ky * ${KW} + kx) * ${GIC};
#if REPARO_DSP
              int k = 0;
              ${border ? 'if (!off) ' : ''}{ acc = reparo_dot4_s8(xp, ${L}_wp + (oc * ${taps} + ky * ${KW} + kx) * ${2 * G4}, ${G4}, acc); k = ${4 * G4}; }
              for (; k < ${GIC}; ++k) acc += (uint32_t)(wp[k] * (xp[k]${off}));
#else
              ${scalarInner}
#endif
              }`
            : `{ const int8_t *wp = wrow + (ky * ${KW} + kx) * ${GIC}; ${scalarInner} }`;
        const singleBody = `{
          ${depthwise ? `const int ic = oc / ${M};` : `const int8_t *wrow = ${L}_w + oc * ${taps * GIC}; const int8_t *xg = img + (oc / ${GOC}) * ${GIC};`}
          uint32_t acc = (uint32_t)${border ? `(full ? ${L}_bias[oc] : ${L}_braw[oc])` : `${L}_bias[oc]`};
          for (int ky = 0; ky < ${KH}; ++ky) {
            const int iy = iy0 + ky * ${DH};
            ${tapCheckY}
            for (int kx = 0; kx < ${KW}; ++kx) {
              const int ix = ix0 + kx * ${DW};
              ${tapCheckX}
              const int8_t *xp = ${depthwise ? 'img' : 'xg'} + (iy * ${IW} + ix) * ${IC};
              ${inner}
            }
          }
          {
            const int32_t v = reparo_mbqm((int32_t)acc, ${L}_mult[oc], ${L}_shift[oc]) + ${outQ.zeroPoint};
            ${clampStore('o[oc]', 'v', min, max)}
          }
        }`;
        const pairOc = !depthwise && G4 > 0 && OC % 2 === 0 && GOC % 2 === 0;
        const NB = pairOc && OC % 4 === 0 && GOC % 4 === 0 ? 4 : 2;
        const requant = (acc: string, c: string) => `{
            const int32_t v = reparo_mbqm((int32_t)${acc}, ${L}_mult[${c}], ${L}_shift[${c}]) + ${outQ.zeroPoint};
            ${clampStore(`o[${c}]`, 'v', min, max)}
          }`;
        // DSP: NB (2 or 4) output channels per pass share each input load and its sign extension.
        const js = Array.from({ length: NB }, (_, j) => j);
        const pairBody = `{
            const int8_t *xg = img + (oc / ${GOC}) * ${GIC};
            uint32_t acc[${NB}];
            ${js.map((j) => `acc[${j}] = (uint32_t)${L}_bias[oc + ${j}];`).join(' ')}
            for (int ky = 0; ky < ${KH}; ++ky) {
              const int iy = iy0 + ky * ${DH};
              for (int kx = 0; kx < ${KW}; ++kx) {
                const int ix = ix0 + kx * ${DW};
                const int t = ky * ${KW} + kx;
                const int8_t *xp = xg + (iy * ${IW} + ix) * ${IC};
                const int32_t *wq = ${L}_wp + (oc * ${taps} + t) * ${2 * G4};
                reparo_dot4x${NB}_s8(xp, wq, ${taps * 2 * G4}, ${G4}, acc);
                for (int k = ${4 * G4}; k < ${GIC}; ++k) {
                  ${js.map((j) => `acc[${j}] += (uint32_t)(${L}_w[((oc + ${j}) * ${taps} + t) * ${GIC} + k] * xp[k]);`).join('\n                  ')}
                }
              }
            }
            ${js.map((j) => requant(`acc[${j}]`, `oc + ${j}`)).join('\n            ')}
          }`;
        const pairLoop = pairOc
          ? `        for (int oc = 0; oc < ${OC}; oc += ${NB}) {
          ${border ? `if (full) ${pairBody} else { const int oc0 = oc; for (int oc = oc0; oc < oc0 + ${NB}; ++oc) ${singleBody} }` : pairBody}
        }
`
          : '';
        // DSP depthwise (multiplier 1): four channels at a time, taps paired per channel with PKHBT/PKHTB,
        // weights packed {w[t][c], w[t+1][c]} per channel; an odd last tap pairs with a zero weight.
        const dwOk = depthwise && M === 1 && OC % 4 === 0;
        let dwLoop = '';
        if (dwOk) {
          const P = Math.ceil(taps / 2);
          const wd = new Int32Array((OC / 4) * P * 4);
          for (let g = 0; g < OC / 4; g++)
            for (let p = 0; p < P; p++)
              for (let j = 0; j < 4; j++) {
                const c = 4 * g + j;
                const t = 2 * p;
                const hi = t + 1 < taps ? w[(t + 1) * OC + c] : 0;
                wd[(g * P + p) * 4 + j] = ((w[t * OC + c] & 0xffff) | (hi << 16)) | 0;
              }
          dspArray(`${L}_wd`, wd);
          const tapOff = (t: number) => (Math.floor(t / KW) * DH * IW + (t % KW) * DW) * IC;
          const calls: string[] = [];
          for (let p = 0; p < P; p++) {
            const t = 2 * p;
            const u = t + 1 < taps ? t + 1 : t;
            calls.push(`reparo_dw4_pair(xb + ${tapOff(t)}, xb + ${tapOff(u)}, wd + ${p * 4}, acc);`);
          }
          dwLoop = `        if (${border ? 'full' : '1'}) {
          const int8_t *xc = img + (iy0 * ${IW} + ix0) * ${IC};
          for (int c = 0; c < ${OC}; c += 4) {
            const int8_t *xb = xc + c;
            const int32_t *wd = ${L}_wd + (c / 4) * ${P * 4};
            uint32_t acc[4];
            acc[0] = (uint32_t)${L}_bias[c]; acc[1] = (uint32_t)${L}_bias[c + 1]; acc[2] = (uint32_t)${L}_bias[c + 2]; acc[3] = (uint32_t)${L}_bias[c + 3];
            ${calls.join('\n            ')}
            ${[0, 1, 2, 3].map((j) => requant(`acc[${j}]`, `c + ${j}`)).join('\n            ')}
          }
        } else
`;
        }
        const code = `  for (int n = 0; n < ${B}; ++n) {
    const int8_t *img = in + n * ${IH * IW * IC};
    for (int oy = 0; oy < ${OH}; ++oy) {
      const int iy0 = oy * ${SH} - ${PT};
      for (int ox = 0; ox < ${OW}; ++ox) {
        const int ix0 = ox * ${SW} - ${PL};
        int8_t *o = out + ((n * ${OH} + oy) * ${OW} + ox) * ${OC};
${
  border
    ? `        const int full = iy0 >= 0 && iy0 + ${(KH - 1) * DH} < ${IH} && ix0 >= 0 && ix0 + ${(KW - 1) * DW} < ${IW};
        const int32_t off = full ? 0 : ${inOff};`
    : ''
}
${pairOc ? '#if REPARO_DSP\n' + pairLoop + '#else\n' : ''}${dwOk ? '#if REPARO_DSP\n' + dwLoop + '#endif\n' : ''}        for (int oc = 0; oc < ${OC}; ++oc) ${singleBody}
${pairOc ? '#endif\n' : ''}      }
    }
  }`;
        return { ...unary, code };
      }
      case 'FULLY_CONNECTED': {
        const [wIdx, bIdx] = [op.inputs[1], op.inputs[2] ?? -1];
        const ws = def(wIdx).shape;
        if (ws.length !== 2) fail('E_SHAPE', `weights [${ws}] must be [out, in]`, op, i);
        const [OC, D] = ws;
        const rows = count(def(o).shape) / OC;
        if (def(o).shape[def(o).shape.length - 1] !== OC || count(def(x).shape) !== rows * D) fail('E_SHAPE', 'FULLY_CONNECTED shapes do not match', op, i);
        const wq = def(wIdx).quantization;
        if (!wq || !wq.scale.length) fail('E_QUANT_PARAMS', 'weights have no scale', op, i);
        const perChannel = wq.scale.length > 1;
        let mults: Int32Array;
        let shifts: Int32Array;
        let wOff = 0;
        if (perChannel) {
          if (wq.scale.length !== OC) fail('E_QUANT_PARAMS', 'weight scales do not match output channels', op, i);
          ({ multipliers: mults, shifts } = channelMultipliers(inQ.scale, wq.scale.map((s) => Math.fround(s)), outQ.scale));
        } else {
          const wQ = quantOf(wIdx);
          if (bIdx >= 0) {
            const biasScale = Math.fround(def(bIdx).quantization?.scale[0] ?? 0);
            if (Math.abs(inQ.scale * wQ.scale - biasScale) / outQ.scale > 0.02) fail('E_QUANT_PARAMS', `bias scale ${biasScale} is not input scale × weight scale`, op, i);
          }
          const m: QuantizedMultiplier = quantizeMultiplier(Math.fround(inQ.scale * wQ.scale) / outQ.scale);
          mults = new Int32Array(OC).fill(m.multiplier);
          shifts = new Int32Array(OC).fill(m.shift);
          wOff = -wQ.zeroPoint;
        }
        const w = constant(wIdx) as Int8Array;
        const wAdj = wOff ? Int16Array.from(w, (v) => v + wOff) : w;
        const bias = bIdx >= 0 ? (constant(bIdx) as Int32Array) : new Int32Array(OC);
        if (bias.length !== OC) fail('E_SHAPE', `bias has ${bias.length} values for ${OC} channels`, op, i);
        const inOff = -inQ.zeroPoint;
        const folded = Int32Array.from(bias, (b, c) => {
          let s = 0;
          for (let k = 0; k < D; k++) s += wAdj[c * D + k];
          return (b + Math.imul(inOff, s)) | 0;
        });
        const { min, max } = activationRange(op.activation, outQ);
        constArray(`${L}_w`, wOff ? 'int16_t' : 'int8_t', wAdj);
        const fcG4 = wOff ? 0 : Math.floor(D / 4);
        if (fcG4) dspArray(`${L}_wp`, packPairs(w, OC, D));
        constArray(`${L}_bias`, 'int32_t', folded);
        constArray(`${L}_mult`, 'int32_t', mults);
        constArray(`${L}_shift`, 'int32_t', shifts);
        const code = `  for (int r = 0; r < ${rows}; ++r) {
    const int8_t *xr = in + r * ${D};
    for (int oc = 0; oc < ${OC}; ++oc) {
      const ${wOff ? 'int16_t' : 'int8_t'} *wr = ${L}_w + oc * ${D};
      uint32_t acc = (uint32_t)${L}_bias[oc];
${
  fcG4
    ? `#if REPARO_DSP
      acc = reparo_dot4_s8(xr, ${L}_wp + oc * ${2 * fcG4}, ${fcG4}, acc);
      for (int k = ${4 * fcG4}; k < ${D}; ++k) acc += (uint32_t)(wr[k] * xr[k]);
#else
      for (int k = 0; k < ${D}; ++k) acc += (uint32_t)(wr[k] * xr[k]);
#endif`
    : `      for (int k = 0; k < ${D}; ++k) acc += (uint32_t)(wr[k] * xr[k]);`
}
      {
        const int32_t v = reparo_mbqm((int32_t)acc, ${L}_mult[oc], ${L}_shift[oc]) + ${outQ.zeroPoint};
        ${clampStore(`out[r * ${OC} + oc]`, 'v', min, max)}
      }
    }
  }`;
        return { ...unary, code };
      }
      case 'ADD':
      case 'MUL': {
        const y = op.inputs[1];
        const yQ = quantOf(y);
        const { min, max } = activationRange(op.activation, outQ);
        const outShape = def(o).shape;
        const rank = outShape.length;
        if (rank > 4) fail('E_UNSUPPORTED_OP', `rank ${rank} broadcast`, op, i);
        const strides = (shape: number[]) => {
          if (shape.length > rank) fail('E_SHAPE', `input [${shape}] has higher rank than output [${outShape}]`, op, i);
          const s = new Array<number>(4).fill(0);
          let acc = 1;
          for (let k = shape.length - 1; k >= 0; k--) {
            const d = shape[k];
            const od = outShape[k + rank - shape.length];
            if (d !== od && d !== 1) fail('E_SHAPE', `[${shape}] does not broadcast to [${outShape}]`, op, i);
            s[4 - shape.length + k] = d === 1 ? 0 : acc;
            acc *= d;
          }
          return s;
        };
        const dims = [...new Array<number>(4 - rank).fill(1), ...outShape];
        const sa = strides(def(x).shape);
        const sb = strides(def(y).shape);
        let element: string;
        if (op.op === 'ADD') {
          const twiceMax = 2 * Math.max(inQ.scale, yQ.scale);
          const below1 = (real: number, what: string) => {
            if (!(real > 0 && real < 1)) fail('E_QUANT_PARAMS', `${what} rescale ${real} is not in (0, 1)`, op, i);
            return quantizeMultiplier(real);
          };
          const m1 = below1(inQ.scale / twiceMax, 'input 1');
          const m2 = below1(yQ.scale / twiceMax, 'input 2');
          const mo = below1(twiceMax / (2 ** 20 * outQ.scale), 'output');
          element = `const int32_t a = (int32_t)((a8 + ${-inQ.zeroPoint}) * (1 << 20));
          const int32_t b = (int32_t)((b8 + ${-yQ.zeroPoint}) * (1 << 20));
          const int32_t s = (int32_t)((uint32_t)reparo_mbqm(a, ${m1.multiplier}, ${m1.shift}) + (uint32_t)reparo_mbqm(b, ${m2.multiplier}, ${m2.shift}));
          const int32_t v = reparo_mbqm(s, ${mo.multiplier}, ${mo.shift}) + ${outQ.zeroPoint};`;
        } else {
          const m = quantizeMultiplier((inQ.scale * yQ.scale) / outQ.scale);
          element = `const int32_t p = (a8 + ${-inQ.zeroPoint}) * (b8 + ${-yQ.zeroPoint});
          const int32_t v = reparo_mbqm(p, ${m.multiplier}, ${m.shift}) + ${outQ.zeroPoint};`;
        }
        const code = `  int8_t *o = out;
  for (int d0 = 0; d0 < ${dims[0]}; ++d0)
    for (int d1 = 0; d1 < ${dims[1]}; ++d1)
      for (int d2 = 0; d2 < ${dims[2]}; ++d2)
        for (int d3 = 0; d3 < ${dims[3]}; ++d3) {
          const int32_t a8 = in1[d0 * ${sa[0]} + d1 * ${sa[1]} + d2 * ${sa[2]} + d3 * ${sa[3]}];
          const int32_t b8 = in2[d0 * ${sb[0]} + d1 * ${sb[1]} + d2 * ${sb[2]} + d3 * ${sb[3]}];
          ${element}
          ${clampStore('*o++', 'v', min, max)}
        }`;
        return { params: 'const int8_t *in1, const int8_t *in2, int8_t *out', args: [ptr(x), ptr(y), ptr(o)], code };
      }
      case 'MEAN': {
        const shape = def(x).shape;
        const axes = [...new Set(ints(op.inputs[1]).map((a) => (a < 0 ? a + shape.length : a)))].sort((a, b) => a - b);
        if (shape.length !== 4 || axes.join() !== '1,2') fail('E_UNSUPPORTED_OP', `MEAN over axes [${axes}] of rank ${shape.length} (only H,W of NHWC)`, op, i);
        const [B, H, W, C] = shape;
        if (count(def(o).shape) !== B * C) fail('E_SHAPE', `output [${def(o).shape}] does not fit`, op, i);
        const n = H * W;
        const base = quantizeMultiplier(inQ.scale / outQ.scale);
        const s = Math.min(31 - Math.clz32(n), 32, 31 + base.shift);
        const multiplier = Number((BigInt(base.multiplier) << BigInt(s)) / BigInt(n));
        const shift = base.shift - s;
        if (shift < -31) fail('E_UNSUPPORTED_OP', `MEAN rescale shift ${shift} is out of range`, op, i);
        const code = `  for (int b = 0; b < ${B}; ++b)
    for (int c = 0; c < ${C}; ++c) {
      uint32_t sum = 0;
      const int8_t *p = in + b * ${n * C} + c;
      for (int k = 0; k < ${n}; ++k) sum += (uint32_t)(int32_t)p[k * ${C}];
      {
        const int32_t v = reparo_mbqm((int32_t)(sum - (uint32_t)${cInt((inQ.zeroPoint * n) | 0)}), ${multiplier}, ${shift}) + ${outQ.zeroPoint};
        ${clampStore(`out[b * ${C} + c]`, 'v', -128, 127)}
      }
    }`;
        return { ...unary, code };
      }
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D': {
        const [B, IH, IW, C] = def(x).shape;
        const [, OH, OW] = def(o).shape;
        if (def(x).shape.length !== 4 || def(o).shape[3] !== C) fail('E_SHAPE', 'pool shapes', op, i);
        if (windowOutputSize(op.padding, IH, op.filterH, op.strideH, 1) !== OH || windowOutputSize(op.padding, IW, op.filterW, op.strideW, 1) !== OW) fail('E_SHAPE', 'pool geometry', op, i);
        if (Math.abs(Math.fround(inQ.scale - outQ.scale)) > 1e-6 || inQ.zeroPoint !== outQ.zeroPoint) fail('E_QUANT_PARAMS', 'pooling input and output quantization differ', op, i);
        const PT = windowPaddingBefore(IH, op.filterH, op.strideH, 1, OH);
        const PL = windowPaddingBefore(IW, op.filterW, op.strideW, 1, OW);
        const { min, max } = activationRange(op.activation, outQ);
        const avg = op.op === 'AVERAGE_POOL_2D';
        const code = `  for (int n = 0; n < ${B}; ++n)
    for (int oy = 0; oy < ${OH}; ++oy) {
      const int iy = oy * ${op.strideH} - ${PT};
      const int y0 = iy < 0 ? -iy : 0;
      const int y1 = ${IH} - iy < ${op.filterH} ? ${IH} - iy : ${op.filterH};
      for (int ox = 0; ox < ${OW}; ++ox) {
        const int ix = ox * ${op.strideW} - ${PL};
        const int x0 = ix < 0 ? -ix : 0;
        const int x1 = ${IW} - ix < ${op.filterW} ? ${IW} - ix : ${op.filterW};
        int8_t *o = out + ((n * ${OH} + oy) * ${OW} + ox) * ${C};
        ${avg ? 'const int32_t cnt = (y1 - y0) * (x1 - x0);' : ''}
        for (int c = 0; c < ${C}; ++c) {
          int32_t r = ${avg ? 0 : -128};
          for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
              const int32_t v = in[((n * ${IH} + iy + y) * ${IW} + ix + x) * ${C} + c];
              ${avg ? 'r += v;' : 'if (v > r) r = v;'}
            }
          ${avg ? 'r = r > 0 ? (r + cnt / 2) / cnt : (r - cnt / 2) / cnt;' : ''}
          ${clampStore('o[c]', 'r', min, max)}
        }
      }
    }`;
        return { ...unary, code };
      }
      case 'PAD': {
        const shape = def(x).shape;
        const outShape = def(o).shape;
        const paddings = ints(op.inputs[1]);
        const rank = shape.length;
        if (rank < 1 || rank > 4 || paddings.length !== 2 * rank || outShape.length !== rank) fail('E_SHAPE', `paddings [${paddings}] do not fit [${shape}]`, op, i);
        for (let k = 0; k < rank; k++) if (paddings[2 * k] < 0 || paddings[2 * k + 1] < 0 || outShape[k] !== shape[k] + paddings[2 * k] + paddings[2 * k + 1]) fail('E_SHAPE', `paddings [${paddings}] take [${shape}] to [${outShape}]`, op, i);
        let value = outQ.zeroPoint;
        const vIdx = op.inputs[2] ?? -1;
        if (vIdx >= 0) {
          const vq = quantOf(vIdx);
          if (!def(vIdx).data || count(def(vIdx).shape) !== 1 || vq.zeroPoint !== outQ.zeroPoint || vq.scale !== outQ.scale) fail('E_UNSUPPORTED_OP', 'PAD constant_values must be one constant int8 quantized like the output', op, i);
          value = (constant(vIdx) as Int8Array)[0];
        }
        const s4 = [...new Array<number>(4 - rank).fill(1), ...shape];
        const o4 = [...new Array<number>(4 - rank).fill(1), ...outShape];
        const p4 = [...new Array<number>(2 * (4 - rank)).fill(0), ...paddings];
        const code = `  for (int k = 0; k < ${count(outShape)}; ++k) out[k] = ${value};
  for (int d0 = 0; d0 < ${s4[0]}; ++d0)
    for (int d1 = 0; d1 < ${s4[1]}; ++d1)
      for (int d2 = 0; d2 < ${s4[2]}; ++d2)
        memcpy(out + (((d0 + ${p4[0]}) * ${o4[1]} + d1 + ${p4[2]}) * ${o4[2]} + d2 + ${p4[4]}) * ${o4[3]} + ${p4[6]}, in + ((d0 * ${s4[1]} + d1) * ${s4[2]} + d2) * ${s4[3]}, ${s4[3]});`;
        return { ...unary, code };
      }
      case 'LOGISTIC': {
        const { table } = prepareLogistic(op as Operator & { op: 'LOGISTIC' }, fakeContext(op, i));
        constArray(`${L}_table`, 'int8_t', table);
        return { ...unary, code: `  for (int k = 0; k < ${count(def(o).shape)}; ++k) out[k] = ${L}_table[in[k] + 128];` };
      }
      case 'SOFTMAX': {
        const { depth, expOfMinusDiff } = prepareSoftmax(op as Operator & { op: 'SOFTMAX' }, fakeContext(op, i));
        // above 256 classes the reciprocal exponent may pass 31, where C shifts are undefined
        if (depth > 256) fail('E_UNSUPPORTED_OP', `SOFTMAX over ${depth} > 256 classes`, op, i);
        constArray(`${L}_exp`, 'int32_t', expOfMinusDiff);
        const code = `  for (int row = 0; row < ${count(def(o).shape)}; row += ${depth}) {
    const int8_t *x = in + row;
    int8_t *y = out + row;
    int32_t mx = -128;
    uint32_t sum = 0;
    for (int c = 0; c < ${depth}; ++c) if (x[c] > mx) mx = x[c];
    for (int c = 0; c < ${depth}; ++c) {
      const int32_t e = ${L}_exp[mx - x[c]];
      if (e >= 0) sum += (uint32_t)reparo_rdbypot(e, 12);
    }
    {
      const int h = reparo_clz32((uint32_t)sum);
      const int32_t scale = reparo_one_over_one_plus_x((int32_t)(((uint32_t)sum << h) - 0x80000000u));
      const int exponent = 12 - h + 23;
      for (int c = 0; c < ${depth}; ++c) {
        const int32_t e = ${L}_exp[mx - x[c]];
        int32_t v;
        if (e < 0) { y[c] = -128; continue; }
        v = reparo_rdbypot(reparo_srdhm(scale, e), exponent) - 128;
        ${clampStore('y[c]', 'v', -128, 127)}
      }
    }
  }`;
        return { ...unary, code };
      }
      default:
        fail('E_UNSUPPORTED_OP', `the native C runtime has no kernel for ${op.op}`, op, i);
    }
  }

  function fakeContext(op: Operator, opIndex: number): KernelContext {
    return {
      opIndex,
      op,
      def,
      data: ((index: number) => allocateTensor(def(index), index)) as KernelContext['data'],
      constInts: (index: number) => ints(index),
      arena: undefined as never,
      fail: (message: string, code = 'E_GRAPH') => {
        throw new ReparoError(code, message, { op: op.op, node: `#${opIndex}` });
      },
    };
  }

  // ---- files
  const iq = quantOf(inT);
  const oq = quantOf(outT);
  const header = `/* Generated by reparo: native int8 runtime (no interpreter, no malloc). */
#ifndef REPARO_MODEL_H
#define REPARO_MODEL_H

#include <stdint.h>

#define REPARO_INPUT_SIZE ${count(def(inT).shape)}
#define REPARO_INPUT_RANK ${def(inT).shape.length}
#define REPARO_INPUT_SHAPE { ${def(inT).shape.join(', ')} }
#define REPARO_INPUT_SCALE ${cFloat(iq.scale)}
#define REPARO_INPUT_ZERO_POINT ${iq.zeroPoint}
#define REPARO_OUTPUT_SIZE ${count(def(outT).shape)}
#define REPARO_OUTPUT_RANK ${def(outT).shape.length}
#define REPARO_OUTPUT_SHAPE { ${def(outT).shape.join(', ')} }
#define REPARO_OUTPUT_SCALE ${cFloat(oq.scale)}
#define REPARO_OUTPUT_ZERO_POINT ${oq.zeroPoint}
#define REPARO_ARENA_SIZE ${arenaSize}
#define REPARO_LAYER_COUNT ${model.operators.length}

#ifdef __cplusplus
extern "C" {
#endif

/* Run the model: REPARO_INPUT_SIZE int8 values in, REPARO_OUTPUT_SIZE out. Not reentrant (one static arena). Returns 0. */
int reparo_invoke(const int8_t *input, int8_t *output);

/* The same run with count() read around each operator: counts[i] = count after op i - count before it
   (REPARO_LAYER_COUNT entries). For the HIL profile; reparo_invoke itself carries no probes. */
int reparo_invoke_profiled(const int8_t *input, int8_t *output, uint64_t (*count)(void), uint64_t *counts);
/* the TFLite op name of each operator, e.g. "CONV_2D" */
extern const char *const reparo_layer_ops[REPARO_LAYER_COUNT];

#ifdef __cplusplus
}
#endif

#endif
`;
  const source = `/* Generated by reparo from a ${model.operators.length}-op int8 model. Arena: ${arenaSize} bytes (activations without reuse: ${activationBytes}). */
#include <stdint.h>
#include <string.h>
#include "model.h"
#include "reparo_kernels.h"

${arenaSize > 0 ? `static int8_t arena[${arenaSize}] REPARO_ALIGN;` : '/* no intermediate activations: no arena */'}

${decls.join('\n\n')}

${funcs.join('\n\n')}

int reparo_invoke(const int8_t *input, int8_t *output) {
${calls.join('\n')}
  return 0;
}

const char *const reparo_layer_ops[REPARO_LAYER_COUNT] = { ${model.operators.map((o) => JSON.stringify(o.op)).join(', ')} };

int reparo_invoke_profiled(const int8_t *input, int8_t *output, uint64_t (*count)(void), uint64_t *counts) {
  uint64_t t = count(), u;
${calls.map((c, i) => `${c}\n  u = count(); counts[${i}] = u - t; t = u;`).join('\n')}
  return 0;
}
`;
  return { files: { 'model.h': header, 'model.c': source, 'reparo_kernels.h': kernelsHeader(alignment) }, arenaSize, activationBytes };
}

function kernelsHeader(alignment: number): string {
  return `/* reparo: TFLite Micro's integer requantization arithmetic (double rounding), portable C99. */
#ifndef REPARO_KERNELS_H
#define REPARO_KERNELS_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define REPARO_ALIGN __attribute__((aligned(${alignment})))
#else
#define REPARO_ALIGN
#endif

/* Cortex-M DSP extension: two 16x16 multiply-accumulates per SMLAD. Integer sums are exact modulo 2^32
   in any order, so this path is bit-exact with the portable one. Opt-in (-DREPARO_USE_DSP): its weights
   are stored again as int16 pairs, about 2.3x faster for about 2x the weights' flash. */
#if defined(REPARO_USE_DSP) && defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#define REPARO_DSP 1
#include <arm_acle.h>
#include <string.h>

/* x ror 8, sign-extended bytes 1 and 3 into two int16 halves */
static inline int32_t reparo_sxtb16_ror8(int32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* dot products of one input run against 2 or 4 weight rows (stride ws words): each input word is loaded and widened once */
static inline void reparo_dot4x2_s8(const int8_t *x, const int32_t *w, int ws, int n4, uint32_t acc[2]) {
  int32_t a = (int32_t)acc[0], b = (int32_t)acc[1];
  for (int g = 0; g < n4; ++g) {
    int32_t v, lo, hi;
    memcpy(&v, x + 4 * g, 4);
    lo = __sxtb16(v);
    hi = reparo_sxtb16_ror8(v);
    a = __smlad(lo, w[2 * g], a);
    b = __smlad(lo, w[ws + 2 * g], b);
    a = __smlad(hi, w[2 * g + 1], a);
    b = __smlad(hi, w[ws + 2 * g + 1], b);
  }
  acc[0] = (uint32_t)a;
  acc[1] = (uint32_t)b;
}

static inline void reparo_dot4x4_s8(const int8_t *x, const int32_t *w, int ws, int n4, uint32_t acc[4]) {
  int32_t a = (int32_t)acc[0], b = (int32_t)acc[1], c = (int32_t)acc[2], d = (int32_t)acc[3];
  const int32_t *w0 = w, *w1 = w + ws, *w2 = w + 2 * ws, *w3 = w + 3 * ws;
  for (int g = 0; g < n4; ++g) {
    int32_t v, lo, hi;
    memcpy(&v, x + 4 * g, 4);
    lo = __sxtb16(v);
    hi = reparo_sxtb16_ror8(v);
    a = __smlad(lo, w0[2 * g], a);
    b = __smlad(lo, w1[2 * g], b);
    c = __smlad(lo, w2[2 * g], c);
    d = __smlad(lo, w3[2 * g], d);
    a = __smlad(hi, w0[2 * g + 1], a);
    b = __smlad(hi, w1[2 * g + 1], b);
    c = __smlad(hi, w2[2 * g + 1], c);
    d = __smlad(hi, w3[2 * g + 1], d);
  }
  acc[0] = (uint32_t)a;
  acc[1] = (uint32_t)b;
  acc[2] = (uint32_t)c;
  acc[3] = (uint32_t)d;
}

/* depthwise: channels c..c+3 at taps t (xt) and u (xu) against weights {w[t][c], w[u][c]} in c order */
static inline void reparo_dw4_pair(const int8_t *xt, const int8_t *xu, const int32_t *w, uint32_t acc[4]) {
  int32_t vt, vu, et, eu, ot, ou;
  memcpy(&vt, xt, 4);
  memcpy(&vu, xu, 4);
  et = __sxtb16(vt);
  eu = __sxtb16(vu);
  ot = reparo_sxtb16_ror8(vt);
  ou = reparo_sxtb16_ror8(vu);
  /* PKHBT / PKHTB: {lo of t, lo of u} and {hi of t, hi of u} */
  acc[0] = (uint32_t)__smlad((int32_t)(((uint32_t)et & 0xffffu) | ((uint32_t)eu << 16)), w[0], (int32_t)acc[0]);
  acc[1] = (uint32_t)__smlad((int32_t)(((uint32_t)ot & 0xffffu) | ((uint32_t)ou << 16)), w[1], (int32_t)acc[1]);
  acc[2] = (uint32_t)__smlad((int32_t)(((uint32_t)eu & 0xffff0000u) | ((uint32_t)et >> 16)), w[2], (int32_t)acc[2]);
  acc[3] = (uint32_t)__smlad((int32_t)(((uint32_t)ou & 0xffff0000u) | ((uint32_t)ot >> 16)), w[3], (int32_t)acc[3]);
}

/* acc + sum of 4 * n4 int8 products; wp holds the weights as int16 pairs {w0, w2}, {w1, w3} per group of 4 */
static inline uint32_t reparo_dot4_s8(const int8_t *x, const int32_t *wp, int n4, uint32_t acc) {
  int32_t a = (int32_t)acc;
  for (int g = 0; g < n4; ++g) {
    int32_t v;
    memcpy(&v, x + 4 * g, 4);
    a = __smlad(__sxtb16(v), wp[2 * g], a);
    a = __smlad(reparo_sxtb16_ror8(v), wp[2 * g + 1], a);
  }
  return (uint32_t)a;
}
#else
#define REPARO_DSP 0
#endif

/* gemmlowp SaturatingRoundingDoublingHighMul */
static inline int32_t reparo_srdhm(int32_t a, int32_t b) {
  int64_t ab;
  int32_t nudge;
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
#if REPARO_DSP
  /* trunc((ab + nudge) / 2^31) == floor((ab + 2^30) / 2^31) for either sign; GCC and clang shift signed values arithmetically */
  (void)nudge;
  return (int32_t)((ab + (1 << 30)) >> 31);
#else
  nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
#endif
}

/* gemmlowp RoundingDivideByPOT, exponent in [0, 31] */
static inline int32_t reparo_rdbypot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier: shift > 0 shifts left (wrapping) before the high multiply */
static inline int32_t reparo_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  if (shift > 0) return reparo_srdhm((int32_t)((uint32_t)x << shift), multiplier);
  return reparo_rdbypot(reparo_srdhm(x, multiplier), -shift);
}

static inline int reparo_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) { x <<= 1; ++n; }
  return n;
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent */
static inline int32_t reparo_sat_shl(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1, Q0.31 in and out */
static inline int32_t reparo_one_over_one_plus_x(int32_t a) {
  const int64_t s = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
  int32_t x = (int32_t)((uint32_t)1515870810 + (uint32_t)reparo_srdhm(half_denominator, -1010580540));
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus = (int32_t)((uint32_t)(1 << 29) - (uint32_t)reparo_srdhm(half_denominator, x));
    x = (int32_t)((uint32_t)x + (uint32_t)reparo_sat_shl(reparo_srdhm(x, one_minus), 2));
  }
  return reparo_sat_shl(x, 1);
}

#endif
`;
}
