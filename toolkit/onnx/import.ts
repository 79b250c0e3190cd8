/**
 * ONNX → Graph. Reads initializers from typed fields, raw_data and external data files, turns
 * Constant nodes into initializers, folds constant subgraphs, and requires static shapes.
 * Fails up front, listing every unsupported op at once.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { ReparoError } from '../errors.ts';
import { topoSort, type Attr, type Graph, type Node, type ValueInfo } from '../graph/graph.ts';
import { onnxDType } from '../graph/ops.ts';
import { sizeOf, type DType, type Tensor } from '../graph/tensor.ts';
import { foldConstants } from '../graph/fold-constants.ts';
import { inferValues, unsupportedOps } from '../graph/evaluate.ts';

const { onnx } = onnxProto;
export const SUPPORTED_OPSETS = { min: 11, max: 20 };

export interface ImportOptions {
  /** Override input shapes (for models exported with dynamic axes). */
  inputShapes?: Record<string, number[]>;
}

const num = (v: number | { toNumber(): number } | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

export function readOnnx(path: string, opts: ImportOptions = {}): Graph {
  if (!existsSync(path)) throw new ReparoError('E_IO', `no such file`, { file: path, hint: 'check the path of the model' });
  return parseOnnx(readFileSync(path), { ...opts, file: path, baseDir: dirname(resolve(path)) });
}

export function parseOnnx(bytes: Uint8Array, opts: ImportOptions & { file?: string; baseDir?: string } = {}): Graph {
  const file = opts.file ?? '<buffer>';
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ReparoError('E_ONNX_PARSE', `not a valid ONNX protobuf (${(e as Error).message})`, {
      file,
      hint: 'the file is truncated or not an ONNX model; export it again from PyTorch',
    });
  }
  const g = model.graph;
  if (!g || !g.node) throw new ReparoError('E_ONNX_PARSE', 'the model has no graph', { file, hint: 'the file is truncated or not an ONNX model' });
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = num(opsetEntry?.version);
  if (opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max)
    throw new ReparoError('E_ONNX_PARSE', `opset ${opset || '(none)'} is outside the supported range ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}`, {
      file,
      hint: `export with opset_version between ${SUPPORTED_OPSETS.min} and ${SUPPORTED_OPSETS.max}`,
    });

  const ext = new ExternalData(file, opts.baseDir);
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', readTensor(t, file, ext));

  const inputs: ValueInfo[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (initializers.has(name)) continue; // IR < 4 lists initializers as inputs too
    inputs.push({ name, dtype: 'float32', dims: inputDims(vi, file, opts.inputShapes?.[name]) });
  }

  const nodes: Node[] = [];
  (g.node ?? []).forEach((n, k) => {
    const name = n.name || `${n.opType}_${k}`;
    if (n.domain && n.domain !== 'ai.onnx')
      throw new ReparoError('E_UNSUPPORTED_OP', `op ${n.domain}::${n.opType} is from a custom domain`, { file, node: name, hint: 'export with standard ONNX ops only' });
    const attrs: Record<string, Attr> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ''] = readAttr(a, file, name, ext);
    if (n.opType === 'Constant') {
      initializers.set(n.output![0]!, constantValue(attrs, file, name));
      return;
    }
    nodes.push({ name, op: n.opType ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs });
  });

  const outputs: ValueInfo[] = (g.output ?? []).map((o) => ({ name: o.name ?? '', dtype: 'float32', dims: [] }));
  const graph: Graph = { name: g.name || 'graph', opset, inputs, outputs, nodes, initializers };

  const bad = unsupportedOps(graph);
  if (bad.length) {
    const ops = [...new Set(bad.map((n) => n.op))];
    throw new ReparoError('E_UNSUPPORTED_OP', `unsupported op(s) ${ops.join(', ')} (first at node '${bad[0]!.name}'; ${bad.length} node(s) in all)`, {
      file,
      hint: 'reparo reads conv nets made of standard ONNX ops; see the README for the supported list',
    });
  }
  let sorted: Graph;
  try {
    sorted = foldConstants(topoSort(graph));
  } catch (e) {
    throw withFile(e, file);
  }
  let facts;
  try {
    facts = inferValues(sorted);
  } catch (e) {
    throw withFile(e, file);
  }
  return {
    ...sorted,
    outputs: sorted.outputs.map((o) => {
      const f = facts.get(o.name);
      if (!f) throw new ReparoError('E_GRAPH', `graph output '${o.name}' is produced by no node`, { file });
      return { ...o, dims: f.dims };
    }),
  };
}

function withFile(e: unknown, file: string): unknown {
  if (e instanceof ReparoError && !e.where.file) return new ReparoError(e.code, e.message, { ...e.where, file });
  return e;
}

function inputDims(vi: onnxProto.onnx.IValueInfoProto, file: string, override?: number[]): number[] {
  const tt = vi.type?.tensorType;
  if (!tt) throw new ReparoError('E_ONNX_PARSE', `input '${vi.name}' is not a tensor`, { file });
  if (tt.elemType !== 1) throw new ReparoError('E_UNSUPPORTED_OP', `input '${vi.name}' has element type ${tt.elemType}; reparo expects float32 inputs`, { file });
  if (override) return override;
  const dims = (tt.shape?.dim ?? []).map((d) => (d.dimParam || d.dimValue == null ? -1 : num(d.dimValue)));
  if (!tt.shape || dims.some((d) => d < 1))
    throw new ReparoError('E_DYNAMIC_SHAPE', `input '${vi.name}' has dynamic shape [${dims.map((d) => (d < 1 ? '?' : d)).join(',')}]`, {
      file,
      hint: `export with a fixed input size (no dynamic_axes/dynamic_shapes), or pass --input-shape ${vi.name}=1x1x28x28`,
    });
  return dims;
}

/** Resolves and reads external data files, refusing locations outside the model's folder. */
class ExternalData {
  private cache = new Map<string, Buffer>();
  constructor(private file: string, private baseDir?: string) {}
  read(entries: onnxProto.onnx.IStringStringEntryProto[], tensor: string, bytes: number): Uint8Array {
    const kv = Object.fromEntries(entries.map((e) => [e.key, e.value]));
    const loc = kv.location ?? '';
    if (!this.baseDir) throw new ReparoError('E_ONNX_EXTERNAL_DATA', `tensor '${tensor}' lives in an external file but the model was given as bytes`, { file: this.file });
    if (!loc || isAbsolute(loc) || normalize(loc).startsWith('..'))
      throw new ReparoError('E_ONNX_EXTERNAL_DATA', `tensor '${tensor}' names an external data location '${loc}' outside the model's folder`, { file: this.file });
    const path = resolve(this.baseDir, loc);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new ReparoError('E_ONNX_EXTERNAL_DATA', `external data file '${loc}' (for tensor '${tensor}') is missing`, {
        file: this.file,
        hint: `copy ${loc} next to the model: PyTorch's exporter writes the weights there`,
      });
    let buf = this.cache.get(path);
    if (!buf) this.cache.set(path, (buf = readFileSync(path)));
    const offset = Number(kv.offset ?? 0);
    const length = kv.length !== undefined ? Number(kv.length) : bytes;
    if (!(offset >= 0 && length === bytes && offset + length <= buf.length))
      throw new ReparoError('E_ONNX_EXTERNAL_DATA', `tensor '${tensor}' wants bytes ${offset}..${offset + length} of '${loc}' (${buf.length} bytes; tensor needs ${bytes})`, {
        file: this.file,
        hint: 'the external data file does not belong to this model or is truncated',
      });
    return buf.subarray(offset, offset + length);
  }
}

const ELEM_BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

function readTensor(t: onnxProto.onnx.ITensorProto, file: string, ext: ExternalData): Tensor {
  const name = t.name ?? '';
  const dtype = onnxDType(t.dataType ?? 0, { file, node: name });
  const dims = (t.dims ?? []).map(num);
  const n = sizeOf(dims);
  if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31) throw new ReparoError('E_ONNX_PARSE', `tensor '${name}' has impossible dims [${dims}]`, { file });
  const bytes = n * ELEM_BYTES[dtype];
  let raw: Uint8Array | undefined;
  if (t.dataLocation === 1) raw = ext.read(t.externalData ?? [], name, bytes);
  else if (t.rawData && t.rawData.length) raw = t.rawData;
  if (raw) {
    if (raw.length !== bytes) throw new ReparoError('E_ONNX_PARSE', `tensor '${name}' has ${raw.length} bytes of data for dims [${dims}] (${bytes} expected)`, { file });
    const copy = new Uint8Array(raw).buffer; // rawData is an unaligned view into the file (Buffer.slice would not copy)
    return { dtype, dims, data: typedView(dtype, copy) };
  }
  const typed: ArrayLike<number | { toNumber(): number }> =
    dtype === 'float32' ? (t.floatData ?? []) : dtype === 'float64' ? (t.doubleData ?? []) : dtype === 'int64' ? (t.int64Data ?? []) : (t.int32Data ?? []);
  if (typed.length !== n) throw new ReparoError('E_ONNX_PARSE', `tensor '${name}' has ${typed.length} values for dims [${dims}]`, { file });
  const values = Array.from(typed, (v) => num(v));
  return { dtype, dims, data: fromNumbers(dtype, values) };
}

function typedView(dtype: DType, buf: ArrayBuffer) {
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'uint8':
    case 'bool': return new Uint8Array(buf);
  }
}

function fromNumbers(dtype: DType, v: number[]) {
  switch (dtype) {
    case 'float32': return Float32Array.from(v);
    case 'float64': return Float64Array.from(v);
    case 'int64': return BigInt64Array.from(v, (x) => BigInt(x));
    case 'int32': return Int32Array.from(v);
    case 'int8': return Int8Array.from(v);
    case 'uint8':
    case 'bool': return Uint8Array.from(v);
  }
}

const dec = new TextDecoder();
function readAttr(a: onnxProto.onnx.IAttributeProto, file: string, node: string, ext: ExternalData): Attr {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT: return { kind: 'int', value: num(a.i) };
    case T.FLOAT: return { kind: 'float', value: a.f ?? 0 };
    case T.STRING: return { kind: 'string', value: dec.decode(a.s ?? new Uint8Array()) };
    case T.INTS: return { kind: 'ints', value: (a.ints ?? []).map(num) };
    case T.FLOATS: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case T.STRINGS: return { kind: 'strings', value: (a.strings ?? []).map((s) => dec.decode(s)) };
    case T.TENSOR: return { kind: 'tensor', value: readTensor(a.t ?? {}, file, ext) };
    default:
      throw new ReparoError('E_UNSUPPORTED_OP', `attribute '${a.name}' has unsupported type ${a.type}`, { file, node });
  }
}

function constantValue(attrs: Record<string, Attr>, file: string, node: string): Tensor {
  const [key, a] = Object.entries(attrs)[0] ?? [];
  if (!a) throw new ReparoError('E_ONNX_PARSE', 'Constant node without a value', { file, node });
  switch (a.kind) {
    case 'tensor': return a.value;
    case 'float': return { dtype: 'float32', dims: [], data: Float32Array.of(a.value) };
    case 'floats': return { dtype: 'float32', dims: [a.value.length], data: Float32Array.from(a.value) };
    case 'int': return { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(a.value)) };
    case 'ints': return { dtype: 'int64', dims: [a.value.length], data: BigInt64Array.from(a.value, (x) => BigInt(x)) };
    default:
      throw new ReparoError('E_UNSUPPORTED_OP', `Constant with '${key}' is not supported`, { file, node });
  }
}
