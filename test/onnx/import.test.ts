import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { parseOnnx, readOnnx, serializeOnnx } from '../../toolkit/onnx/index.ts';
import { ReparoError } from '../../toolkit/errors.ts';
import { int } from '../../toolkit/graph/index.ts';
import { NetBuilder } from '../helpers/reparam-nets.ts';
import { bothEngines, maxAbsDiff } from '../helpers/ort.ts';

const { onnx } = onnxProto;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reparo-onnx-'));
});

function smallNet(opset = 13) {
  const nb = new NetBuilder(1, opset);
  const x = nb.b.input('input', [1, 2, 6, 6]);
  return nb.build(nb.head(nb.repvgg(x, 2, 4, 2), 4, 3));
}

function expectError(f: () => unknown, code: string, pattern: RegExp) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ReparoError);
    expect((e as ReparoError).code).toBe(code);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected an error');
}

describe('ONNX import', () => {
  it('round-trips through our writer and runs the same in onnxruntime', async () => {
    const g = smallNet();
    const back = parseOnnx(serializeOnnx(g));
    expect(back.nodes.map((n) => n.op)).toEqual(g.nodes.map((n) => n.op));
    expect(back.outputs[0]!.dims).toEqual([1, 3]);
    const [a, b] = await Promise.all([bothEngines(g), bothEngines(back)]);
    expect(maxAbsDiff(a.ort, b.ort)).toBe(0);
  });

  it('reads typed-field initializers, Constant nodes and folds shape computations (opset 11)', () => {
    const T = onnx.AttributeProto.AttributeType;
    const model = onnx.ModelProto.encode({
      irVersion: 6,
      opsetImport: [{ domain: '', version: 11 }],
      graph: {
        name: 'g',
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }, { dimValue: 3 }, { dimValue: 3 }] } } } }],
        output: [{ name: 'y' }],
        initializer: [{ name: 'w', dims: [1, 2, 1, 1], dataType: 1, floatData: [2, -1] }],
        node: [
          { opType: 'Constant', output: ['b'], attribute: [{ name: 'value', type: T.TENSOR, t: { dims: [1], dataType: 1, floatData: [0.5] } }] },
          { opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], name: 'conv' },
          { opType: 'Shape', input: ['c'], output: ['s'] },
          { opType: 'Constant', output: ['zero'], attribute: [{ name: 'value', type: T.TENSOR, t: { dims: [], dataType: 7, int64Data: [0] } }] },
          { opType: 'Gather', input: ['s', 'zero'], output: ['n'] },
          { opType: 'Unsqueeze', input: ['n'], output: ['n1'], attribute: [{ name: 'axes', type: T.INTS, ints: [0] }] },
          { opType: 'Constant', output: ['minus1'], attribute: [{ name: 'value', type: T.TENSOR, t: { dims: [1], dataType: 7, int64Data: [-1] } }] },
          { opType: 'Concat', input: ['n1', 'minus1'], output: ['shape'], attribute: [{ name: 'axis', type: T.INT, i: 0 }] },
          { opType: 'Reshape', input: ['c', 'shape'], output: ['y'] },
        ],
      },
    }).finish();
    const g = parseOnnx(model);
    expect(g.nodes.map((n) => n.op)).toEqual(['Conv', 'Reshape']);
    expect([...g.initializers.get('shape')!.data]).toEqual([1n, -1n]);
    expect(g.outputs[0]!.dims).toEqual([1, 9]);
  });

  it('reads weights from an external data file (torch ≥ 2.5 writes model.onnx.data)', async () => {
    const g = smallNet(18);
    const m = onnx.ModelProto.decode(serializeOnnx(g));
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const t of m.graph!.initializer!) {
      const raw = t.rawData!;
      t.externalData = [{ key: 'location', value: 'm.onnx.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.length) }];
      t.dataLocation = 1;
      t.rawData = new Uint8Array();
      chunks.push(raw);
      offset += raw.length;
    }
    writeFileSync(join(dir, 'm.onnx'), onnx.ModelProto.encode(m).finish());
    writeFileSync(join(dir, 'm.onnx.data'), Buffer.concat(chunks));
    const back = readOnnx(join(dir, 'm.onnx'));
    const [a, b] = await Promise.all([bothEngines(g), bothEngines(back)]);
    expect(maxAbsDiff(a.ort, b.ort)).toBe(0);

    writeFileSync(join(dir, 'm.onnx.data'), Buffer.concat(chunks).subarray(0, offset - 3));
    expectError(() => readOnnx(join(dir, 'm.onnx')), 'E_ONNX_EXTERNAL_DATA', /truncated|does not belong/);
    for (const t of m.graph!.initializer!) t.externalData![0]!.value = 'missing.data';
    writeFileSync(join(dir, 'm2.onnx'), onnx.ModelProto.encode(m).finish());
    expectError(() => readOnnx(join(dir, 'm2.onnx')), 'E_ONNX_EXTERNAL_DATA', /missing\.data.*missing/);
    for (const t of m.graph!.initializer!) t.externalData![0]!.value = '../../etc/passwd';
    writeFileSync(join(dir, 'm3.onnx'), onnx.ModelProto.encode(m).finish());
    expectError(() => readOnnx(join(dir, 'm3.onnx')), 'E_ONNX_EXTERNAL_DATA', /outside the model's folder/);
  });

  it('lists every unsupported op at once', () => {
    const nb = new NetBuilder(1);
    const x = nb.b.input('x', [1, 1, 4, 4]);
    const y = nb.b.node('LSTM', [nb.b.node('GridSample', [nb.b.node('GridSample', [x])])]);
    expectError(() => parseOnnx(serializeOnnx(nb.build(y))), 'E_UNSUPPORTED_OP', /GridSample, LSTM.*3 node/);
  });

  it('refuses dynamic shapes unless the user fixes them', () => {
    const m = onnx.ModelProto.decode(serializeOnnx(smallNet()));
    m.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'batch' });
    const bytes = onnx.ModelProto.encode(m).finish();
    expectError(() => parseOnnx(bytes), 'E_DYNAMIC_SHAPE', /input 'input' has dynamic shape \[\?,2,6,6\]/);
    expect(parseOnnx(bytes, { inputShapes: { input: [1, 2, 6, 6] } }).outputs[0]!.dims).toEqual([1, 3]);
  });

  it('refuses truncated files, non-ONNX files and opsets outside 11–20 with clear messages', () => {
    const bytes = serializeOnnx(smallNet());
    expectError(() => parseOnnx(bytes.subarray(0, bytes.length >> 1)), 'E_ONNX_PARSE', /truncated|not an ONNX/);
    expectError(() => parseOnnx(new TextEncoder().encode('hello world, not a model')), 'E_ONNX_PARSE', /ONNX/);
    expectError(() => parseOnnx(serializeOnnx({ ...smallNet(), opset: 9 })), 'E_ONNX_PARSE', /opset 9 is outside/);
    expectError(() => readOnnx(join(dir, 'nope.onnx')), 'E_IO', /no such file/);
  });

  it('reads the dynamo exporter head: ReduceMean with axes as input (opset 18) + Reshape', () => {
    const nb = new NetBuilder(2, 18);
    const b = nb.b;
    const x = b.input('x', [1, 3, 5, 5]);
    const m = b.node('ReduceMean', [nb.relu(nb.convBn(x, 3, 4, 3)), nb.shape([-1, -2])], { keepdims: int(1) });
    const r = b.node('Reshape', [m, nb.shape([1, 4])]);
    const y = b.node('Gemm', [r, b.init('w', nb.randn([2, 4])), b.init('c', nb.randn([2]))], { transB: int(1) });
    const g = parseOnnx(serializeOnnx(nb.build(y)));
    expect(g.outputs[0]!.dims).toEqual([1, 2]);
  });
});
