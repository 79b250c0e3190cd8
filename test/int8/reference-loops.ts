/**
 * Straight transcriptions of TFLite's reference loops (reference_integer_ops::ConvPerChannel,
 * DepthwiseConvPerChannel, FullyConnected[PerChannel]) over one op of a model: no packing, no
 * padding buffers, one int32 accumulator per output. The oracle for the fast kernels.
 */
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAwayFromZero } from '../../toolkit/int8/index.ts';
import type { Activation, Operator, TfliteModel } from '../../toolkit/tflite/model.ts';

const f32 = Math.fround;

function int8Data(model: TfliteModel, i: number): Int8Array {
  return new Int8Array(model.tensors[i].data!.buffer, model.tensors[i].data!.byteOffset, model.tensors[i].data!.length);
}
function biasData(model: TfliteModel, i: number | undefined, n: number): number[] {
  if (i === undefined || i < 0) return new Array<number>(n).fill(0);
  const d = model.tensors[i].data!;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return Array.from({ length: n }, (_, k) => v.getInt32(4 * k, true));
}
function q(model: TfliteModel, i: number) {
  const t = model.tensors[i].quantization!;
  return { scale: f32(t.scale[0]), zp: t.zeroPoint[0], scales: t.scale.map(f32) };
}
function actRange(a: Activation, scale: number, zp: number): [number, number] {
  const quant = (f: number) => zp + roundHalfAwayFromZero(f32(f / scale));
  if (a === 'RELU') return [Math.max(-128, quant(0)), 127];
  if (a === 'RELU6') return [Math.max(-128, quant(0)), Math.min(127, quant(6))];
  if (a === 'RELU_N1_TO_1') return [Math.max(-128, quant(-1)), Math.min(127, quant(1))];
  return [-128, 127];
}
function outSize(padding: string, n: number, k: number, s: number, d: number) {
  const eff = (k - 1) * d + 1;
  return padding === 'SAME' ? Math.floor((n + s - 1) / s) : Math.floor((n + s - eff) / s);
}
function padBefore(n: number, k: number, s: number, d: number, out: number) {
  return Math.floor(Math.max(0, (out - 1) * s + (k - 1) * d + 1 - n) / 2);
}

export function referenceConv(model: TfliteModel, op: Operator & { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' }, input: Int8Array): Int8Array {
  const [inIdx, wIdx, bIdx] = op.inputs;
  const [N, H, W, C] = model.tensors[inIdx].shape;
  const ws = model.tensors[wIdx].shape;
  const depthwise = op.op === 'DEPTHWISE_CONV_2D';
  const [KH, KW] = [ws[1], ws[2]];
  const OC = depthwise ? ws[3] : ws[0];
  const filterC = depthwise ? 1 : ws[3];
  const OH = outSize(op.padding, H, KH, op.strideH, op.dilationH);
  const OW = outSize(op.padding, W, KW, op.strideW, op.dilationW);
  const pt = padBefore(H, KH, op.strideH, op.dilationH, OH);
  const pl = padBefore(W, KW, op.strideW, op.dilationW, OW);
  const qi = q(model, inIdx);
  const qo = q(model, op.outputs[0]);
  const wq = q(model, wIdx);
  const w = int8Data(model, wIdx);
  const bias = biasData(model, bIdx, OC);
  const mults = Array.from({ length: OC }, (_, c) => quantizeMultiplier((qi.scale * (wq.scales.length > 1 ? wq.scales[c] : wq.scales[0])) / qo.scale));
  const [lo, hi] = actRange(op.activation, qo.scale, qo.zp);
  const groups = depthwise ? 1 : C / filterC;
  const perGroup = OC / groups;
  const out = new Int8Array(N * OH * OW * OC);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let oc = 0; oc < OC; oc++) {
          let acc = 0;
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * op.strideH - pt + ky * op.dilationH;
              const ix = ox * op.strideW - pl + kx * op.dilationW;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue; // padding: skipped
              for (let ic = 0; ic < filterC; ic++) {
                const cin = depthwise ? Math.floor(oc / (OC / C)) : Math.floor(oc / perGroup) * filterC + ic;
                const wv = depthwise ? w[(ky * KW + kx) * OC + oc] : w[((oc * KH + ky) * KW + kx) * filterC + ic];
                acc = (acc + wv * (input[((n * H + iy) * W + ix) * C + cin] - qi.zp)) | 0;
              }
            }
          acc = (acc + bias[oc]) | 0;
          const v = multiplyByQuantizedMultiplier(acc, mults[oc].multiplier, mults[oc].shift) + qo.zp;
          out[((n * OH + oy) * OW + ox) * OC + oc] = Math.min(hi, Math.max(lo, v));
        }
  return out;
}

export function referenceFullyConnected(model: TfliteModel, op: Operator & { op: 'FULLY_CONNECTED' }, input: Int8Array): Int8Array {
  const [inIdx, wIdx, bIdx] = op.inputs;
  const [OC, D] = model.tensors[wIdx].shape;
  const B = input.length / D;
  const qi = q(model, inIdx);
  const qo = q(model, op.outputs[0]);
  const wq = q(model, wIdx);
  const perChannel = wq.scales.length > 1;
  const w = int8Data(model, wIdx);
  const bias = biasData(model, bIdx, OC);
  // per-tensor: the float32 product in·w (GetQuantizedConvolutionMultipler); per-channel: double
  const mults = Array.from({ length: OC }, (_, c) => quantizeMultiplier(perChannel ? (qi.scale * wq.scales[c]) / qo.scale : f32(qi.scale * wq.scale) / qo.scale));
  const wOffset = perChannel ? 0 : -wq.zp;
  const [lo, hi] = actRange(op.activation, qo.scale, qo.zp);
  const out = new Int8Array(B * OC);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < OC; c++) {
      let acc = 0;
      for (let d = 0; d < D; d++) acc = (acc + (w[c * D + d] + wOffset) * (input[b * D + d] - qi.zp)) | 0;
      acc = (acc + bias[c]) | 0;
      out[b * OC + c] = Math.min(hi, Math.max(lo, multiplyByQuantizedMultiplier(acc, mults[c].multiplier, mults[c].shift) + qo.zp));
    }
  return out;
}
