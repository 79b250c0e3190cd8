/**
 * Second moments of a batch of int8 input patches in onnxruntime: H = PᵀP and G = PᵀT, where P holds
 * the patches' (q − zero point) and T (n × R) float64 targets. PᵀP is exact (MatMulInteger: uint8
 * products summed in int32), PᵀT is float64. Weight rounding needs both for every layer over
 * thousands of patches; onnxruntime's kernels do it some 50× faster than a JavaScript loop.
 */
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const [UINT8, INT32, DOUBLE] = [2, 6, 11];

export interface GramSession {
  /** `P`: n × F patches as uint8 (q + 128), `zero`: the zero point + 128. Returns Σ(q−z)(q−z)ᵀ (F × F) and Σ(q−z)tᵀ (F × R), row-major. */
  run(P: Uint8Array, zero: number, T: Float64Array): Promise<{ H: Int32Array; G: Float64Array }>;
  release(): Promise<void>;
}

/** n·255² must fit int32: at most 33,000 patches per call. */
export async function openGram(n: number, F: number, R: number): Promise<GramSession> {
  const vi = (name: string, type: number, dims: number[]) => ({ name, type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const ints = (name: string, v: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => ({ opType, input, output: [output], attribute });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'reparo',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'gram',
      node: [
        node('Transpose', ['P'], 'Pt', [ints('perm', [1, 0])]),
        node('MatMulInteger', ['Pt', 'P', 'z', 'z'], 'H'),
        node('Cast', ['Pt'], 'Ptd', [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DOUBLE }]),
        node('Cast', ['z'], 'zd', [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DOUBLE }]),
        node('Sub', ['Ptd', 'zd'], 'Ptc'),
        node('MatMul', ['Ptc', 'T'], 'G'),
      ],
      input: [vi('P', UINT8, [n, F]), vi('z', UINT8, []), vi('T', DOUBLE, [n, R])],
      output: [vi('H', INT32, [F, F]), vi('G', DOUBLE, [F, R])],
    },
  };
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), { intraOpNumThreads: 1 });
  return {
    async run(P, zero, T) {
      const r = await session.run({ P: new ort.Tensor('uint8', P, [n, F]), z: new ort.Tensor('uint8', Uint8Array.of(zero), []), T: new ort.Tensor('float64', T, [n, R]) });
      return { H: r.H!.data as Int32Array, G: r.G!.data as Float64Array };
    },
    release: () => session.release(),
  };
}

export interface MatMulSession {
  /** A (m × k) · B (k × n), float64, row-major. */
  run(A: Float64Array, B: Float64Array, m: number, k: number, n: number): Promise<Float64Array>;
  release(): Promise<void>;
}

/** One float64 MatMul session for any shapes (dims are symbolic), for the big products of weight rounding. */
export async function openMatMul(): Promise<MatMulSession> {
  const vi = (name: string, dims: string[]) => ({ name, type: { tensorType: { elemType: DOUBLE, shape: { dim: dims.map((d) => ({ dimParam: d })) } } } });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'reparo',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'matmul', node: [{ opType: 'MatMul', input: ['A', 'B'], output: ['C'] }], input: [vi('A', ['m', 'k']), vi('B', ['k', 'n'])], output: [vi('C', ['m', 'n'])] },
  };
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), { intraOpNumThreads: 1 });
  return {
    async run(A, B, m, k, n) {
      const r = await session.run({ A: new ort.Tensor('float64', A, [m, k]), B: new ort.Tensor('float64', B, [k, n]) });
      return r.C!.data as Float64Array;
    },
    release: () => session.release(),
  };
}
