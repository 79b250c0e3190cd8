import { ReparoError } from '../errors.ts';
import type { Graph, Node } from './graph.ts';
import { OPS, type ShapeIn, type Val } from './ops.ts';
import { sizeOf, toFloat64, type DType, type Tensor } from './tensor.ts';

export function tensorToVal(t: Tensor): Val {
  return { dtype: t.dtype, dims: [...t.dims], data: toFloat64(t) };
}

export function valToTensor(v: Val): Tensor {
  const { dtype, dims, data } = v;
  switch (dtype) {
    case 'float32': return { dtype, dims, data: Float32Array.from(data) };
    case 'float64': return { dtype, dims, data: Float64Array.from(data) };
    case 'int64': return { dtype, dims, data: BigInt64Array.from(data, (x) => BigInt(x)) };
    case 'int32': return { dtype, dims, data: Int32Array.from(data) };
    case 'int8': return { dtype, dims, data: Int8Array.from(data) };
    case 'uint8':
    case 'bool': return { dtype, dims, data: Uint8Array.from(data) };
  }
}

export function unsupportedOps(g: Graph): Node[] {
  return g.nodes.filter((n) => !(n.op in OPS));
}

function opOf(n: Node) {
  const def = OPS[n.op];
  if (!def) throw new ReparoError('E_UNSUPPORTED_OP', `op ${n.op} is not supported`, { node: n.name, op: n.op });
  return def;
}

function wrap<T>(n: Node, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ReparoError) throw e;
    throw new ReparoError('E_SHAPE', (e as Error).message, { node: n.name, op: n.op });
  }
}

export interface ValueFacts {
  dtype: DType;
  dims: number[];
  /** Present when the value does not depend on any graph input (computed on first read for initializers). */
  value?: Val;
}

/** Facts of an initializer whose float64 copy is made only when a rule reads it (weights are large). */
function initializerFacts(t: Tensor): ValueFacts {
  let memo: Val | undefined;
  return {
    dtype: t.dtype,
    dims: [...t.dims],
    get value() {
      return (memo ??= tensorToVal(t));
    },
  };
}

/**
 * Static shape inference with constant propagation: walks the (topologically sorted) nodes once,
 * computing each output's shape, and its value when all inputs are constants or the op is Shape.
 */
export function inferValues(g: Graph, maxConstElements = 1 << 22): Map<string, ValueFacts> {
  const facts = new Map<string, ValueFacts>();
  for (const i of g.inputs) facts.set(i.name, { dtype: i.dtype, dims: [...i.dims] });
  for (const [k, t] of g.initializers) facts.set(k, initializerFacts(t));
  for (const n of g.nodes) {
    const def = opOf(n);
    const ins = n.inputs.map((i) => (i ? facts.get(i) : undefined)) as ShapeIn[];
    n.inputs.forEach((name, k) => {
      if (name && !ins[k]) throw new ReparoError('E_GRAPH', `input '${name}' is not defined before use`, { node: n.name, op: n.op });
    });
    const allConst = n.inputs.every((i, k) => !i || g.initializers.has(i) || ins[k]!.value);
    const outs = wrap(n, () => def.shape(n, ins, g.opset));
    const values =
      allConst && outs.every((o) => sizeOf(o.dims) <= maxConstElements)
        ? wrap(n, () => def.run(n, ins.map((v) => v?.value) as Val[], g.opset))
        : n.op === 'Shape'
          ? def.run(n, ins as unknown as Val[], g.opset)
          : undefined;
    n.outputs.forEach((o, k) => {
      if (o) facts.set(o, { ...outs[k]!, value: values?.[k] });
    });
  }
  return facts;
}

/** Runs the graph on float64 values and returns the requested values (graph outputs by default). */
export function evaluate(g: Graph, feeds: ReadonlyMap<string, Val>, wanted: readonly string[] = g.outputs.map((o) => o.name)): Map<string, Val> {
  const env = new Map<string, Val>();
  for (const [k, t] of g.initializers) env.set(k, tensorToVal(t));
  for (const i of g.inputs) {
    const v = feeds.get(i.name);
    if (!v) throw new ReparoError('E_USAGE', `no value fed for graph input '${i.name}'`);
    env.set(i.name, v);
  }
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, k) => n.inputs.forEach((i) => i && lastUse.set(i, k)));
  const keep = new Set(wanted);
  g.nodes.forEach((n, k) => {
    const ins = n.inputs.map((i) => (i ? env.get(i) : undefined)) as Val[];
    const outs = wrap(n, () => opOf(n).run(n, ins, g.opset));
    n.outputs.forEach((o, j) => o && env.set(o, outs[j]!));
    // free intermediates early: regions are evaluated on large impulse batches
    for (const i of n.inputs) if (i && lastUse.get(i) === k && !keep.has(i) && !g.initializers.has(i)) env.delete(i);
  });
  const result = new Map<string, Val>();
  for (const w of wanted) {
    const v = env.get(w);
    if (!v) throw new ReparoError('E_GRAPH', `value '${w}' was not computed`);
    result.set(w, v);
  }
  return result;
}
