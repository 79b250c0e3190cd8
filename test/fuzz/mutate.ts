/** Byte-level mutations of a model file, drawn by fast-check: flips, truncation, 32-bit overwrites, splices. */
import fc from 'fast-check';

/** values that turn offsets, lengths and counts into edge cases */
const INTERESTING_U32 = [0, 1, 2, 4, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export type Mutation =
  | { kind: 'flip'; at: number[]; xor: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'splice'; from: number; to: number; length: number };

/** Positions: half near the front (where flatbuffer tables and ONNX nodes sit), a quarter near the end, the rest anywhere. */
function position(size: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.nat(Math.min(size, 8192) - 1) },
    { weight: 1, arbitrary: fc.nat(Math.min(size, 4096) - 1).map((k) => size - 1 - k) },
    { weight: 1, arbitrary: fc.nat(size - 1) },
  );
}

export function mutation(size: number): fc.Arbitrary<Mutation> {
  const at = position(size);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.array(at, { minLength: 1, maxLength: 4 }), xor: fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 4, maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(size - 1) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('u32' as const), at: at.map((p) => p & ~3), value: fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.nat(), fc.integer({ min: 0, max: 4096 })) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), from: at, to: at, length: fc.integer({ min: 1, max: 64 }) }) },
  );
}

export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      const out = bytes.slice();
      m.at.forEach((p, i) => (out[p] ^= m.xor[i]!));
      return out;
    }
    case 'truncate':
      return bytes.slice(0, m.at);
    case 'u32': {
      const out = bytes.slice();
      if (m.at + 4 <= out.length) new DataView(out.buffer).setUint32(m.at, m.value >>> 0, true);
      return out;
    }
    case 'splice': {
      const out = bytes.slice();
      out.copyWithin(m.to, m.from, Math.min(bytes.length, m.from + m.length));
      return out;
    }
  }
}

export const describeMutation = (m: Mutation) => JSON.stringify(m);
