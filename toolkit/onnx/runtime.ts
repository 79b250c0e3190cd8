/** onnxruntime-node as the independent float oracle: graph optimizations off, so it runs the graph as written. */
import ort from 'onnxruntime-node';
import type { Graph } from '../graph/graph.ts';
import { serializeOnnx } from './export.ts';
import { threadOptions } from './threads.ts';

export interface OrtModel {
  run(inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

/** Opens `g` in onnxruntime; `extraOutputs` are intermediate values to return as well. */
export async function openInOrt(g: Graph, extraOutputs: readonly string[] = [], threads = 1): Promise<OrtModel> {
  const known = new Set(g.outputs.map((o) => o.name));
  const graph: Graph = {
    ...g,
    outputs: [...g.outputs, ...extraOutputs.filter((o) => !known.has(o)).map((name) => ({ name, dims: [], dtype: 'float32' as const }))],
  };
  const session = await ort.InferenceSession.create(serializeOnnx(graph), { graphOptimizationLevel: 'disabled', ...threadOptions(threads) });
  const dims = new Map(g.inputs.map((i) => [i.name, i.dims]));
  return {
    async run(inputs) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(inputs)) feeds[k] = new ort.Tensor('float32', v, dims.get(k) as number[]);
      const res = await session.run(feeds);
      return Object.fromEntries(Object.entries(res).map(([k, t]) => [k, t.data as Float32Array]));
    },
    release: () => session.release(),
  };
}
