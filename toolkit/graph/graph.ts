import { ReparoError } from '../errors.ts';
import type { Tensor } from './tensor.ts';

/** An ONNX attribute value, tagged with its ONNX kind so that export writes back the same type. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: Tensor };

export interface Node {
  readonly name: string;
  readonly op: string;
  /** Value names; '' marks an omitted optional input, as in ONNX. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

export interface ValueInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dtype: 'float32';
}

/** A static-shape inference graph. Nodes are kept in topological order. */
export interface Graph {
  readonly name: string;
  readonly opset: number;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, Tensor>;
}

export function attrInt(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  if (!a) return dflt;
  if (a.kind !== 'int' && a.kind !== 'float') throw badAttr(node, name, 'a number');
  return a.value;
}

export function attrFloat(node: Node, name: string, dflt: number): number {
  return attrInt(node, name, dflt);
}

export function attrInts(node: Node, name: string, dflt: number[]): number[] {
  const a = node.attrs[name];
  if (!a) return dflt;
  if (a.kind !== 'ints') throw badAttr(node, name, 'a list of ints');
  return a.value;
}

export function attrString(node: Node, name: string, dflt: string): string {
  const a = node.attrs[name];
  if (!a) return dflt;
  if (a.kind !== 'string') throw badAttr(node, name, 'a string');
  return a.value;
}

function badAttr(node: Node, name: string, want: string): ReparoError {
  return new ReparoError('E_GRAPH', `attribute '${name}' should be ${want}`, { node: node.name, op: node.op });
}

export const ints = (value: number[]): Attr => ({ kind: 'ints', value });
export const int = (value: number): Attr => ({ kind: 'int', value });

/** Map from value name to the node producing it. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from value name to the nodes reading it (graph outputs are not counted). */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes)
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  return m;
}

/** Kahn's algorithm, stable with respect to the given order; fails on cycles or undefined values. */
export function topoSort(g: Graph): Graph {
  const known = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.keys(), '']);
  const pending = [...g.nodes];
  const sorted: Node[] = [];
  while (pending.length) {
    const idx = pending.findIndex((n) => n.inputs.every((i) => known.has(i)));
    if (idx < 0) {
      const n = pending[0]!;
      const missing = n.inputs.filter((i) => !known.has(i));
      throw new ReparoError('E_GRAPH', `input(s) ${missing.join(', ')} are produced by no node (or by a cycle)`, {
        node: n.name,
        op: n.op,
      });
    }
    const [n] = pending.splice(idx, 1);
    for (const o of n!.outputs) known.add(o);
    sorted.push(n!);
  }
  return { ...g, nodes: sorted };
}

/** Drops nodes and initializers that no graph output depends on. */
export function removeUnused(g: Graph): Graph {
  const prod = producers(g);
  const live = new Set<string>(g.outputs.map((o) => o.name));
  const keep = new Set<Node>();
  const stack = [...live];
  while (stack.length) {
    const v = stack.pop()!;
    const n = prod.get(v);
    if (!n || keep.has(n)) continue;
    keep.add(n);
    for (const i of n.inputs) if (i && !live.has(i)) (live.add(i), stack.push(i));
  }
  const initializers = new Map([...g.initializers].filter(([k]) => live.has(k)));
  return { ...g, nodes: g.nodes.filter((n) => keep.has(n)), initializers };
}

/** Returns a name based on `base` that is not used by any value or node of the graph. */
export function nameAllocator(g: Graph): (base: string) => string {
  const used = new Set<string>([...g.initializers.keys(), ...g.inputs.map((v) => v.name)]);
  for (const n of g.nodes) {
    used.add(n.name);
    for (const o of n.outputs) used.add(o);
  }
  return (base: string) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}
