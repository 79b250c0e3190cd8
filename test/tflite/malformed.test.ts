/**
 * Hostile and broken files: the reader must answer every one with a ReparoError (never another
 * exception, never a hang), and name what is wrong.
 */
import { Builder } from 'flatbuffers';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReparoError, type ErrorCode } from '../../toolkit/errors.ts';
import { readTflite, writeTflite } from '../../toolkit/tflite/index.ts';
import * as S from '../../toolkit/tflite/schema.ts';
import { everyOpModel, fieldAt, modelTable, PERSON_DETECT, setI32, setU32, subgraph0, vectorLengthAt } from './models.ts';

const small = writeTflite(everyOpModel());
const person = new Uint8Array(readFileSync(PERSON_DETECT));

/** The ReparoError readTflite throws (or undefined when it accepts the bytes); anything else fails the test. */
function readError(bytes: Uint8Array): ReparoError | undefined {
  try {
    readTflite(bytes, 'bad.tflite');
    return undefined;
  } catch (e) {
    if (!(e instanceof ReparoError)) throw new Error(`not a ReparoError: ${(e as Error)?.stack ?? e}`);
    return e;
  }
}

function rejects(bytes: Uint8Array, code: ErrorCode, pattern: RegExp): ReparoError {
  const e = readError(bytes);
  expect(e, 'the reader accepted the file').toBeDefined();
  expect(e!.code).toBe(code);
  expect(e!.message).toMatch(/bad\.tflite/);
  expect(e!.message).toMatch(pattern);
  return e!;
}

/** mulberry32: a small seeded generator, so failures replay */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const patched = (bytes: Uint8Array, patch: (b: Uint8Array) => void) => {
  const copy = bytes.slice();
  patch(copy);
  return copy;
};

describe('readTflite on malformed input', () => {
  it('rejects every truncation with a ReparoError', () => {
    for (const bytes of [small, person]) {
      const step = bytes === small ? 7 : 97;
      for (let n = 0; n < bytes.length; n += step) {
        const e = readError(bytes.subarray(0, n));
        expect(e, `truncated to ${n} bytes`).toBeDefined();
        expect(e!.code).toBe('E_TFLITE_PARSE');
      }
    }
  });

  it('answers seeded random byte flips with a ReparoError or a model that the writer takes back', () => {
    for (const [bytes, flips, seed] of [[small, 400, 1], [person, 150, 2]] as const) {
      const next = random(seed);
      for (let k = 0; k < flips; k++) {
        const copy = bytes.slice();
        const count = 1 + Math.floor(next() * 4);
        // bias towards the flatbuffer tables at the front of the file, where a flip changes structure
        const span = next() < 0.7 ? Math.min(bytes.length, 4096) : bytes.length;
        for (let j = 0; j < count; j++) copy[Math.floor(next() * span)] ^= 1 << Math.floor(next() * 8);
        if (readError(copy)) continue;
        const written = writeTflite(readTflite(copy)); // what the reader accepts, the writer takes
        expect(Buffer.compare(writeTflite(readTflite(written)), written)).toBe(0);
      }
    }
  });

  it('rejects a wrong identifier and a too-short file', () => {
    rejects(patched(small, (b) => b.set([0x54, 0x46, 0x4c, 0x32], 4)), 'E_TFLITE_PARSE', /identifier is "TFL2", expected "TFL3"/);
    rejects(small.subarray(0, 6), 'E_TFLITE_PARSE', /file header.*past the end of the 6-byte file/);
  });

  it('rejects offsets and vector lengths that point outside the file, without allocating for them', () => {
    rejects(patched(small, (b) => setU32(b, 0, 0xfffffff0)), 'E_TFLITE_PARSE', /Model.*past the end/);
    const tensorsLength = vectorLengthAt(subgraph0(small), S.SubGraph.tensors);
    const huge = rejects(patched(small, (b) => setU32(b, tensorsLength, 0x7fffffff)), 'E_TFLITE_PARSE', /tensors: vector of 2147483647 element/);
    expect(huge.message).toMatch(/at byte \d+/);
    const nameLength = vectorLengthAt(subgraph0(small).tables(S.SubGraph.tensors, 't')![0], S.Tensor.name);
    rejects(patched(small, (b) => setU32(b, nameLength, 0xffffffff)), 'E_TFLITE_PARSE', /tensors\[0\]\.name: vector of 4294967295/);
  });

  it('rejects a vtable that claims fields beyond its table', () => {
    const model = modelTable(small);
    const vtable = model.pos - new DataView(small.buffer, small.byteOffset).getInt32(model.pos, true);
    rejects(patched(small, (b) => b.set([0xff, 0xff], vtable + 4 + 2 * S.Model.subgraphs)), 'E_TFLITE_PARSE', /Model\.subgraphs: field lies outside its table/);
  });

  it('lists every unsupported op at once', () => {
    const codes = modelTable(small).tables(S.Model.operatorCodes, 'operator_codes')!;
    const setCode = (b: Uint8Array, i: number, code: number) => {
      b[fieldAt(codes[i], S.OperatorCode.deprecatedBuiltinCode, 1)] = Math.min(code, 127);
      setI32(b, fieldAt(codes[i], S.OperatorCode.builtinCode, 4), code);
    };
    // operator codes are in order of first use: 0 CONV_2D, 3 MAX_POOL_2D, 10 LOGISTIC
    const e = rejects(patched(small, (b) => { setCode(b, 0, 28); setCode(b, 3, 36); setCode(b, 10, 28); }), 'E_TFLITE_UNSUPPORTED', /unsupported op\(s\) TANH, GATHER$/m);
    expect(e.where.hint).toMatch(/CONV_2D/);
    rejects(patched(small, (b) => setCode(b, 1, 200)), 'E_TFLITE_UNSUPPORTED', /unsupported op\(s\) STABLEHLO_WHILE/);
    rejects(patched(small, (b) => setCode(b, 1, 32)), 'E_TFLITE_UNSUPPORTED', /unsupported op\(s\) CUSTOM\(\?\)/);
  });

  it('rejects constant data that does not match shape × type', () => {
    const filter = subgraph0(small).tables(S.SubGraph.tensors, 't')![1];
    const firstDim = filter.vector(S.Tensor.shape, 4, 'shape')!.start;
    rejects(patched(small, (b) => setI32(b, firstDim, 5)), 'E_TFLITE_INVALID', /tensor 1 'conv\/filter'.*108 data bytes but shape \[5,3,3,3\] of int8 needs 135/);
  });

  it('rejects tensor and buffer indices out of range', () => {
    const op = subgraph0(small).tables(S.SubGraph.operators, 'o')![0];
    const input0 = op.vector(S.Operator.inputs, 4, 'inputs')!.start;
    rejects(patched(small, (b) => setI32(b, input0, 24)), 'E_TFLITE_INVALID', /operator 0.*input 0 is tensor 24, out of range \(24 tensors\)/);
    rejects(patched(small, (b) => setI32(b, input0, -1)), 'E_TFLITE_INVALID', /operator 0.*input 0 is tensor -1/);
    const op1 = subgraph0(small).tables(S.SubGraph.operators, 'o')![1];
    rejects(patched(small, (b) => setU32(b, fieldAt(op1, S.Operator.opcodeIndex, 4), 99)), 'E_TFLITE_PARSE', /operator 1: opcode_index 99 is out of range/);
    const tensor = subgraph0(small).tables(S.SubGraph.tensors, 't')![1];
    rejects(patched(small, (b) => setU32(b, fieldAt(tensor, S.Tensor.buffer, 4), 1000)), 'E_TFLITE_PARSE', /tensor 1 'conv\/filter': buffer 1000 is out of range/);
  });

  it('refuses what it cannot represent: no or several subgraphs, variable tensors, other types, TANH activation', () => {
    const subgraphs = vectorLengthAt(modelTable(small), S.Model.subgraphs);
    rejects(patched(small, (b) => setU32(b, subgraphs, 0)), 'E_TFLITE_UNSUPPORTED', /0 subgraphs/);
    expect(['E_TFLITE_PARSE', 'E_TFLITE_UNSUPPORTED']).toContain(readError(patched(small, (b) => setU32(b, subgraphs, 2)))?.code);
    const input = subgraph0(small).tables(S.SubGraph.tensors, 't')![0];
    rejects(patched(small, (b) => { b[fieldAt(input, S.Tensor.type, 1)] = 1; }), 'E_TFLITE_UNSUPPORTED', /tensor 0 'input' has type FLOAT16/);
    const conv = subgraph0(small).tables(S.SubGraph.operators, 'o')![0].table(S.Operator.builtinOptions, 'options')!;
    rejects(patched(small, (b) => { b[fieldAt(conv, S.Conv2DOptions.activation, 1)] = 4; }), 'E_TFLITE_UNSUPPORTED', /operator 0 \(CONV_2D\): fused activation 4/);
    const dw = subgraph0(small).tables(S.SubGraph.operators, 'o')![1].table(S.Operator.builtinOptions, 'options')!;
    rejects(patched(small, (b) => { b[fieldAt(dw, S.DepthwiseConv2DOptions.padding, 1)] = 7; }), 'E_TFLITE_PARSE', /operator 1 \(DEPTHWISE_CONV_2D\): unknown padding 7/);
  });

  it('bounds-checks data stored outside the flatbuffer (Buffer.offset/size)', () => {
    const outside = writeTflite(everyOpModel(), { constantsOutside: true });
    const buffer = modelTable(outside).tables(S.Model.buffers, 'b')![1];
    const first = buffer.u64(S.Buffer.offset, 'offset');
    rejects(outside.subarray(0, first + 1), 'E_TFLITE_PARSE', /tensor 1 'conv\/filter': data outside the flatbuffer: 108 byte\(s\) at \d+ run past the end/);
    rejects(outside.subarray(0, outside.length - 3), 'E_TFLITE_PARSE', /metadata 1 'empty': data outside the flatbuffer/);
    const offset = fieldAt(buffer, S.Buffer.offset, 8);
    rejects(patched(outside, (b) => new DataView(b.buffer).setBigUint64(offset, 1n << 60n, true)), 'E_TFLITE_PARSE', /64-bit value \d+ is out of range/);
  });

  it('stops a file whose shared sub-objects would decode to far more than it holds', () => {
    // one tensor with a 20000-dim shape, listed 20000 times: 160 KB on disk, 400 million numbers decoded
    const b = new Builder(1 << 18);
    const n = 20000;
    b.startVector(4, n, 4);
    for (let i = 0; i < n; i++) b.addInt32(1);
    const shape = b.endVector();
    b.startObject(2);
    b.addFieldOffset(S.Tensor.shape, shape, 0);
    b.addFieldInt8(S.Tensor.type, 9, 0);
    const tensor = b.endObject();
    b.startVector(4, n, 4);
    for (let i = 0; i < n; i++) b.addOffset(tensor);
    const tensors = b.endVector();
    b.startObject(1);
    b.addFieldOffset(S.SubGraph.tensors, tensors, 0);
    const subgraph = b.endObject();
    b.startVector(4, 1, 4);
    b.addOffset(subgraph);
    const subgraphs = b.endVector();
    b.startObject(3);
    b.addFieldInt32(S.Model.version, 3, 0);
    b.addFieldOffset(S.Model.subgraphs, subgraphs, 0);
    b.finish(b.endObject(), 'TFL3');
    const start = performance.now();
    rejects(b.asUint8Array(), 'E_TFLITE_PARSE', /decodes to far more data than it holds/);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
