/**
 * Deploy reports for the report tests, with the figures a real RepVGG fixture deploy produced
 * (reparo fuse / quantize --data / emit / build on qemu-mps2-an386); bench and validate figures
 * are made up in the shapes the HIL runners fill. `evil` names one block, one layer and one
 * consumer `<script>alert(1)</script>`, as a hostile model could.
 */
import { findBoard } from '../../toolkit/boards/index.ts';
import type { DeployReport } from '../../toolkit/report/index.ts';
import type { FuseReport } from '../../toolkit/pipeline/fuse.ts';

export const EVIL = '<script>alert(1)</script>';

const blockNames = (evil: boolean) => [0, 1, 2, 3, 4, 5].map((i) => (evil && i === 2 ? EVIL : `/blocks/blocks.${i}/Add_1_output_0`));

export function sampleFuse(evil = false): FuseReport {
  const names = blockNames(evil);
  return {
    model: 'test/fixtures/repvgg.onnx',
    input: { name: 'input', dims: [1, 1, 28, 28] },
    families: { repvgg: 6 },
    blocks: names.map((output, i) => ({
      output, family: 'repvgg', kernels: i % 2 ? ['3x3', '1x1'] : ['3x3', '1x1', 'id'], fusedKernel: '3x3', singlePath: true, maxAbs: 1.5e-5, maxRel: (1.6 + i * 0.5) * 1e-7,
    })),
    before: { nodes: 37, ops: { Conv: 13, Relu: 7, Add: 10, BatchNormalization: 4, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 }, params: 37130, macs: 1400704 },
    after: { nodes: 17, ops: { Conv: 7, Relu: 7, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 }, params: 32922, macs: 1263488 },
    rewrites: { 'batchnorm-to-conv': 4, 'merge-parallel': 10 },
    resrep: [],
    collapse: [],
    verify: {
      samples: { random: 8, data: 100 },
      outputs: [{ name: 'logits', maxAbs: 5.72e-6, maxRel: 1.5e-7, range: 38.03 }],
      blocks: names.map((name) => ({ name, maxAbs: 1.5e-5, maxRel: 2e-7, range: 80 })),
      maxAbs: 5.72e-6,
      maxRel: 1.5e-7,
      tolerance: { rel: 1e-4 },
      passed: true,
    },
    written: true,
  };
}

export const SQNR_DB = [46.32, 35.25, 33.58, 31.16, 30.2, 28.5, 29.15, 33.06, 33.06, 33.99];
export const LAYER_COUNTS = [900_000, 1_500_000, 1_500_000, 2_000_000, 2_000_000, 2_000_000, 900_000, 5_000, 100, 3_000];

function layerNames(evil: boolean): { tensor: string; op: string }[] {
  const convs = ['/stem/relu/Relu_output_0', ...[0, 1, 2, 3, 4, 5].map((i) => `/blocks/blocks.${i}/relu/Relu_output_0`)].map((tensor) => ({ tensor, op: 'CONV_2D' }));
  const all = [...convs, { tensor: '/pool/GlobalAveragePool_output_0', op: 'MEAN' }, { tensor: '/Flatten_output_0', op: 'RESHAPE' }, { tensor: 'logits', op: 'FULLY_CONNECTED' }];
  if (evil) all[3] = { tensor: EVIL, op: 'CONV_2D' };
  return all;
}

const FIT = {
  flash: { needed: 77896, free: 4128768 },
  ram: { needed: 23120, free: 4128768 },
  fits: true,
  consumers: [
    { what: 'firmware code and stack', bytes: 32768, memory: 'flash' as const },
    ...[2, 3, 4, 5].map((i) => ({ what: `weights /blocks/blocks.${i}/dense/conv/Conv_1.filter`, bytes: 9216, memory: 'flash' as const })),
    { what: 'activation arena (after buffer reuse)', bytes: 6736, memory: 'ram' as const },
    { what: 'weights /blocks/blocks.1/dense/conv/Conv_1.filter', bytes: 4608, memory: 'flash' as const },
    { what: 'weights /blocks/blocks.0/dense/conv/Conv_1.filter', bytes: 2304, memory: 'flash' as const },
    { what: 'weights /head/Gemm.weights', bytes: 320, memory: 'flash' as const },
  ],
};

export const SIZE = { text: 53488, data: 0, bss: 6768, stack: 16384, flashUsed: 53488, flashTotal: 4194304, ramUsed: 23152, ramTotal: 4194304 };

export function fullReport(evil = false): DeployReport {
  const layers = layerNames(evil);
  const fit = structuredClone(FIT);
  if (evil) fit.consumers.push({ what: `weights ${EVIL}`, bytes: 64, memory: 'flash' });
  return {
    model: 'test/fixtures/repvgg.onnx',
    board: findBoard('qemu-mps2-an386'),
    runtime: 'native',
    startedAt: '2025-06-01T12:00:00.000Z',
    stages: {
      fuse: sampleFuse(evil),
      quantize: {
        output: 'out/repvgg.tflite', bytes: 55104, method: 'mse', perTensorWeights: false, calibrationSamples: 500,
        accuracy: { samples: 300, float: { top1: 0.94, top5: 1 }, int8: { top1: 0.93, top5: 1, agreement: 0.99 } },
        sqnr: layers.map((l, i) => ({ ...l, sqnrDb: SQNR_DB[i]! })),
      },
      emit: { dir: 'out/proj', runtime: 'native', arenaSize: 6736, fit },
      build: { elf: 'out/proj/build/firmware.elf', size: SIZE },
      flash: { method: 'qemu', verified: true },
      bench: {
        unit: 'instructions', runs: 20, min: 11_030_000, median: 11_030_040, p90: 11_030_080, max: 11_030_080, identical: false,
        perLayer: layers.map((l, i) => ({ name: l.tensor, op: l.op, count: LAYER_COUNTS[i]! })),
      },
      validate: { samples: 100, inputs: { kind: 'data', path: 'data/t10k-images-idx3-ubyte.gz' }, bitExact: 100, deviceTop1: 0.93, hostTop1: 0.93 },
    },
  };
}

/** The same deploy stopped at build: the image did not link. */
export function stoppedAtBuild(): DeployReport {
  const r = fullReport();
  const { fuse, quantize, emit } = r.stages;
  return {
    ...r,
    stages: { fuse, quantize, emit },
    stopped: { stage: 'build', code: 'E_BUILD', message: "the image does not fit board 'qemu-mps2-an386': FLASH overflowed by 1204 bytes", hint: 'make the model or the arena smaller' },
  };
}
