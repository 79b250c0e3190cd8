/**
 * Lowers a fused float graph (ONNX ops, NCHW) to an int8 TFLite model (NHWC) following TFLite's
 * quantization spec: int8 activations per tensor, int8 weights per output channel (symmetric),
 * int32 biases at scale s_in·s_w. ReLU/ReLU6 after a conv, FC or add become fused activations;
 * PyTorch padding that is not TFLite's SAME becomes an explicit PAD; grouped convs that are not
 * depthwise become dense (block-diagonal) convs, which every TFLM kernel runs.
 */
import { ReparoError } from '../errors.ts';
import { attrFloat, attrInt, attrInts, attrString, consumers, type Graph, type Node } from '../graph/graph.ts';
import { inferValues } from '../graph/evaluate.ts';
import { toFloat64 } from '../graph/tensor.ts';
import { readConv, regroup, type ConvParams } from '../fuse/conv-algebra.ts';
import type { Activation, Operator, Padding, TensorDef, TfliteModel } from '../tflite/model.ts';
import { asymmetricParams, type QParams } from './ranges.ts';
import type { TensorStats } from './observe.ts';
import { roundWeights, weightScales } from './weights.ts';

export interface LowerOptions {
  /** activation range per ONNX value */
  ranges: ReadonlyMap<string, [number, number]>;
  /** per-tensor weights (kept to compare with per-channel) */
  perTensorWeights?: boolean;
  /** subtract the expected weight-rounding error from biases, using calibration means */
  biasCorrection?: boolean;
  stats?: ReadonlyMap<string, TensorStats>;
  /** chosen int8 weights per Conv/Gemm/MatMul, by the layer's output value (e.g. from AdaRound); they replace rounding and bias correction */
  weights?: ReadonlyMap<string, RoundedWeights>;
  description?: string;
  metadata?: Record<string, unknown>;
}

/** A layer's int8 weights in its ONNX layout (Conv [O, I/groups, kh, kw]; Gemm/MatMul [N, K]), their scales and a float bias. */
export interface RoundedWeights {
  q: Int8Array;
  /** per output channel (Conv), or one (Gemm/MatMul: per-tensor) */
  scales: number[];
  bias: Float64Array;
}

export interface LoweredModel {
  model: TfliteModel;
  /** ONNX value → TFLite tensor index (for per-layer comparisons) */
  tensorOf: Map<string, number>;
}

const LOGISTIC_OUT: QParams = { scale: 1 / 256, zeroPoint: -128 };

const nhwc = (d: readonly number[]) => (d.length === 4 ? [d[0]!, d[2]!, d[3]!, d[1]!] : [...d]);
const i32 = (v: ArrayLike<number>) => new Uint8Array(Int32Array.from(v).buffer);
const i8 = (v: ArrayLike<number>) => new Uint8Array(Int8Array.from(v).buffer);
const count = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
const clampI32 = (v: number) => Math.max(-2147483648, Math.min(2147483647, Math.round(v)));

/**
 * The ranges the lowering quantizes with: a fused Clip's output range kept within its bounds (the
 * int8 saturation then is the clip), and the values a Concat joins, with everything that shares
 * their quantization (pools, reshapes, resizes), given one range: TFLite Micro's int8 CONCATENATION
 * does not rescale.
 */
function loweringRanges(g: Graph, ranges: ReadonlyMap<string, [number, number]>): Map<string, [number, number]> {
  const out = new Map(ranges);
  for (const n of g.nodes) {
    if (n.op !== 'Clip') continue;
    const [lo, hi] = clipBounds(g, n), r = out.get(n.outputs[0]!);
    if (r) out.set(n.outputs[0]!, [Math.max(r[0], lo), Math.min(r[1], hi)]);
  }
  const parent = new Map<string, string>();
  const find = (v: string): string => {
    const p = parent.get(v) ?? v;
    if (p === v) return v;
    const r = find(p);
    parent.set(v, r);
    return r;
  };
  const join = (a: string, b: string) => parent.set(find(a), find(b));
  const SHARED = new Set(['Concat', 'MaxPool', 'AveragePool', 'Resize', 'Reshape', 'Flatten', 'Identity', 'Dropout']);
  for (const n of g.nodes) if (SHARED.has(n.op)) for (const v of n.op === 'Concat' ? n.inputs : [n.inputs[0]]) if (v && ranges.has(v)) join(v, n.outputs[0]!);
  const classes = new Map<string, string[]>();
  for (const v of out.keys()) classes.set(find(v), [...(classes.get(find(v)) ?? []), v]);
  const concatValues = new Set(g.nodes.filter((n) => n.op === 'Concat').flatMap((n) => n.outputs));
  for (const members of classes.values()) {
    if (!members.some((v) => concatValues.has(v))) continue;
    const lo = Math.min(...members.map((v) => out.get(v)![0])), hi = Math.max(...members.map((v) => out.get(v)![1]));
    for (const v of members) out.set(v, [lo, hi]);
  }
  return out;
}

export function lowerToInt8(g: Graph, opts: LowerOptions): LoweredModel {
  const ranges = loweringRanges(g, opts.ranges);
  const facts = inferValues(g);
  const cons = consumers(g);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const tensors: TensorDef[] = [];
  const operators: Operator[] = [];
  const tensorOf = new Map<string, number>();
  const qOf = new Map<number, QParams>();
  const skip = new Set<Node>();

  const fail = (n: Node, msg: string, hint?: string): never => {
    throw new ReparoError('E_UNSUPPORTED_OP', msg, { node: n.name, op: n.op, hint });
  };
  const dims = (v: string) => facts.get(v)!.dims;
  const addTensor = (t: TensorDef, q?: QParams) => {
    tensors.push(q ? { ...t, quantization: { scale: [q.scale], zeroPoint: [q.zeroPoint], quantizedDimension: 0 } } : t);
    if (q) qOf.set(tensors.length - 1, q);
    return tensors.length - 1;
  };
  const rangeParams = (v: string): QParams => {
    const r = ranges.get(v);
    if (!r) throw new ReparoError('E_GRAPH', `no calibration range for '${v}'`);
    return asymmetricParams(r[0], r[1]);
  };
  const activation = (v: string, q: QParams = rangeParams(v)) => {
    const idx = addTensor({ name: v, type: 'int8', shape: nhwc(dims(v)) }, q);
    tensorOf.set(v, idx);
    return idx;
  };
  const input = (n: Node, v: string) => {
    const t = tensorOf.get(v);
    if (t === undefined) fail(n, `input '${v}' has no int8 tensor (a constant activation?)`);
    return t!;
  };
  /** A ReLU/Clip(0,6) that alone reads `v` is fused: returns the activation and the value it writes. */
  const fusedActivation = (v: string): { act: Activation; out: string } => {
    const r = cons.get(v) ?? [];
    if (graphOutputs.has(v) || r.length !== 1) return { act: 'NONE', out: v };
    const n = r[0]!;
    let act: Activation | undefined;
    if (n.op === 'Relu') act = 'RELU';
    else if (n.op === 'Clip') {
      const [lo, hi] = clipBounds(g, n);
      if (lo === 0 && hi === 6) act = 'RELU6';
      else if (lo === 0 && hi === Infinity) act = 'RELU';
      // other bounds around 0 (a HardSigmoid gate's [0, 1]): the output range lies within them (loweringRanges), so saturation clips
      else if (lo <= 0 && hi >= 0) act = 'NONE';
    }
    if (!act) return { act: 'NONE', out: v };
    skip.add(n);
    return { act, out: n.outputs[0]! };
  };
  const constTensor = (name: string, type: 'int8' | 'int32', shape: number[], data: Uint8Array, q?: TensorDef['quantization']) =>
    addTensor({ name, type, shape, data, quantization: q });

  /** SAME when TFLite's SAME padding equals PyTorch's; VALID after an explicit PAD otherwise. */
  const padFor = (n: Node, x: number, inDims: number[], k: [number, number], s: [number, number], pads: number[], outHW: [number, number]): { x: number; padding: Padding } => {
    if (pads.every((p) => p === 0)) return { x, padding: 'VALID' };
    const same = [0, 1].map((a) => {
      const size = inDims[2 + a]!, total = Math.max(0, (Math.ceil(size / s[a]!) - 1) * s[a]! + k[a]! - size);
      return { begin: Math.floor(total / 2), end: total - Math.floor(total / 2), out: Math.ceil(size / s[a]!) };
    });
    if (same.every((p, a) => p.begin === pads[a] && p.out === outHW[a] && p.end >= pads[a + 2]!)) return { x, padding: 'SAME' };
    // explicit PAD with the input's zero point (int8 PAD keeps the quantization)
    const q = qOf.get(x)!;
    const padded = [inDims[0]!, inDims[2]! + pads[0]! + pads[2]!, inDims[3]! + pads[1]! + pads[3]!, inDims[1]!];
    const pt = constTensor(`${n.name}.paddings`, 'int32', [4, 2], i32([0, 0, pads[0]!, pads[2]!, pads[1]!, pads[3]!, 0, 0]));
    const out = addTensor({ name: `${n.name}.padded`, type: 'int8', shape: padded }, q);
    operators.push({ op: 'PAD', inputs: [x, pt], outputs: [out] });
    return { x: out, padding: 'VALID' };
  };

  /** Bias correction: b −= Σᵢₖ (Ŵ − W)[o,i,k]·E[xᵢ], with E[x] the calibration mean of each input channel. */
  const correctBias = (b: Float64Array, W: Float64Array, Wq: Int8Array, scales: number[], inValue: string, I: number, k: number, groups: number) => {
    const mean = opts.stats?.get(inValue)?.channelMean;
    if (!opts.biasCorrection || !mean?.length) return b;
    const O = b.length, og = O / groups;
    return b.map((v, o) => {
      let e = 0;
      for (let i = 0; i < I; i++) {
        const ch = Math.floor(o / og) * I + i;
        for (let t = 0; t < k; t++) {
          const j = (o * I + i) * k + t;
          e += (Wq[j]! * scales[o]! - W[j]!) * mean[ch]!;
        }
      }
      return v - e;
    });
  };

  // attention first: its reshapes and transposes would otherwise fail with a less useful message
  const attention = g.nodes.find((n) => n.op === 'MatMul' && !g.initializers.has(n.inputs[1]!));
  if (attention)
    fail(attention, 'MatMul of two activations (attention) has no int8 TFLite lowering in reparo', 'attention stages run in float only (reparo fuse / eval on the ONNX model); for int8 pick a variant without them (e.g. FastViT T8/S12 rather than SA)');

  // the graph input: int8, range from the data (pixel/255 gives scale 1/255, zero point −128)
  const inp = g.inputs[0]!;
  activation(inp.name);

  for (const n of g.nodes) {
    if (skip.has(n)) continue;
    const x0 = n.inputs[0]!;
    switch (n.op) {
      case 'Conv': {
        const inDims = dims(x0);
        let p: ConvParams | null = readConv(g, n, inDims);
        if (!p) fail(n, 'Conv needs constant weights and dilation 1');
        const chosen = opts.weights?.get(n.outputs[0]!);
        // chosen integers go through regroup as floats: exact, and the other groups' taps stay 0
        if (chosen) p = { ...p!, W: Float64Array.from(chosen.q), b: chosen.bias };
        const { act, out } = fusedActivation(n.outputs[0]!);
        const Cin = inDims[1]!;
        const depthwise = p!.groups === Cin && p!.groups > 1;
        if (!depthwise && p!.groups > 1) p = regroup(p!, 1);
        const conv = p!;
        const outDims = dims(out);
        const { x, padding } = padFor(n, input(n, x0), inDims, [conv.kh, conv.kw], conv.strides, conv.pads, [outDims[2]!, outDims[3]!]);
        const scales = chosen ? chosen.scales : weightScales(conv.W, conv.O, opts.perTensorWeights);
        const Wq = chosen ? Int8Array.from(conv.W) : roundWeights(conv.W, scales);
        const sIn = qOf.get(x)!.scale;
        const bias = chosen ? conv.b : correctBias(conv.b, conv.W, Wq, scales, x0, conv.I, conv.kh * conv.kw, conv.groups);
        const k = conv.kh * conv.kw;
        let filter: Int8Array, shape: number[], qdim: number;
        if (depthwise) {
          shape = [1, conv.kh, conv.kw, conv.O];
          filter = new Int8Array(conv.O * k);
          for (let o = 0; o < conv.O; o++) for (let t = 0; t < k; t++) filter[t * conv.O + o] = Wq[o * k + t]!;
          qdim = 3;
        } else {
          shape = [conv.O, conv.kh, conv.kw, conv.I];
          filter = new Int8Array(conv.O * k * conv.I);
          for (let o = 0; o < conv.O; o++) for (let i = 0; i < conv.I; i++) for (let t = 0; t < k; t++) filter[(o * k + t) * conv.I + i] = Wq[(o * conv.I + i) * k + t]!;
          qdim = 0;
        }
        const zeros = scales.map(() => 0);
        const w = constTensor(`${n.name}.filter`, 'int8', shape, new Uint8Array(filter.buffer), { scale: scales, zeroPoint: zeros, quantizedDimension: qdim });
        const biasScales = scales.map((s) => Math.fround(s * sIn));
        const b = constTensor(`${n.name}.bias`, 'int32', [conv.O], i32(Array.from(bias, (v, o) => clampI32(v / biasScales[o]!))), {
          scale: biasScales, zeroPoint: zeros, quantizedDimension: 0,
        });
        const y = activation(out);
        const common = { inputs: [x, w, b], outputs: [y], padding, strideH: conv.strides[0], strideW: conv.strides[1], dilationH: 1, dilationW: 1, activation: act };
        operators.push(depthwise ? { op: 'DEPTHWISE_CONV_2D', ...common, depthMultiplier: conv.O / Cin } : { op: 'CONV_2D', ...common });
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        if (dims(x0).length !== 2) fail(n, `${n.op} on a rank-${dims(x0).length} input [${dims(x0)}]: TFLite FULLY_CONNECTED is lowered for [batch, features] inputs only`);
        const { W, b: b0, N, K } = readDense(g, n);
        const { act, out } = fusedActivation(n.outputs[0]!);
        const x = input(n, x0);
        const sIn = qOf.get(x)!.scale;
        // per-tensor: Arm NN 20.08 (an oracle in our tests) rejects per-channel FC weights, and
        // per-channel measured no better on the fixtures
        const chosen = opts.weights?.get(n.outputs[0]!);
        const scale = chosen ? chosen.scales[0]! : weightScales(W, 1)[0]!;
        const Wq = chosen ? chosen.q : roundWeights(W, [scale]);
        const bias = chosen ? chosen.bias : correctBias(b0, W, Wq, Array(N).fill(scale), x0, K, 1, 1);
        const biasScale = Math.fround(sIn * scale);
        const w = constTensor(`${n.name}.weights`, 'int8', [N, K], new Uint8Array(Wq.buffer, Wq.byteOffset, Wq.byteLength), { scale: [scale], zeroPoint: [0], quantizedDimension: 0 });
        const b = constTensor(`${n.name}.bias`, 'int32', [N], i32(Array.from(bias, (v) => clampI32(v / biasScale))), { scale: [biasScale], zeroPoint: [0], quantizedDimension: 0 });
        operators.push({ op: 'FULLY_CONNECTED', inputs: [x, w, b], outputs: [activation(out)], activation: act, keepNumDims: false });
        break;
      }
      case 'Add':
      case 'Mul': {
        const [a, b] = n.inputs.map((v) => input(n, v!));
        const { act, out } = fusedActivation(n.outputs[0]!);
        operators.push({ op: n.op === 'Add' ? 'ADD' : 'MUL', inputs: [a!, b!], outputs: [activation(out)], activation: act });
        break;
      }
      case 'Relu':
      case 'Clip': {
        // a ReLU with nothing to fuse into: a 1×1 MAX_POOL with the activation clamp, same quantization
        const x = input(n, x0);
        const [lo, hi] = n.op === 'Relu' ? [0, Infinity] : clipBounds(g, n);
        const act: Activation | undefined = lo === 0 && hi === Infinity ? 'RELU' : lo === 0 && hi === 6 ? 'RELU6' : undefined;
        if (!act) fail(n, `Clip(${lo}, ${hi}) is not a ReLU or ReLU6`);
        operators.push({ op: 'MAX_POOL_2D', inputs: [x], outputs: [activation(n.outputs[0]!, qOf.get(x))], padding: 'VALID', strideH: 1, strideW: 1, filterH: 1, filterW: 1, activation: act! });
        break;
      }
      case 'HardSwish':
        operators.push({ op: 'HARD_SWISH', inputs: [input(n, x0)], outputs: [activation(n.outputs[0]!)] });
        break;
      case 'Gelu':
        operators.push({ op: 'GELU', inputs: [input(n, x0)], outputs: [activation(n.outputs[0]!)], approximate: attrString(n, 'approximate', 'none') === 'tanh' });
        break;
      case 'Concat': {
        const rank = dims(n.outputs[0]!).length;
        const a = attrInt(n, 'axis', 0), axis = a < 0 ? a + rank : a;
        const inputs = n.inputs.filter((v) => v && count(dims(v)) > 0).map((v) => input(n, v!));
        operators.push({ op: 'CONCATENATION', inputs, outputs: [activation(n.outputs[0]!)], axis: rank === 4 ? [0, 3, 1, 2][axis]! : axis, activation: 'NONE' });
        break;
      }
      case 'Resize': {
        const inD = dims(x0), outD = dims(n.outputs[0]!);
        if (inD.length !== 4 || outD[0] !== inD[0] || outD[1] !== inD[1]) fail(n, `Resize of [${inD}] to [${outD}]: TFLite resizes height and width of a 4-D tensor only`);
        const x = input(n, x0);
        const resize = tfliteResize(n, [outD[2]!, outD[3]!]);
        if (!resize) fail(n, `Resize mode '${attrString(n, 'mode', 'nearest')}' with coordinate_transformation_mode '${attrString(n, 'coordinate_transformation_mode', 'half_pixel')}' and nearest_mode '${attrString(n, 'nearest_mode', 'round_prefer_floor')}' has no TFLite equivalent`, 'TFLite runs nearest (asymmetric + floor, half_pixel or align_corners + round_prefer_ceil) and linear (asymmetric, half_pixel, pytorch_half_pixel, align_corners)');
        const size = constTensor(`${n.name}.size`, 'int32', [2], i32([outD[2]!, outD[3]!]));
        operators.push({ ...resize!, inputs: [x, size], outputs: [activation(n.outputs[0]!, qOf.get(x))] });
        break;
      }
      case 'Sigmoid':
        operators.push({ op: 'LOGISTIC', inputs: [input(n, x0)], outputs: [activation(n.outputs[0]!, LOGISTIC_OUT)] });
        break;
      case 'Softmax': {
        if (dims(x0).length !== 2) fail(n, 'Softmax over a rank-2 [batch, classes] tensor only');
        operators.push({ op: 'SOFTMAX', inputs: [input(n, x0)], outputs: [activation(n.outputs[0]!, LOGISTIC_OUT)], beta: 1 });
        break;
      }
      case 'GlobalAveragePool':
      case 'ReduceMean': {
        const axes = n.op === 'GlobalAveragePool' ? [2, 3] : g.opset >= 18 ? Array.from(g.initializers.get(n.inputs[1] ?? '')?.data ?? [], Number) : attrInts(n, 'axes', []);
        const rank = dims(x0).length;
        const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort();
        if (rank !== 4 || norm.join() !== '2,3') fail(n, `${n.op} over axes [${axes}]: only spatial means are supported`);
        const keep = n.op === 'GlobalAveragePool' || attrInt(n, 'keepdims', 1) === 1;
        const ax = constTensor(`${n.name}.axes`, 'int32', [2], i32([1, 2]));
        operators.push({ op: 'MEAN', inputs: [input(n, x0), ax], outputs: [activation(n.outputs[0]!)], keepDims: keep });
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        const inD = dims(x0), outD = dims(n.outputs[0]!);
        // NCHW and NHWC flatten to the same order only when the spatial size is 1
        if (inD.length === 4 && inD[2]! * inD[3]! !== 1 && outD.length !== 4)
          fail(n, `${n.op} of [${inD}] would flatten NCHW order; TFLite tensors are NHWC`, 'pool to 1×1 before flattening');
        const x = input(n, x0);
        const shape = nhwc(outD);
        const st = constTensor(`${n.name}.shape`, 'int32', [shape.length], i32(shape));
        operators.push({ op: 'RESHAPE', inputs: [x, st], outputs: [activation(n.outputs[0]!, qOf.get(x))], newShape: shape });
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const k = attrInts(n, 'kernel_shape', []) as [number, number];
        const s = attrInts(n, 'strides', [1, 1]) as [number, number];
        const pads = attrInts(n, 'pads', [0, 0, 0, 0]);
        if (attrInt(n, 'ceil_mode', 0)) fail(n, 'ceil_mode pooling');
        const outD = dims(n.outputs[0]!);
        const x = input(n, x0);
        // AVG without count_include_pad divides by the valid taps, as TFLite's SAME does; an explicit PAD would count them
        const { x: xp, padding } = padFor(n, x, dims(x0), k, s, pads, [outD[2]!, outD[3]!]);
        if (n.op === 'AveragePool' && xp !== x && attrInt(n, 'count_include_pad', 0) === 0) fail(n, 'AveragePool padding that is not TFLite SAME');
        const { act, out } = fusedActivation(n.outputs[0]!);
        operators.push({ op: n.op === 'MaxPool' ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', inputs: [xp], outputs: [activation(out, qOf.get(x))], padding, strideH: s[0], strideW: s[1], filterH: k[0], filterW: k[1], activation: act });
        break;
      }
      case 'Identity':
      case 'Dropout':
        tensorOf.set(n.outputs[0]!, input(n, x0));
        break;
      default:
        fail(n, `op ${n.op} has no int8 TFLite lowering in reparo`, 'fuse the model first; supported: Conv, Gemm, MatMul, Add, Mul, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Gelu, Softmax, GlobalAveragePool, ReduceMean, Concat, Resize, Flatten, Reshape, MaxPool, AveragePool');
    }
  }

  const outputs = g.outputs.map((o) => {
    const t = tensorOf.get(o.name);
    if (t === undefined) throw new ReparoError('E_GRAPH', `graph output '${o.name}' has no int8 tensor`);
    return t;
  });
  const metadata = opts.metadata ? [{ name: 'reparo', data: new TextEncoder().encode(JSON.stringify(opts.metadata)) }] : [];
  return {
    model: { version: 3, description: opts.description ?? 'reparo int8', tensors, operators, inputs: [tensorOf.get(inp.name)!], outputs, metadata },
    tensorOf,
  };
}

/** A Gemm/MatMul's constant weight as [N, K] rows (one per output) and its bias. */
export function readDense(g: Graph, n: Node): { W: Float64Array; b: Float64Array; N: number; K: number } {
  const fail = (msg: string): never => {
    throw new ReparoError('E_UNSUPPORTED_OP', msg, { node: n.name, op: n.op });
  };
  const wt = g.initializers.get(n.inputs[1]!);
  if (!wt || attrInt(n, 'transA', 0)) fail(`${n.op} needs a constant weight and no transA`);
  if (n.op === 'Gemm' && (attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1)) fail('Gemm with alpha/beta ≠ 1');
  const W0 = toFloat64(wt!);
  const transB = n.op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
  const [N, K] = transB ? [wt!.dims[0]!, wt!.dims[1]!] : [wt!.dims[1]!, wt!.dims[0]!];
  const W = transB ? W0 : Float64Array.from({ length: N * K }, (_, j) => W0[(j % K) * N + Math.floor(j / K)]!);
  const bt = n.inputs[2] ? g.initializers.get(n.inputs[2]) : undefined;
  if (n.inputs[2] && (!bt || (bt.dims.length > 1 && bt.dims[0] !== 1))) fail('the bias must be a constant vector');
  return { W, b: bt ? toFloat64(bt) : new Float64Array(N), N: N!, K: K! };
}

/** The TFLite resize op equal to an ONNX Resize's mode and coordinate transformation, or null. */
function tfliteResize(n: Node, outHW: [number, number]): { op: 'RESIZE_NEAREST_NEIGHBOR' | 'RESIZE_BILINEAR'; alignCorners: boolean; halfPixelCenters: boolean } | null {
  const mode = attrString(n, 'mode', 'nearest');
  const ct = attrString(n, 'coordinate_transformation_mode', 'half_pixel');
  const nearestMode = attrString(n, 'nearest_mode', 'round_prefer_floor');
  if (attrInt(n, 'antialias', 0) !== 0 || attrInt(n, 'exclude_outside', 0) !== 0) return null;
  // pytorch_half_pixel is half_pixel except for an output of size 1 (it samples 0 there)
  const halfPixel = ct === 'half_pixel' || (ct === 'pytorch_half_pixel' && outHW.every((d) => d > 1));
  if (mode === 'nearest') {
    // TFLite: floor(x·scale), floor((x + ½)·scale), round(x·scale) with ties up
    if (ct === 'asymmetric' && nearestMode === 'floor') return { op: 'RESIZE_NEAREST_NEIGHBOR', alignCorners: false, halfPixelCenters: false };
    if (halfPixel && nearestMode === 'round_prefer_ceil') return { op: 'RESIZE_NEAREST_NEIGHBOR', alignCorners: false, halfPixelCenters: true };
    if (ct === 'align_corners' && nearestMode === 'round_prefer_ceil') return { op: 'RESIZE_NEAREST_NEIGHBOR', alignCorners: true, halfPixelCenters: false };
    return null;
  }
  if (mode === 'linear') {
    if (ct === 'asymmetric' || halfPixel || ct === 'align_corners') return { op: 'RESIZE_BILINEAR', alignCorners: ct === 'align_corners', halfPixelCenters: halfPixel };
  }
  return null;
}

function clipBounds(g: Graph, n: Node): [number, number] {
  if (g.opset < 11) return [attrFloat(n, 'min', -Infinity), attrFloat(n, 'max', Infinity)];
  const v = (i: number, d: number) => {
    const t = n.inputs[i] ? g.initializers.get(n.inputs[i]!) : undefined;
    return t ? Number(t.data[0]) : d;
  };
  return [v(1, -Infinity), v(2, Infinity)];
}
