/**
 * The onnxruntime Gram sums of weight rounding against exact integer sums in plain loops, with the
 * int8 extremes in every column: products of 255 × 255 around the zero point are where a
 * saturating kernel (MLAS's uint8 × int8 on AVX2 without VNNI) goes wrong.
 */
import { describe, expect, it } from 'vitest';
import { openGram } from '../../toolkit/onnx/index.ts';

describe('Gram sums of int8 patches', () => {
  // F = 301: four column blocks of H, the last one narrower
  it.each([
    [-128, 1, 40],
    [-128, 2, 40],
    [0, 2, 301],
    [127, 1, 301],
  ])('zero point %i, %i threads, F = %i: H (upper triangle), S exact, G to float64 rounding', async (zero, threads, F) => {
    const n = 300, R = 3;
    let s = zero + 1000 * threads;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const P = Int8Array.from({ length: n * F }, (_, k) => (k < 2 * F ? (k < F ? 127 : -128) : Math.floor(rand() * 256) - 128));
    const T = Float64Array.from({ length: n * R }, () => rand() - 0.5);
    const gram = await openGram(n, F, R, threads);
    try {
      const { H, G, S } = await gram.run(P, zero, T);
      const H0 = new Float64Array(F * F), G0 = new Float64Array(F * R), S0 = new Float64Array(F);
      for (let p = 0; p < n; p++)
        for (let i = 0; i < F; i++) {
          const a = P[p * F + i]! - zero;
          S0[i]! += a;
          for (let j = 0; j < F; j++) H0[i * F + j]! += a * (P[p * F + j]! - zero);
          for (let r = 0; r < R; r++) G0[i * R + r]! += a * T[p * R + r]!;
        }
      const upper = (M: ArrayLike<number>) => Array.from({ length: F }, (_, i) => Array.from({ length: F - i }, (_, k) => M[i * F + i + k]!));
      expect(upper(H)).toEqual(upper(H0));
      expect(Array.from(S)).toEqual(Array.from(S0));
      for (let k = 0; k < G0.length; k++) expect(Math.abs(G[k]! - G0[k]!)).toBeLessThan(1e-9 * (1 + Math.abs(G0[k]!)));
    } finally {
      await gram.release();
    }
  });
});
