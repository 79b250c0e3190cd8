/** Seeded PRNG (mulberry32) so that every proof and test can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(next: () => number): number {
  const u = Math.max(next(), 1e-12), v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Test inputs: even samples uniform in [0,1) (image-like), odd samples standard normal (signed). */
export function randomInput(n: number, sample: number, seed: number): Float32Array {
  const r = rng(seed * 7919 + sample);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sample % 2 === 0 ? r() : normal(r);
  return out;
}
