/**
 * Seeded random numbers, and the random int8 inputs that check a board bit-exact when there is no
 * data set: reproducible from the seed, so a mismatch can be replayed on the host.
 */

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const RANDOM_INPUT_SEED = 1;

/**
 * Input `i` of a validation without data, `bytes` long: sample 0 all −128 and sample 1 all 127 (the
 * ends of the range, where saturation bugs live), then uniform over the full int8 range.
 */
export function randomInt8Input(bytes: number, i: number, seed = RANDOM_INPUT_SEED): Int8Array {
  if (i === 0) return new Int8Array(bytes).fill(-128);
  if (i === 1) return new Int8Array(bytes).fill(127);
  const r = seededRandom(Math.imul(seed, 0x9e3779b1) ^ i);
  return Int8Array.from({ length: bytes }, () => Math.floor(r() * 256) - 128);
}
