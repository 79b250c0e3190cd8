import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReparoError } from '../../toolkit/errors.ts';
import { operatorVersion } from '../../toolkit/tflite/op-versions.ts';
import { readTflite, writeTflite, writeTfliteFile, type Operator, type TfliteModel } from '../../toolkit/tflite/index.ts';
import * as S from '../../toolkit/tflite/schema.ts';
import { everyOpModel, modelTable, PERSON_DETECT, subgraph0 } from './models.ts';
import { geluConcat, hardSwishChain, resizeConcat } from '../int8/mobile-models.ts';

const tmp = mkdtempSync(join(tmpdir(), 'reparo-tflite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function invalid(model: TfliteModel, pattern: RegExp) {
  try {
    writeTflite(model);
  } catch (e) {
    expect(e).toBeInstanceOf(ReparoError);
    expect((e as ReparoError).code).toBe('E_TFLITE_INVALID');
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('writeTflite accepted an invalid model');
}

describe('writeTflite', () => {
  it('round-trips a model with every op of the union exactly, metadata and omitted bias included', () => {
    const model = everyOpModel();
    const bytes = writeTflite(model);
    expect(readTflite(bytes)).toStrictEqual(model);
    expect(writeTflite(model)).toStrictEqual(bytes); // deterministic
  });

  it('writes the TFL3 identifier, the empty buffer 0 and one buffer per constant tensor', () => {
    const model = everyOpModel();
    const bytes = writeTflite(model);
    expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe('TFL3');
    const buffers = modelTable(bytes).tables(S.Model.buffers, 'buffers')!;
    expect(buffers[0].has(S.Buffer.data, 'data')).toBe(false);
    const tensorBuffers = subgraph0(bytes).tables(S.SubGraph.tensors, 'tensors')!.map((t) => t.u32(S.Tensor.buffer, 'buffer'));
    const constants = model.tensors.flatMap((t, i) => (t.data ? [i] : []));
    expect(constants.map((i) => tensorBuffers[i])).toEqual(constants.map((_, k) => k + 1));
    expect(tensorBuffers.filter((_, i) => !model.tensors[i].data).every((b) => b === 0)).toBe(true);
    expect(buffers.length).toBe(1 + constants.length + model.metadata.length);
  });

  it('aligns every constant buffer to 16 bytes from the start of the file', () => {
    for (const bytes of [writeTflite(everyOpModel()), writeTflite(readTflite(readFileSync(PERSON_DETECT)))]) {
      const starts = modelTable(bytes).tables(S.Model.buffers, 'buffers')!.flatMap((b) => {
        const v = b.vector(S.Buffer.data, 1, 'data');
        return v && v.length ? [v.start] : [];
      });
      expect(starts.length).toBeGreaterThan(5);
      expect(starts.filter((s) => s % 16 !== 0)).toEqual([]);
    }
  });

  it('sets operator-code versions as TFLite op_version.cc does for int8 ops', () => {
    const bytes = writeTflite(everyOpModel());
    const versions = Object.fromEntries(
      modelTable(bytes).tables(S.Model.operatorCodes, 'operator_codes')!.map((c) => [
        S.BUILTIN_OPERATOR_NAMES[c.i32(S.OperatorCode.builtinCode, 'builtin_code')],
        [c.i8(S.OperatorCode.deprecatedBuiltinCode, 'deprecated'), c.i32(S.OperatorCode.version, 'version', 1)],
      ]),
    );
    expect(versions).toEqual({
      CONV_2D: [3, 3], DEPTHWISE_CONV_2D: [4, 3], AVERAGE_POOL_2D: [1, 2], MAX_POOL_2D: [17, 2], RESHAPE: [22, 1],
      FULLY_CONNECTED: [9, 4], ADD: [0, 2], MUL: [18, 2], PAD: [34, 2], MEAN: [40, 2], LOGISTIC: [14, 2], SOFTMAX: [25, 2],
      DEQUANTIZE: [6, 2], QUANTIZE: [114, 1],
    });
  });

  it('writes the mobile-net ops with their options and versions, and reads them back', () => {
    for (const model of [hardSwishChain(), resizeConcat([11, 9]), geluConcat()]) {
      const bytes = writeTflite(model);
      // scales come back as float32; the ops exactly, and the bytes again
      expect(readTflite(bytes).operators).toStrictEqual(model.operators);
      expect(Buffer.from(writeTflite(readTflite(bytes))).equals(Buffer.from(bytes))).toBe(true);
      const codes = modelTable(bytes).tables(S.Model.operatorCodes, 'operator_codes')!.map((c) => [
        S.BUILTIN_OPERATOR_NAMES[c.i32(S.OperatorCode.builtinCode, 'builtin_code')], c.i8(S.OperatorCode.deprecatedBuiltinCode, 'deprecated'), c.i32(S.OperatorCode.version, 'version', 1),
      ]);
      for (const [name, deprecated, version] of codes) {
        // GELU (150) is past the byte-sized deprecated code: 127 there, as the schema prescribes
        const want = { HARD_SWISH: [117, 2], CONCATENATION: [2, 2], GELU: [127, 2], RESIZE_BILINEAR: [23, 3], RESIZE_NEAREST_NEIGHBOR: [97, 3] }[name as string];
        expect([deprecated, version], String(name)).toEqual(want);
      }
    }
    const resize = resizeConcat([3, 2]).operators.find((o) => o.op === 'RESIZE_BILINEAR')! as Operator & { op: 'RESIZE_BILINEAR' };
    expect(operatorVersion({ ...resize, halfPixelCenters: false }, resizeConcat([3, 2]).tensors)).toBe(2);
  });

  it('raises versions where op_version.cc does: grouped conv, FC without bias or keep_num_dims, MUL rescale ≥ 1', () => {
    const m = everyOpModel();
    const conv = m.operators[0] as Operator & { op: 'CONV_2D' };
    const grouped = structuredClone(m);
    grouped.tensors[1].shape = [4, 3, 3, 1];
    expect(operatorVersion(conv, grouped.tensors)).toBe(6);
    const fc = m.operators[5] as Operator & { op: 'FULLY_CONNECTED' };
    expect(operatorVersion({ ...fc, inputs: [9, 10] }, m.tensors)).toBe(6);
    expect(operatorVersion({ ...fc, inputs: [9, 10, -1] }, m.tensors)).toBe(4); // -1 still counts as an input
    expect(operatorVersion({ ...fc, keepNumDims: true }, m.tensors)).toBe(5);
    const rescale = structuredClone(m);
    rescale.tensors[14].quantization!.scale = [Math.fround(0.001)];
    expect(operatorVersion(m.operators[7], rescale.tensors)).toBe(3);
  });

  it('puts constants after the flatbuffer with Buffer.offset/size on request, and reads them back', () => {
    const model = everyOpModel();
    const bytes = writeTflite(model, { constantsOutside: true });
    const buffers = modelTable(bytes).tables(S.Model.buffers, 'buffers')!;
    const offsets = buffers.slice(1).map((b) => b.u64(S.Buffer.offset, 'offset'));
    expect(offsets.every((o) => o > 1 && o % 16 === 0)).toBe(true);
    expect(buffers.every((b) => !b.has(S.Buffer.data, 'data'))).toBe(true);
    expect(readTflite(bytes)).toStrictEqual(model);
  });

  it('writes files atomically and names the file in errors', () => {
    const path = join(tmp, 'sub', 'm.tflite');
    writeTfliteFile(path, everyOpModel());
    expect(readTflite(readFileSync(path), path)).toStrictEqual(everyOpModel());
    expect(readdirSync(join(tmp, 'sub'))).toEqual(['m.tflite']);
    const bad = everyOpModel();
    bad.operators[0].inputs[0] = 99;
    expect(() => writeTfliteFile(join(tmp, 'bad.tflite'), bad)).toThrow(/bad\.tflite.*operator 0.*tensor 99/s);
    expect(readdirSync(tmp)).toEqual(['sub']);
  });

  it('refuses models it could not read back', () => {
    const m = everyOpModel;
    const withData = m(); withData.tensors[1].data = new Uint8Array(5);
    invalid(withData, /tensor 1 'conv\/filter'.*5 data bytes.*needs 108/);
    const optional = m(); optional.operators[0].inputs[1] = -1;
    invalid(optional, /operator 0.*input 1 is tensor -1/);
    const arity = m(); arity.operators[6].inputs.push(3);
    invalid(arity, /operator 6.*3 input\(s\), expected 2/);
    const channels = m(); channels.tensors[1].quantization!.quantizedDimension = 3;
    invalid(channels, /4 per-channel scales but dimension 3/);
    const zp = m(); zp.tensors[0].quantization!.zeroPoint = [];
    invalid(zp, /1 scale\(s\) but 0 zero point/);
    const stride = m(); (stride.operators[2] as { strideH: number }).strideH = 0;
    invalid(stride, /strideH is 0/);
    const shape = m(); shape.tensors[3].shape = [1, -1, 8, 4];
    invalid(shape, /shape \[1,-1,8,4\]/);
    const constOut = m(); constOut.operators[0].outputs = [2];
    invalid(constOut, /writes constant tensor 2/);
    const io = m(); io.outputs = [24];
    invalid(io, /model outputs.*tensor index 24/);
  });
});
