/** Graph → ONNX bytes (IR 8, weights as raw_data), loadable by onnxruntime and Netron. */
import onnxProto from 'onnx-proto';
import type { Attr, Graph } from '../graph/graph.ts';
import { ONNX_DTYPE_CODE } from '../graph/ops.ts';
import type { Tensor } from '../graph/tensor.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { inferValues } from '../graph/evaluate.ts';

const { onnx } = onnxProto;

function tensorProto(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
  const d = t.data;
  return {
    name,
    dims: [...t.dims],
    dataType: ONNX_DTYPE_CODE[t.dtype],
    rawData: new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)),
  };
}

function attrProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const enc = new TextEncoder();
  switch (a.kind) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'string': return { name, type: T.STRING, s: enc.encode(a.value) };
    case 'ints': return { name, type: T.INTS, ints: a.value };
    case 'floats': return { name, type: T.FLOATS, floats: a.value };
    case 'strings': return { name, type: T.STRINGS, strings: a.value.map((s) => enc.encode(s)) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorProto('', a.value) };
  }
}

function valueInfo(name: string, dims: readonly number[], elemType = 1): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

export function serializeOnnx(g: Graph, producer = 'reparo'): Uint8Array {
  // output shapes help viewers; a graph we cannot infer (e.g. a test's unsupported op) is still written
  let facts: ReturnType<typeof inferValues> | undefined;
  try {
    if (g.outputs.some((o) => !o.dims.length)) facts = inferValues(g);
  } catch {
    facts = undefined;
  }
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: producer,
    opsetImport: [{ domain: '', version: g.opset }],
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
      })),
      initializer: [...g.initializers].map(([k, t]) => tensorProto(k, t)),
      input: g.inputs.map((i) => valueInfo(i.name, i.dims)),
      output: g.outputs.map((o) => valueInfo(o.name, o.dims.length ? o.dims : (facts?.get(o.name)?.dims ?? []))),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export function writeOnnx(path: string, g: Graph): void {
  writeFileAtomic(path, serializeOnnx(g));
}
