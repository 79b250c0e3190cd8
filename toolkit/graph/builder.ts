import type { Attr, Graph, Node, ValueInfo } from './graph.ts';
import type { Tensor } from './tensor.ts';

/** Builds graphs by hand: tests write exporter shapes with it, bench builds nets with it. */
export class GraphBuilder {
  private nodes: Node[] = [];
  private inits = new Map<string, Tensor>();
  private ins: ValueInfo[] = [];
  private outs: ValueInfo[] = [];
  private count = 0;
  constructor(private name = 'graph', private opset = 13) {}

  input(name: string, dims: number[]): string {
    this.ins.push({ name, dims, dtype: 'float32' });
    return name;
  }
  init(name: string, t: Tensor): string {
    this.inits.set(name, t);
    return name;
  }
  /** Adds a node; returns its first output name (all outputs are `${name}:k` after the first). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, name = `${op.toLowerCase()}_${this.count++}`, nOut = 1): string {
    const outputs = Array.from({ length: nOut }, (_, k) => (k === 0 ? name : `${name}:${k}`));
    this.nodes.push({ name, op, inputs, outputs, attrs });
    return outputs[0]!;
  }
  output(name: string, dims: number[] = []): void {
    this.outs.push({ name, dims, dtype: 'float32' });
  }
  build(): Graph {
    return { name: this.name, opset: this.opset, inputs: this.ins, outputs: this.outs, nodes: this.nodes, initializers: this.inits };
  }
}
