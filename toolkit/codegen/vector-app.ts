/**
 * A firmware app that runs the generated native model on test vectors compiled into the image:
 * the generated model sources, the vectors as C arrays, and firmware-templates/native-vectors/main.c.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TfliteModel } from '../tflite/model.ts';
import { emitNativeC, type NativeOptions } from './native.ts';
import { packagePath } from '../package-root.ts';

export const VECTOR_APP_MAIN = packagePath('firmware-templates/native-vectors/main.c');

export function writeVectorApp(dir: string, model: TfliteModel, vectors: readonly Int8Array[], opts: NativeOptions = {}): { arenaSize: number } {
  mkdirSync(dir, { recursive: true });
  const native = emitNativeC(model, opts);
  for (const [name, text] of Object.entries(native.files)) writeFileSync(join(dir, name), text);
  const rows = vectors.map((v) => `  { ${Array.from(v).join(', ')} },`);
  writeFileSync(
    join(dir, 'vectors.h'),
    `#include <stdint.h>\n#include "model.h"\n#define REPARO_VECTOR_COUNT ${vectors.length}\nstatic const int8_t reparo_vectors[${vectors.length}][REPARO_INPUT_SIZE] = {\n${rows.join('\n')}\n};\n`,
  );
  copyFileSync(VECTOR_APP_MAIN, join(dir, 'main.c'));
  return { arenaSize: native.arenaSize };
}

/** Parses the app's "out <i> <hex> instructions <n>" lines. */
export function parseVectorOutput(stdout: string): { outputs: Int8Array[]; instructions: number[] } {
  const outputs: Int8Array[] = [], instructions: number[] = [];
  for (const m of stdout.matchAll(/^out (\d+) ([0-9a-f]+) instructions (\d+)\r?$/gm)) {
    outputs[Number(m[1])] = new Int8Array(Buffer.from(m[2]!, 'hex'));
    instructions[Number(m[1])] = Number(m[3]);
  }
  return { outputs, instructions };
}
