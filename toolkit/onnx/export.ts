/** Graph → ONNX bytes (IR 8, weights as raw_data), loadable by onnxruntime and Netron. */
import onnxProto from 'onnx-proto';
import { attrString, nameAllocator, type Attr, type Graph, type Node } from '../graph/graph.ts';
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

/**
 * Ops reparo's IR has that the model's opset lacks are written in the older spelling, as the exporters
 * write them: Gelu (opset 20) as x·0.5·(1 + erf(x/√2)) or its tanh form, HardSwish (opset 14) as
 * x·HardSigmoid(x).
 */
export function spellForOpset(g: Graph): Graph {
  const respell = (n: Node) => (n.op === 'Gelu' && g.opset < 20) || (n.op === 'HardSwish' && g.opset < 14);
  if (!g.nodes.some(respell)) return g;
  const fresh = nameAllocator(g);
  const initializers = new Map(g.initializers);
  const scalar = (v: number) => {
    const name = fresh('gelu_const');
    initializers.set(name, { dtype: 'float32', dims: [], data: Float32Array.of(v) });
    return name;
  };
  const [half, one] = g.nodes.some((n) => n.op === 'Gelu') ? [scalar(0.5), scalar(1)] : ['', ''];
  const nodes = g.nodes.flatMap((n): Node[] => {
    if (!respell(n)) return [n];
    const x = n.inputs[0]!, v = (s: string) => fresh(`${n.name}_${s}`);
    const op = (type: string, inputs: string[], output = v(type)): Node => ({ name: fresh(`${n.name}_${type}`), op: type, inputs, outputs: [output], attrs: {} });
    if (n.op === 'HardSwish') {
      // as torch's exporter writes it below opset 14
      const h: Node = { ...op('HardSigmoid', [x]), attrs: { alpha: { kind: 'float', value: 1 / 6 }, beta: { kind: 'float', value: 0.5 } } };
      return [h, op('Mul', [x, h.outputs[0]!], n.outputs[0]!)];
    }
    let inner: Node[];
    if (attrString(n, 'approximate', 'none') === 'tanh') {
      const cube = op('Mul', [x, x]), cube2 = op('Mul', [cube.outputs[0]!, x]);
      const t1 = op('Mul', [cube2.outputs[0]!, scalar(0.044715)]), t2 = op('Add', [x, t1.outputs[0]!]);
      const t3 = op('Mul', [t2.outputs[0]!, scalar(Math.sqrt(2 / Math.PI))]), th = op('Tanh', [t3.outputs[0]!]);
      inner = [cube, cube2, t1, t2, t3, th];
    } else {
      const d = op('Div', [x, scalar(Math.SQRT2)]), e = op('Erf', [d.outputs[0]!]);
      inner = [d, e];
    }
    const plus = op('Add', [inner.at(-1)!.outputs[0]!, one]);
    const xs = op('Mul', [x, plus.outputs[0]!]);
    return [...inner, plus, xs, op('Mul', [xs.outputs[0]!, half], n.outputs[0]!)];
  });
  return { ...g, nodes, initializers };
}

export function serializeOnnx(graph: Graph, producer = 'reparo'): Uint8Array {
  const g = spellForOpset(graph);
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
