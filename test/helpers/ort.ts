import { openInOrt } from '../../toolkit/onnx/index.ts';
import { evaluate, sizeOf, type Graph, randomInput } from '../../toolkit/graph/index.ts';

/** Runs `g` on one random input in onnxruntime and in reparo's float64 evaluator. */
export async function bothEngines(g: Graph, seed = 1): Promise<{ ort: Float32Array; ours: Float64Array }> {
  const inp = g.inputs[0]!;
  const x = randomInput(sizeOf(inp.dims), seed, seed);
  const m = await openInOrt(g);
  try {
    const ort = (await m.run({ [inp.name]: x }))[g.outputs[0]!.name]!;
    const ours = evaluate(g, new Map([[inp.name, { dtype: 'float32' as const, dims: [...inp.dims], data: Float64Array.from(x) }]])).get(g.outputs[0]!.name)!.data;
    return { ort, ours };
  } finally {
    await m.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
