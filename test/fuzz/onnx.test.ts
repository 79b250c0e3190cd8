/**
 * `reparo check` on mutated ONNX files (reparo's fixtures and timm's): byte mutations (flips, truncations,
 * 32-bit overwrites, splices) and structure-aware ones (a node's op type, an attribute, a dimension
 * or an input name changed, then re-encoded) so that mutations reach shape inference and constant
 * folding, not only the protobuf decoder. Every input gets a report: never another exception, never a hang.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../toolkit/check/index.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, fuzzRuns, fuzzSeed, FuzzTally } from './budget.ts';
import { applyMutation, mutation } from './mutate.ts';

const { onnx } = onnxProto;
const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
// reparo's five nets and timm's families as torch exports them (GELU spelled out, Resize, hard sigmoid, attention)
const FIXTURES = ['repvgg', 'acnet', 'dbb', 'resrep', 'repvgg_se', 'timm/mobileone_se', 'timm/ghostnetv3', 'timm/repvit', 'timm/fastvit_sa_op17']
  .map((n) => new Uint8Array(readFileSync(`${FIX}${n}.onnx`)));
const OP_TYPES = [
  'Conv', 'Relu', 'Add', 'Pad', 'Reshape', 'Expand', 'ConstantOfShape', 'Gather', 'Slice', 'Concat', 'Transpose', 'MatMul', 'Gemm', 'AveragePool', 'MaxPool', 'ScatterND', 'Where', 'Tile',
  'Erf', 'Gelu', 'Resize', 'Range', 'Split', 'ReduceSum', 'ReduceMax', 'ReduceMean', 'Min', 'Max', 'Pow', 'Less', 'Greater', 'Not', 'And', 'HardSigmoid', 'HardSwish', 'Sigmoid', 'Softmax',
];
const SLOWEST_MS = 5_000;

type Edit =
  | { kind: 'op'; node: number; op: number }
  | { kind: 'attr'; node: number; value: number }
  | { kind: 'dim'; which: number; value: number }
  | { kind: 'input'; node: number; from: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('op' as const), node: fc.nat(), op: fc.nat(OP_TYPES.length - 1) }),
  fc.record({ kind: fc.constant('attr' as const), node: fc.nat(), value: fc.oneof(fc.integer({ min: -3, max: 70 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 2 ** 40)) }),
  fc.record({ kind: fc.constant('dim' as const), which: fc.nat(), value: fc.oneof(fc.integer({ min: -2, max: 64 }), fc.constantFrom(2 ** 31 - 1, 2 ** 40, 2 ** 53 - 1)) }),
  fc.record({ kind: fc.constant('input' as const), node: fc.nat(), from: fc.nat() }),
);

/** Decodes a fixture, applies one edit, re-encodes: a well-formed protobuf with wrong contents. */
function applyEdit(bytes: Uint8Array, e: Edit): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const node = g.node![e.kind === 'dim' ? 0 : (e as { node: number }).node % g.node!.length]!;
  switch (e.kind) {
    case 'op':
      node.opType = OP_TYPES[e.op]!;
      break;
    case 'attr': {
      const a = node.attribute?.[0];
      if (a?.ints?.length) a.ints[e.value & 1 ? 0 : a.ints.length - 1] = e.value;
      else if (a) a.i = e.value;
      break;
    }
    case 'dim': {
      const dims = [...(g.input ?? []).map((i) => i.type?.tensorType?.shape?.dim ?? []).flat(), ...(g.initializer ?? []).map((t) => t.dims ?? [])];
      const d = dims[e.which % dims.length];
      if (d && typeof d === 'object' && 'dimValue' in d) d.dimValue = e.value;
      else if (Array.isArray(d) && d.length) d[(e.value & 3) % d.length] = e.value;
      break;
    }
    case 'input': {
      const others = g.node!.flatMap((n) => n.output ?? []);
      if (node.input?.length) node.input[0] = others[e.from % others.length]!;
      break;
    }
  }
  return onnx.ModelProto.encode(m).finish();
}

describe('fuzz: reparo check on mutated ONNX files', () => {
  it('never throws, never hangs, and names every problem', () => {
    const seed = fuzzSeed(2201);
    const tally = new FuzzTally('onnx', seed);
    fc.assert(
      fc.property(
        fc.nat(FIXTURES.length - 1).chain((f) => fc.tuple(fc.constant(f), fc.oneof(mutation(FIXTURES[f]!.length).map((m) => ({ bytes: m })), edit.map((e) => ({ edit: e }))))),
        ([f, change]) => {
          const input = 'bytes' in change ? applyMutation(FIXTURES[f]!, change.bytes) : applyEdit(FIXTURES[f]!, change.edit);
          const report = tally.time(() => checkModel(input));
          expect(report.ok).toBe(report.problems.every((p) => p.severity !== 'error'));
          tally.outcome(report.ok ? 'ok' : report.problems[0]!.code);
          for (const p of report.problems) expect(p.where && p.what, JSON.stringify(p)).toBeTruthy();
        },
      ),
      fuzzParams(seed, fuzzRuns(1000)),
    );
    tally.print();
    expect(tally.slowestMs).toBeLessThan(SLOWEST_MS);
  }, FUZZ_TIMEOUT_MS);
});
