/**
 * Learned rounding (AdaRound, GPTQ) against independent oracles: exhaustive search over the
 * up/down choices of small rows, and onnxruntime's float outputs of a real fixture.
 */
import { describe, expect, it } from 'vitest';
import { adaroundRounding } from '../../toolkit/quantize/adaround.ts';
import { gptqRounding } from '../../toolkit/quantize/gptq.ts';
import { quantizeGraph } from '../../toolkit/quantize/index.ts';
import { readOnnx } from '../../toolkit/onnx/index.ts';
import { fuseGraph } from '../../toolkit/fuse/index.ts';
import { openDataset } from '../../toolkit/data/index.ts';
import { openInOrt } from '../../toolkit/onnx/runtime.ts';
import { openMatMul } from '../../toolkit/onnx/index.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { quantizeInput, nchwToNhwc } from '../../toolkit/pipeline/evaluate.ts';

/** Deterministic pseudo-random numbers for the test data. */
function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** A correlated covariance H = AᵀA/n of F features and targets g = H·w (the float weights' outputs). */
function problem(F: number, seed: number) {
  const r = rng(seed), n = 64;
  const A = Array.from({ length: n * F }, () => r() - 0.5);
  for (let i = 0; i < n; i++) for (let j = 1; j < F; j++) A[i * F + j]! += 0.8 * A[i * F + j - 1]!; // neighbours correlate, as conv patches do
  const H = new Float64Array(F * F);
  for (let i = 0; i < n; i++) for (let a = 0; a < F; a++) for (let b = 0; b < F; b++) H[a * F + b]! += (A[i * F + a]! * A[i * F + b]!) / n;
  const W = Float64Array.from({ length: F }, () => (r() - 0.5) * 2);
  const g = Float64Array.from({ length: F }, (_, a) => W.reduce((s, w, b) => s + H[a * F + b]! * w, 0));
  return { H, g, W };
}

/** Output error (w̃ − w)ᵀH(w̃ − w) of integers q at scale s. */
function loss(H: Float64Array, W: Float64Array, q: ArrayLike<number>, s: number): number {
  const F = W.length, e = Array.from(W, (w, i) => q[i]! * s - w);
  let l = 0;
  for (let a = 0; a < F; a++) for (let b = 0; b < F; b++) l += e[a]! * H[a * F + b]! * e[b]!;
  return l;
}

describe('learned rounding on small rows, against exhaustive search', () => {
  const F = 10, s = 1 / 20;
  it('AdaRound stays on floor/ceil and comes within 1.5× of the best of all 2^10 roundings; both beat nearest over 8 rows', async () => {
    const mm = await openMatMul();
    const total = { nearest: 0, ada: 0, gptq: 0 };
    for (let seed = 1; seed <= 8; seed++) {
      const { H, g, W } = problem(F, seed);
      const nearest = Array.from(W, (w) => Math.round(w / s));
      let best = Infinity;
      for (let m = 0; m < 1 << F; m++) best = Math.min(best, loss(H, W, Array.from(W, (w, i) => Math.floor(w / s) + ((m >> i) & 1)), s));
      const ada = adaroundRounding(H, g, W, [s], { iterations: 500, lambda: 0.01 });
      const gptq = await gptqRounding(H, g, W, [s], { damp: 0.01, refit: false }, mm);
      ada.forEach((q, i) => expect([Math.floor(W[i]! / s), Math.ceil(W[i]! / s)]).toContain(q));
      const la = loss(H, W, ada, s);
      expect(la).toBeLessThanOrEqual(best * 1.5);
      total.nearest += loss(H, W, nearest, s);
      total.ada += la;
      total.gptq += loss(H, W, gptq, s);
    }
    expect(total.ada).toBeLessThan(0.8 * total.nearest);
    expect(total.gptq).toBeLessThan(0.9 * total.nearest);
    await mm.release();
  });

  it('with uncorrelated inputs (H = I) both are rounding to nearest', async () => {
    const mm = await openMatMul();
    const H = new Float64Array(F * F);
    for (let i = 0; i < F; i++) H[i * F + i] = 1;
    const W = Float64Array.from({ length: F }, (_, i) => (i - 4.6) * 0.137);
    const nearest = Array.from(W, (w) => Math.round(w / s));
    expect(Array.from(adaroundRounding(H, W, W, [s], { iterations: 300, lambda: 0.01 }))).toEqual(nearest);
    expect(Array.from(await gptqRounding(H, W, W, [s], { damp: 0.01, refit: false }, mm))).toEqual(nearest);
    await mm.release();
  });
});

describe('learned rounding on the RepVGG fixture', () => {
  it('brings the int8 logits closer to onnxruntime float than nearest rounding, on held-out training images', async () => {
    const fused = (await fuseGraph(readOnnx(new URL('../fixtures/repvgg.onnx', import.meta.url).pathname))).graph;
    const data = openDataset(new URL('../../examples/fashion-mnist/data/train-1000-images-idx3-ubyte.gz', import.meta.url).pathname, fused.inputs[0]!.dims);
    const common = { samples: 150, iterations: 150 } as const;
    const models = {
      nearest: await quantizeGraph(fused, data, { ...common, rounding: 'nearest' }),
      adaround: await quantizeGraph(fused, data, { ...common, rounding: 'adaround' }),
      gptq: await quantizeGraph(fused, data, { ...common, rounding: 'gptq' }),
    };
    // on the calibration patches, summed over layers (a tiny layer may tie)
    for (const m of [models.adaround, models.gptq]) {
      const sum = (k: 'learnedMse' | 'nearestMse') => m.reconstruction!.reduce((a, l) => a + l[k], 0);
      expect(sum('learnedMse')).toBeLessThan(0.8 * sum('nearestMse'));
    }
    const interpreters = Object.entries(models).map(([k, q]) => ({ k: k as keyof typeof models, q, run: createInterpreter(q.model) }));
    const ort = await openInOrt(fused);
    const err = { nearest: 0, adaround: 0, gptq: 0 };
    try {
      for (let i = 700; i < 1000; i++) {
        const x = data.input(i);
        const f = (await ort.run({ [fused.inputs[0]!.name]: x }))[fused.outputs[0]!.name]!;
        for (const { k, q, run } of interpreters) {
          const y = run.invoke(quantizeInput(q.model, nchwToNhwc(x, q.model.tensors[q.model.inputs[0]!]!.shape)));
          const oq = q.model.tensors[q.model.outputs[0]!]!.quantization!;
          y.forEach((v, c) => (err[k] += ((v - oq.zeroPoint[0]!) * oq.scale[0]! - f[c]!) ** 2));
        }
      }
    } finally {
      await ort.release();
    }
    expect(err.adaround).toBeLessThan(0.8 * err.nearest);
    expect(err.gptq).toBeLessThan(0.8 * err.nearest);
  }, 120_000);
});
