/**
 * Second moments of a batch of int8 input patches in onnxruntime: H = PᵀP and G = PᵀT, where P holds
 * the patches' (q − zero point) and T (n × R) float64 targets. PᵀP is exact (MatMulInteger: 8-bit
 * products summed in int32), PᵀT is float64. Both operands go in as uint8 (q + 128): MLAS's uint8 ×
 * int8 kernel on AVX2 without VNNI adds product pairs in saturating int16 (vpmaddubsw) and is not exact.
 * Weight rounding needs both for every layer over thousands of patches; onnxruntime's kernels do it
 * some 100× faster than a JavaScript loop. H is symmetric: only the blocks on and above the diagonal
 * are multiplied (with 4 column blocks, 5/8 of the full product).
 */
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { threadOptions } from './threads.ts';

const { onnx } = onnxProto;
const [UINT8, INT8, INT32, INT64, DOUBLE] = [2, 3, 6, 7, 11];

export interface GramSession {
  /**
   * `P`: n × F patches (int8), `zero`: their zero point. Returns Σ(q−z)(q−z)ᵀ (F × F, row-major; only
   * entries i ≤ j are set), Σ(q−z)tᵀ (F × R, row-major) and Σ(q−z) (F).
   */
  run(P: Int8Array, zero: number, T: Float64Array): Promise<{ H: Int32Array; G: Float64Array; S: Int32Array }>;
  release(): Promise<void>;
}

/** Column blocks of H for long patches; below that one product costs less than the slicing. */
const blocksFor = (F: number) => (F >= 256 ? 4 : 1);

/** n·255² must fit int32: at most 33,000 patches per call. */
export async function openGram(n: number, F: number, R: number, threads = 1): Promise<GramSession> {
  const K = blocksFor(F), B = Math.ceil(F / K);
  // block b: rows [0, end) × columns [start, end) of H, the part of those columns on or above the diagonal
  const spans = Array.from({ length: K }, (_, b) => [b * B, Math.min(F, (b + 1) * B)] as const);
  const vi = (name: string, type: number, dims: number[]) => ({ name, type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const ints = (name: string, v: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const to = (type: number) => [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: type }];
  const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => ({ opType, input, output: [output], attribute });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'reparo',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'gram',
      node: [
        // q + 128 with zero point z + 128, as uint8
        node('Cast', ['P'], 'P32', to(INT32)),
        node('Add', ['P32', 'c128'], 'Pu32'),
        node('Cast', ['Pu32'], 'Pu', to(UINT8)),
        node('Transpose', ['Pu'], 'Ptu', [ints('perm', [1, 0])]),
        node('Cast', ['z'], 'z32', to(INT32)),
        node('Add', ['z32', 'c128'], 'zu32'),
        node('Cast', ['zu32'], 'zu', to(UINT8)),
        ...spans.flatMap(([start, end], b) => [
          node('Slice', ['Ptu', 'zero64', `end${b}`, 'zero64'], `rows${b}`),
          node('Slice', ['Pu', `start${b}`, `end${b}`, 'one64'], `cols${b}`),
          node('MatMulInteger', [`rows${b}`, `cols${b}`, 'zu', 'zu'], `H${b}`),
        ]),
        node('Cast', ['Ptu'], 'Ptd', to(DOUBLE)),
        node('Cast', ['zu'], 'zd', to(DOUBLE)),
        node('Sub', ['Ptd', 'zd'], 'Ptc'),
        node('MatMul', ['Ptc', 'T'], 'G'),
        node('MatMulInteger', ['ones', 'Pu', 'zero', 'zu'], 'S'),
      ],
      initializer: [
        { name: 'ones', dataType: UINT8, dims: [1, n], rawData: new Uint8Array(n).fill(1) },
        { name: 'zero', dataType: UINT8, dims: [], rawData: Uint8Array.of(0) },
        { name: 'c128', dataType: INT32, dims: [], int32Data: [128] },
        { name: 'zero64', dataType: INT64, dims: [1], int64Data: [0] },
        { name: 'one64', dataType: INT64, dims: [1], int64Data: [1] },
        ...spans.flatMap(([start, end], b) => [
          { name: `start${b}`, dataType: INT64, dims: [1], int64Data: [start] },
          { name: `end${b}`, dataType: INT64, dims: [1], int64Data: [end] },
        ]),
      ],
      input: [vi('P', INT8, [n, F]), vi('z', INT8, []), vi('T', DOUBLE, [n, R])],
      output: [...spans.map(([start, end], b) => vi(`H${b}`, INT32, [end, end - start])), vi('G', DOUBLE, [F, R]), vi('S', INT32, [1, F])],
    },
  };
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), threadOptions(threads));
  return {
    async run(P, zero, T) {
      const r = await session.run({ P: new ort.Tensor('int8', P, [n, F]), z: new ort.Tensor('int8', Int8Array.of(zero), []), T: new ort.Tensor('float64', T, [n, R]) });
      const H = new Int32Array(F * F);
      spans.forEach(([start, end], b) => {
        const h = r[`H${b}`]!.data as Int32Array, w = end - start;
        for (let i = 0; i < end; i++) H.set(h.subarray(i * w, (i + 1) * w), i * F + start);
      });
      return { H, G: r.G!.data as Float64Array, S: r.S!.data as Int32Array };
    },
    release: () => session.release(),
  };
}

/** Rows [r0, r1) × columns [c0, c1) of the row-major matrix `data`, `cols` wide. */
export interface Block {
  data: Float64Array;
  cols: number;
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

export interface MatMulSession {
  /** A (m × k) · B (k × n), float64, row-major. */
  run(A: Float64Array, B: Float64Array, m: number, k: number, n: number): Promise<Float64Array>;
  /** The product of two blocks, cut out by onnxruntime (the whole matrices go in without a copy). */
  runBlocks(a: Block, b: Block): Promise<Float64Array>;
  release(): Promise<void>;
}

/** float64 MatMul sessions for any shapes (dims are symbolic), for the big products of weight rounding. */
export async function openMatMul(threads = 1): Promise<MatMulSession> {
  const vi = (name: string, dims: string[], elemType = DOUBLE) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimParam: d })) } } } });
  const open = (node: onnxProto.onnx.INodeProto[], input: onnxProto.onnx.IValueInfoProto[]) => {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: 'reparo',
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'matmul', node, input, output: [vi('C', ['m', 'n'])] },
    };
    return ort.InferenceSession.create(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), threadOptions(threads));
  };
  const [plain, sliced] = await Promise.all([
    open([{ opType: 'MatMul', input: ['A', 'B'], output: ['C'] }], [vi('A', ['m', 'k']), vi('B', ['k', 'n'])]),
    open(
      [
        { opType: 'Slice', input: ['A', 'sa', 'ea'], output: ['As'] },
        { opType: 'Slice', input: ['B', 'sb', 'eb'], output: ['Bs'] },
        { opType: 'MatMul', input: ['As', 'Bs'], output: ['C'] },
      ],
      [vi('A', ['ar', 'ac']), vi('B', ['br', 'bc']), ...['sa', 'ea', 'sb', 'eb'].map((x) => vi(x, ['two'], INT64))],
    ),
  ]);
  const full = (x: Block) => new ort.Tensor('float64', x.data, [x.data.length / x.cols, x.cols]);
  const at = (...v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [2]);
  return {
    async run(A, B, m, k, n) {
      const r = await plain.run({ A: new ort.Tensor('float64', A, [m, k]), B: new ort.Tensor('float64', B, [k, n]) });
      return r.C!.data as Float64Array;
    },
    async runBlocks(a, b) {
      const r = await sliced.run({ A: full(a), B: full(b), sa: at(a.r0, a.c0), ea: at(a.r1, a.c1), sb: at(b.r0, b.c0), eb: at(b.r1, b.c1) });
      return r.C!.data as Float64Array;
    },
    release: async () => {
      await plain.release();
      await sliced.release();
    },
  };
}
