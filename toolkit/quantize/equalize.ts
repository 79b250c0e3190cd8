/**
 * Cross-layer equalization (Nagel et al. 2019): for conv A → ReLU → conv B, scale A's output channel
 * i by 1/sᵢ and B's input channel i by sᵢ, sᵢ = √(r_Aᵢ / r_Bᵢ), so that both weight ranges become
 * √(r_Aᵢ·r_Bᵢ). Exact in float because ReLU(x/s) = ReLU(x)/s for s > 0; it evens out the outlier
 * channels that fused RepVGG kernels have, which per-channel scales alone cannot fix in B's inputs.
 */
import { attrInt, consumers, type Graph, type Node } from '../graph/graph.ts';
import { toFloat64, type Tensor } from '../graph/tensor.ts';

interface Pair {
  a: Node;
  b: Node;
}

function pairs(g: Graph): Pair[] {
  const cons = consumers(g);
  const outs = new Set(g.outputs.map((o) => o.name));
  const found: Pair[] = [];
  for (const a of g.nodes) {
    if (a.op !== 'Conv' || !g.initializers.has(a.inputs[1]!)) continue;
    const r = cons.get(a.outputs[0]!) ?? [];
    if (r.length !== 1 || r[0]!.op !== 'Relu' || outs.has(a.outputs[0]!) || outs.has(r[0]!.outputs[0]!)) continue;
    const b = cons.get(r[0]!.outputs[0]!) ?? [];
    if (b.length === 1 && b[0]!.op === 'Conv' && b[0]!.inputs[0] === r[0]!.outputs[0] && g.initializers.has(b[0]!.inputs[1]!)) found.push({ a, b: b[0]! });
  }
  return found;
}

const f32 = (t: Tensor, data: Float64Array): Tensor => ({ dtype: 'float32', dims: t.dims, data: Float32Array.from(data) });

/** Equalizes every conv → ReLU → conv pair, `iterations` sweeps over the chain. */
export function equalizeCrossLayer(g: Graph, iterations = 4): { graph: Graph; pairs: number } {
  const ps = pairs(g);
  const inits = new Map(g.initializers);
  for (let it = 0; it < iterations; it++)
    for (const { a, b } of ps) {
      const wa = inits.get(a.inputs[1]!)!, wb = inits.get(b.inputs[1]!)!;
      const A = toFloat64(wa), B = toFloat64(wb);
      const C = wa.dims[0]!, perA = A.length / C;
      const gb = attrInt(b, 'group', 1), Ib = wb.dims[1]!, kb = wb.dims[2]! * wb.dims[3]!, Ob = wb.dims[0]!;
      const rA = new Float64Array(C), rB = new Float64Array(C);
      for (let i = 0; i < C; i++) for (let k = 0; k < perA; k++) rA[i] = Math.max(rA[i]!, Math.abs(A[i * perA + k]!));
      // B's weight [o, iLocal]: global input channel = group(o)·Ib + iLocal
      const inChannel = (o: number, il: number) => Math.floor(o / (Ob / gb)) * Ib + il;
      for (let o = 0; o < Ob; o++) for (let il = 0; il < Ib; il++) for (let k = 0; k < kb; k++) {
        const i = inChannel(o, il);
        rB[i] = Math.max(rB[i]!, Math.abs(B[(o * Ib + il) * kb + k]!));
      }
      const s = rA.map((r, i) => (r > 0 && rB[i]! > 0 ? Math.sqrt(r / rB[i]!) : 1));
      for (let i = 0; i < C; i++) for (let k = 0; k < perA; k++) A[i * perA + k]! /= s[i]!;
      for (let o = 0; o < Ob; o++) for (let il = 0; il < Ib; il++) for (let k = 0; k < kb; k++) B[(o * Ib + il) * kb + k]! *= s[inChannel(o, il)]!;
      inits.set(a.inputs[1]!, f32(wa, A));
      if (a.inputs[2]) {
        const ba = inits.get(a.inputs[2])!;
        inits.set(a.inputs[2], f32(ba, toFloat64(ba).map((v, i) => v / s[i]!)));
      }
      inits.set(b.inputs[1]!, f32(wb, B));
    }
  return { graph: { ...g, initializers: inits }, pairs: ps.length };
}
