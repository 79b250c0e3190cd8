/**
 * Builds an ESP-IDF project (the native or TFLM firmware for ESP32-family boards) with `idf.py build`. ESP-IDF
 * is not a Debian package: it must be installed and its environment exported (IDF_PATH set, idf.py
 * on PATH), which is checked first so that the error says what to do instead of "command not found".
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Board } from '../boards/index.ts';
import { ReparoError } from '../errors.ts';

const INSTALL_HINT =
  'install ESP-IDF >= 5.1 (https://docs.espressif.com/projects/esp-idf/en/stable/esp32/get-started/), then run `. $IDF_PATH/export.sh` in this shell';

export interface EspIdfBuildOptions {
  /** environment (default process.env); tests pass their own */
  env?: NodeJS.ProcessEnv;
  /** wall-clock limit for idf.py (default 20 min: the first build compiles all of ESP-IDF) */
  timeoutMs?: number;
}

export interface EspIdfBuildResult {
  /** the application image idf.py wrote (build/<project>.bin) and the build folder */
  buildDir: string;
  command: string[];
  stdout: string;
}

/** `idf.py build` in `projectDir` for `board` (its chip from flashMethod.options.chip). */
export function buildEspIdf(projectDir: string, board: Board, opts: EspIdfBuildOptions = {}): EspIdfBuildResult {
  const env = opts.env ?? process.env;
  const dir = resolve(projectDir);
  if (board.toolchain !== 'esp-idf')
    throw new ReparoError('E_BUILD', `board '${board.id}' is not built with ESP-IDF (toolchain ${board.toolchain})`, { hint: 'reparo build builds bare-metal boards with their own toolchain' });
  if (!existsSync(join(dir, 'main', 'idf_component.yml')))
    throw new ReparoError('E_BUILD', 'not an ESP-IDF project written by reparo (no main/idf_component.yml)', { file: dir, hint: 'create it with reparo emit --board <an ESP32 board>' });
  if (!env.IDF_PATH)
    throw new ReparoError('E_BUILD', `cannot build ${dir} for ${board.id}: ESP-IDF is not set up (IDF_PATH is not set)`, { hint: INSTALL_HINT });
  const chip = board.flashMethod.options.chip;
  const command = ['idf.py', ...(typeof chip === 'string' ? [`-DIDF_TARGET=${chip}`] : []), 'build'];
  const r = spawnSync(command[0]!, command.slice(1), { cwd: dir, env, encoding: 'utf8', timeout: opts.timeoutMs ?? 20 * 60_000, maxBuffer: 64 << 20 });
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT')
    throw new ReparoError('E_BUILD', `idf.py not found on PATH (IDF_PATH=${env.IDF_PATH})`, { hint: `run \`. $IDF_PATH/export.sh\` first; ${INSTALL_HINT}` });
  if (err?.code === 'ETIMEDOUT') throw new ReparoError('E_BUILD', `idf.py build did not finish within ${opts.timeoutMs ?? 20 * 60_000} ms`, { file: dir });
  if (err) throw new ReparoError('E_BUILD', `cannot run idf.py: ${err.message}`, { file: dir });
  if (r.status !== 0)
    throw new ReparoError('E_BUILD', `idf.py build failed (exit ${r.status}) for ${board.id}:\n${(r.stderr || r.stdout).trim().split('\n').slice(-30).join('\n')}`, { file: dir });
  return { buildDir: join(dir, 'build'), command, stdout: r.stdout };
}
