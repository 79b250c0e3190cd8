/** Test helpers: host builds of the HIL firmware, a pty to talk to them, a byte-corrupting transport, the fixture model. */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSerialPort } from '../../toolkit/serial/serialport.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';
import { quantizeCommand } from '../../toolkit/pipeline/quantize.ts';
import { nchwToNhwc, quantizeInput } from '../../toolkit/pipeline/evaluate.ts';
import { openDataset } from '../../toolkit/data/index.ts';
import type { TfliteModel } from '../../toolkit/tflite/index.ts';

export const HOST_DIR = fileURLToPath(new URL('./host/', import.meta.url));
export const COMMON_DIR = fileURLToPath(new URL('../../firmware-templates/common/', import.meta.url));
export const FAKE_APP_DIR = fileURLToPath(new URL('./host/fake-app/', import.meta.url));
const HIL_MAIN = fileURLToPath(new URL('../../firmware-templates/native-hil/main.c', import.meta.url));
const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../examples/fashion-mnist/data/t10k-1000-images-idx3-ubyte.gz', import.meta.url));

const cFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => join(dir, f));

/** Compiles hil.c + CRC-32 + the host platform with the .c files of `appDir` (which has reparo_hil_config.h; `main.c` from native-hil unless the app has one). */
export function buildHostFirmware(appDir: string, flags: string[] = []): string {
  const extra = existsSync(join(appDir, 'main.c')) ? [] : [HIL_MAIN];
  const exe = join(mkdtempSync(join(tmpdir(), 'reparo-hostfw-')), 'fw');
  execFileSync('cc', ['-std=c11', '-O1', '-g', '-Wall', '-Wextra', '-Werror', ...flags, `-I${COMMON_DIR}`, `-I${appDir}`, ...cFiles(COMMON_DIR), join(HOST_DIR, 'host_platform.c'), ...cFiles(appDir), ...extra, '-o', exe], { stdio: ['ignore', 'pipe', 'pipe'] });
  return exe;
}

/** Runs `exe` behind a pty (socat) and opens it as a real serial port. `stop` ends both. */
export async function hostFirmwareOnPty(exe: string): Promise<{ transport: Transport; stop(): Promise<void>; unplug(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'reparo-hostpty-'));
  const link = join(dir, 'tty');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${link}`, `exec:${exe}`], { stdio: 'ignore' });
  const t0 = Date.now();
  while (!existsSync(link)) {
    if (socat.exitCode !== null || Date.now() - t0 > 5000) throw new Error('socat did not make the pty');
    await new Promise((r) => setTimeout(r, 10));
  }
  const transport = await openSerialPort(link, 115200);
  return {
    transport,
    unplug: () => socat.kill('SIGKILL'),
    stop: async () => {
      await transport.close();
      if (socat.exitCode === null) {
        // bounded: after an unplug mid-write the kernel may keep socat in its pty close for a while
        const gone = new Promise((r) => (socat.once('exit', r), setTimeout(r, 3000).unref()));
        socat.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Wraps a transport; `corrupt` may change what each read returns (the n-th read, counted from 0). */
export function corrupting(inner: Transport, corrupt: (bytes: Uint8Array, readIndex: number) => Uint8Array): Transport {
  let reads = 0;
  return {
    get path() {
      return inner.path;
    },
    get closed() {
      return inner.closed;
    },
    write: (d) => inner.write(d),
    read: async (t) => {
      const b = await inner.read(t);
      return b.length ? corrupt(b, reads++) : b;
    },
    setSignals: (s) => inner.setSignals(s),
    setBaud: (b) => inner.setBaud(b),
    close: () => inner.close(),
  };
}

let fixture: Promise<{ model: TfliteModel; inputs: Int8Array[] }> | null = null;

/** The RepVGG fixture quantized on 100 Fashion-MNIST images, and three real test images as int8 inputs. */
export function fixtureModel(): Promise<{ model: TfliteModel; inputs: Int8Array[] }> {
  fixture ??= (async () => {
    const model = (await quantizeCommand(join(FIX, 'repvgg.onnx'), { calib: SAMPLE, samples: 100, rounding: 'nearest' })).quantized.model;
    const data = openDataset(SAMPLE, [1, 1, 28, 28]);
    const inputs = [700, 701, 702].map((i) => quantizeInput(model, nchwToNhwc(data.input(i), [1, 28, 28, 1])));
    return { model, inputs };
  })();
  return fixture;
}
