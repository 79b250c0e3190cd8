/**
 * `reparo deploy` as the README runs it: the bundled RepVGG model onto the virtual Cortex-M4, one
 * JSON object out; and the failures a user meets, each stopped at its own stage with a clear error.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTflite, type TfliteModel } from '../../toolkit/tflite/index.ts';
import { reparo } from '../helpers/cli.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const DATA = new URL('../../examples/fashion-mnist/data/', import.meta.url).pathname;
const TEST = join(DATA, 't10k-1000-images-idx3-ubyte.gz');
const CALIB = join(DATA, 'train-1000-images-idx3-ubyte.gz');

process.env.REPARO_STATE_DIR = mkdtempSync(join(tmpdir(), 'reparo-state-'));

/** One int8 FULLY_CONNECTED with 2 MiB of weights: more flash than a Nucleo-F446RE has. */
function bigModel(): TfliteModel {
  const q = (s: number) => ({ scale: [s], zeroPoint: [0], quantizedDimension: 0 });
  return {
    version: 3, description: 'too big', metadata: [], inputs: [0], outputs: [3],
    tensors: [
      { name: 'x', type: 'int8', shape: [1, 1024], quantization: q(0.1) },
      { name: 'w', type: 'int8', shape: [2048, 1024], data: new Uint8Array(2048 * 1024).fill(1), quantization: q(0.01) },
      { name: 'b', type: 'int32', shape: [2048], data: new Uint8Array(2048 * 4), quantization: q(0.001) },
      { name: 'y', type: 'int8', shape: [1, 2048], quantization: q(0.5) },
    ],
    operators: [{ op: 'FULLY_CONNECTED', inputs: [0, 1, 2], outputs: [3], activation: 'NONE', keepNumDims: false }],
  };
}

describe('reparo deploy', () => {
  it('fuses, proves, quantizes, builds, flashes, benches and validates the bundled model on the virtual Cortex-M4', () => {
    const out = mkdtempSync(join(tmpdir(), 'reparo-deploy-'));
    const r = reparo(['deploy', join(FIX, 'repvgg.onnx'), '--board', 'qemu-mps2-an386', '--calib', CALIB, '--data', TEST, '--samples', '20', '--runs', '3', '--out', out, '--json'], { timeout: 600_000 });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.board).toBe('qemu-mps2-an386');
    expect(j.runtime).toBe('native');
    expect(j.fuse.blocks).toBe(6);
    expect(j.fuse.max_abs_err).toBeLessThan(1e-4);
    // float and int8 on the 1000 bundled test images; int8 within 1 pp of float
    expect(j.quantize.float_top1).toBeGreaterThan(0.85);
    expect(Math.abs(j.quantize.float_top1 - j.quantize.int8_top1)).toBeLessThan(0.01);
    expect(j.memory.flash_bytes).toBeGreaterThan(40_000);
    expect(j.memory.ram_bytes).toBeGreaterThan(j.memory.arena_bytes);
    expect(j.latency).toMatchObject({ runs: 3, unit: 'instructions' });
    expect(j.latency.median).toBe(j.latency.p90);
    expect(j.validate).toMatchObject({ samples: 20, bit_exact: 20 });
    expect(j.validate.device_top1).toBe(j.validate.host_top1);
    for (const f of ['fused.onnx', 'fuse.json', 'model.tflite', 'project/project.json', 'project/build/firmware.elf', 'deploy-report.json', 'deploy-report.html']) expect(existsSync(join(out, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'deploy-report.json'), 'utf8'));
    expect(report.stopped).toBeUndefined();
    expect(report.stages.bench.perLayer.length).toBe(12);
  }, 600_000);

  // the RISC-V board (RV32IMC firmware, mcycle: counts repeat exactly) and the real-board STM32F4 firmware
  // (USART2, startup, its HIL platform) on QEMU's STM32F405 model (SysTick at 168 MHz, 5.95 instructions a tick:
  // a lap is good to a tick at either end plus one from the rounding)
  it.each([['qemu-riscv32', 0], ['qemu-netduinoplus2', 2 * 6 + 1]])('deploys the bundled model to %s, every output bit-exact', (board, spread) => {
    const out = mkdtempSync(join(tmpdir(), `reparo-deploy-${board}-`));
    const r = reparo(['deploy', '--config', new URL('../../examples/fashion-mnist/reparo.config.json', import.meta.url).pathname, '--board', board, '--samples', '20', '--runs', '3', '--out', out, '--json'], { timeout: 600_000 });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ board, runtime: 'native' });
    expect(j.latency).toMatchObject({ runs: 3, unit: 'instructions' });
    expect(j.latency.p90 - j.latency.min).toBeLessThanOrEqual(spread);
    expect(j.validate).toMatchObject({ samples: 20, bit_exact: 20 });
    expect(JSON.parse(readFileSync(join(out, 'project/project.json'), 'utf8')).board).toBe(board);
  }, 600_000);

  it('stops before anything runs when the board does not exist', () => {
    const out = mkdtempSync(join(tmpdir(), 'reparo-deploy-'));
    const r = reparo(['deploy', join(FIX, 'repvgg.onnx'), '--board', 'no-such-board', '--calib', CALIB, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[E_BOARD\] no board 'no-such-board'/);
    expect(r.stderr).toMatch(/known boards: .*qemu-mps2-an386/);
    expect(existsSync(join(out, 'fused.onnx'))).toBe(false);
  });

  it('stops at emit, with the numbers, when the model does not fit the board, keeping what came before', () => {
    const out = mkdtempSync(join(tmpdir(), 'reparo-deploy-'));
    const model = join(out, 'big.tflite');
    writeFileSync(model, writeTflite(bigModel()));
    const r = reparo(['deploy', model, '--board', 'nucleo-f446re', '--out', out, '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\[E_FIT\] the model does not fit nucleo-f446re: flash 2\d{3}\.\d KiB > 448\.0 KiB free; biggest: weights w 2048\.0 KiB/);
    const report = JSON.parse(readFileSync(join(out, 'deploy-report.json'), 'utf8'));
    expect(report.stopped).toMatchObject({ stage: 'emit', code: 'E_FIT' });
    expect(existsSync(join(out, 'project'))).toBe(false);
    expect(existsSync(join(out, 'deploy-report.html'))).toBe(true);
  });

  it('stops at the first stage that reads the data when the data has the wrong shape', () => {
    const out = mkdtempSync(join(tmpdir(), 'reparo-deploy-'));
    const npy = join(out, 'wrong.npy');
    // a .npy of 3 samples of 1×32×32: the model takes 1×28×28
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1, 32, 32), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const h = Buffer.from(`\x93NUMPY\x01\x00${String.fromCharCode((header.length + pad + 1) & 255, (header.length + pad + 1) >> 8)}${header}${' '.repeat(pad)}\n`, 'latin1');
    writeFileSync(npy, Buffer.concat([h, Buffer.alloc(3 * 32 * 32 * 4)]));
    const r = reparo(['deploy', join(FIX, 'repvgg.onnx'), '--board', 'qemu-mps2-an386', '--calib', CALIB, '--data', npy, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[E_USAGE\].*32/);
    const report = JSON.parse(readFileSync(join(out, 'deploy-report.json'), 'utf8'));
    expect(report.stopped.stage).toBe('fuse');
    expect(existsSync(join(out, 'model.tflite'))).toBe(false);
  });
});
