/**
 * reparo's own files (boards/, firmware-templates/) beside package.json: found from this module's
 * location, so the same code runs from the TypeScript sources and from the compiled dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'firmware-templates'))) return dir;
    if (dirname(dir) === dir) throw new Error(`reparo's package root (package.json with firmware-templates/) is not above ${fileURLToPath(import.meta.url)}`);
  }
}

export const PACKAGE_ROOT = findRoot();

/** A path inside the package, with a trailing slash kept (as the callers' directory constants have). */
export const packagePath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts) + (parts.at(-1)?.endsWith('/') ? '/' : '');
