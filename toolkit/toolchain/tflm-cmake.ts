/**
 * Builds an emitted TFLite Micro project for a bare-metal board with CMake and its cross g++,
 * against the user's tflite-micro checkout (TFLM_DIR; CMSIS_NN_DIR for the optimized kernels).
 * TFLM is not a Debian package: without a checkout the error says where to get one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Board } from '../boards/index.ts';
import { ReparoError } from '../errors.ts';
import { measureSize, type BuildResult } from './index.ts';
import { gccTarget } from './targets.ts';

export interface TflmBuildOptions {
  env?: NodeJS.ProcessEnv;
  /** the first build compiles all of TFLM (tens of minutes on 2 cores); later ones relink */
  timeoutMs?: number;
  /** hil (default): the serial HIL firmware; vectors: runs the project's vectors.h and prints the outputs */
  app?: 'hil' | 'vectors';
}

export function buildTflmBareMetal(appDir: string, outDir: string, board: Board, opts: TflmBuildOptions = {}): BuildResult {
  const env = opts.env ?? process.env;
  const app = resolve(appDir), build = resolve(outDir);
  if (!existsSync(join(app, 'CMakeLists.txt')) || !existsSync(join(app, 'board.cmake')))
    throw new ReparoError('E_BUILD', 'not a TFLM project written by reparo (no CMakeLists.txt / board.cmake)', { file: app, hint: 'create it with reparo emit --runtime tflm' });
  if (!env.TFLM_DIR)
    throw new ReparoError('E_BUILD', `cannot build the TFLM project for ${board.id}: TFLM_DIR is not set`, {
      hint: 'point TFLM_DIR at a tflite-micro checkout with its third-party downloads (git clone https://github.com/tensorflow/tflite-micro; make -f tensorflow/lite/micro/tools/make/Makefile third_party_downloads), optionally CMSIS_NN_DIR at CMSIS-NN; or use --runtime native',
    });
  const configure = ['-S', app, '-B', build, `-DCMAKE_TOOLCHAIN_FILE=${join(app, gccTarget(board).isa === 'riscv' ? 'riscv64-unknown-elf.cmake' : 'arm-none-eabi.cmake')}`, `-DTFLM_DIR=${env.TFLM_DIR}`, ...(env.CMSIS_NN_DIR ? [`-DCMSIS_NN_DIR=${env.CMSIS_NN_DIR}`] : []), `-DREPARO_APP=${opts.app ?? 'hil'}`];
  const run = (args: string[]) => {
    const r = spawnSync('cmake', args, { encoding: 'utf8', env, timeout: opts.timeoutMs ?? 60 * 60_000, maxBuffer: 64 << 20 });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new ReparoError('E_BUILD', 'cmake not found', { hint: 'sudo apt-get install cmake libstdc++-arm-none-eabi-newlib' });
    if (r.status !== 0) throw new ReparoError('E_BUILD', `cmake ${args[0]} failed for ${board.id}:\n${(r.stderr + r.stdout).trim().split('\n').slice(-30).join('\n')}`, { file: app });
  };
  run(configure);
  run(['--build', build, '-j2']);
  const elf = join(build, 'firmware.elf');
  return { elf, map: join(build, 'firmware.map'), outDir: build, size: measureSize(elf, board), command: ['cmake', ...configure] };
}
