import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ReparoError } from '../errors.ts';

/** Writes whole or not at all: a temp file beside the target, then rename (atomic on one filesystem). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ReparoError('E_IO', `cannot write ${path}: ${(e as Error).message}`, { hint: 'check that the folder exists and is writable' });
  }
}
