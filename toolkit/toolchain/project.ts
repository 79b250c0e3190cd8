/** Builds an emitted project (project.json + app/) for the board and runtime it names, into <dir>/build. */
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findBoard } from '../boards/index.ts';
import { readProject } from '../codegen/emit.ts';
import { buildFirmware, type BuildResult } from './index.ts';
import { buildEspIdf } from './esp-idf.ts';
import { buildTflmBareMetal } from './tflm-cmake.ts';

/** the project() name in firmware-templates/{tflm,native}-esp-idf/CMakeLists.txt: idf.py names the app image after it */
const ESP_IDF_PROJECT = 'reparo_firmware';

export type ProjectBuild = ({ kind: 'elf' } & BuildResult) | { kind: 'esp-idf'; buildDir: string; image: string };

/** The image `reparo flash` puts on the board: the ELF, or the ESP-IDF app .bin (bootloader and partition table beside it). */
export function projectImage(dir: string): string {
  const board = findBoard(readProject(dir).board);
  return board.toolchain === 'esp-idf' ? join(dir, 'build', `${ESP_IDF_PROJECT}.bin`) : join(dir, 'build', 'firmware.elf');
}

export function buildProject(dir: string): ProjectBuild {
  const project = readProject(dir);
  const board = findBoard(project.board);
  const app = join(dir, 'app'), out = join(dir, 'build');
  if (board.toolchain === 'esp-idf') {
    // idf.py builds inside the project (app/build); the images are kept where flash looks for them
    const { buildDir } = buildEspIdf(app, board);
    rmSync(out, { recursive: true, force: true });
    cpSync(buildDir, out, { recursive: true });
    return { kind: 'esp-idf', buildDir: out, image: projectImage(dir) };
  }
  if (project.runtime === 'tflm') return { kind: 'elf', ...buildTflmBareMetal(app, out, board) };
  return { kind: 'elf', ...buildFirmware(app, board, { outDir: out }) };
}
