/**
 * Quantization parameters that the reader accepts as well-formed but that no int8 kernel can run
 * as the file means them (TFLite quantization spec; TFLite's GetQuantizedConvolutionMultipler):
 * scales must be > 0, zero points must lie in the range of their type (and be 0 where the spec
 * makes the tensor symmetric: int16/int32 tensors, int8 conv and depthwise filters, which kernels
 * read without their zero point; FULLY_CONNECTED does apply its filter's zero point), and a bias scale must be input scale × weight scale, since kernels use the product
 * and never the bias's own scale. Counts, finiteness and per-channel lengths are validate.ts's job.
 */
import type { TensorDef, TfliteModel } from '../tflite/model.ts';
import type { Problem } from './report.ts';

const ZERO_POINT_RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [0, 0], int32: [0, 0], int64: [0, 0] };
/** TFLite's tolerance: |input·weight − bias| / output ≤ 0.02 */
const BIAS_SCALE_TOLERANCE = 0.02;
const WEIGHTED_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
/** per-channel conv kernels (reference_integer_ops::ConvPerChannel, DepthwiseConvPerChannel) have no filter offset */
const SYMMETRIC_FILTER_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D']);

export function quantizationProblems(model: TfliteModel): Problem[] {
  const problems: Problem[] = [];
  const add = (where: string, what: string, hint: string) => problems.push({ severity: 'error', code: 'E_QUANT_PARAMS', where, what, hint });
  const label = (i: number) => `tensor ${i} '${model.tensors[i]!.name}'`;

  model.tensors.forEach((t, i) => {
    const q = t.quantization;
    if (!q) return;
    const bad = q.scale.findIndex((s) => !(s > 0));
    if (bad >= 0) add(label(i), `scale[${bad}] is ${q.scale[bad]}; scales must be > 0`, 'a zero or negative scale divides by zero in the requantization; re-quantize the model');
    const range = ZERO_POINT_RANGE[t.type];
    const zp = range && q.zeroPoint.findIndex((z) => z < range[0] || z > range[1]);
    if (range && zp! >= 0) {
      add(label(i), `zero_point[${zp}] is ${q.zeroPoint[zp!]}; ${t.type} zero points must be ${range[0] === range[1] ? range[0] : `in [${range[0]}, ${range[1]}]`}`, `the TFLite quantization spec makes ${t.type} ${range[0] === range[1] ? 'symmetric' : 'zero points fit the type'}; re-quantize the model`);
    }
  });

  model.operators.forEach((op, k) => {
    if (!WEIGHTED_OPS.has(op.op)) return;
    const [x, w, b] = op.inputs;
    const def = (i: number | undefined): TensorDef | undefined => (i !== undefined && i >= 0 ? model.tensors[i] : undefined);
    const where = `operator ${k} (${op.op})`;
    const weights = def(w);
    if (SYMMETRIC_FILTER_OPS.has(op.op) && weights?.type === 'int8' && weights.quantization?.zeroPoint.some((z) => z !== 0)) {
      add(where, `weights ${label(w!)} have a non-zero zero point`, 'conv filters are symmetric: TFLite\'s per-channel kernels ignore their zero point, so the model would compute something else than the file says');
    }
    const bias = def(b), input = def(x), output = def(op.outputs[0]);
    if (bias?.type !== 'int32' || !bias.quantization || !input?.quantization || !weights?.quantization || !output?.quantization) return;
    const inScale = Math.fround(input.quantization.scale[0] ?? NaN);
    const outScale = Math.fround(output.quantization.scale[0] ?? NaN);
    const ws = weights.quantization.scale, bs = bias.quantization.scale;
    const channels = Math.max(ws.length, bs.length);
    for (let c = 0; c < channels; c++) {
      const product = inScale * Math.fround(ws[ws.length === 1 ? 0 : c] ?? NaN);
      const biasScale = Math.fround(bs[bs.length === 1 ? 0 : c] ?? NaN);
      if (!(Math.abs(product - biasScale) / outScale <= BIAS_SCALE_TOLERANCE)) {
        add(where, `bias ${label(b!)} scale[${c}] is ${biasScale} but input scale × weight scale is ${product}`, 'kernels scale the bias by input × weight scale: the bias values mean something else; re-quantize the model');
        break; // one per operator is enough to say what is wrong
      }
    }
  });
  return problems;
}
