/** Option parsers and small helpers shared by the commands. */
import { InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { ReparoError } from '../toolkit/errors.ts';
import { readTflite } from '../toolkit/tflite/index.ts';

export function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function shapes(v: string, prev: Record<string, number[]> = {}): Record<string, number[]> {
  const m = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected NAME=1x1x28x28');
  return { ...prev, [m[1]!]: m[2]!.split('x').map(Number) };
}

export function numbers(v: string): number[] {
  const xs = v.split(',').map(Number);
  if (!xs.length || xs.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError('expected numbers separated by commas, e.g. 0.485,0.456,0.406');
  return xs;
}

export const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`);

export function readModelFile(path: string): ReturnType<typeof readTflite> {
  if (!existsSync(path)) throw new ReparoError('E_IO', 'no such file', { file: path });
  return readTflite(readFileSync(path), path);
}
