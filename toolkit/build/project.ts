/** Builds an emitted project (project.json + app/) for the board it names, into <dir>/build. */
import { join } from 'node:path';
import { findBoard } from '../boards/index.ts';
import { readProject } from '../codegen/emit.ts';
import { buildFirmware, type BuildResult } from './index.ts';

export function buildProject(dir: string): BuildResult {
  const project = readProject(dir);
  return buildFirmware(join(dir, 'app'), findBoard(project.board), { outDir: join(dir, 'build') });
}
