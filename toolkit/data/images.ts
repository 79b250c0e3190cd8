/**
 * A folder of images with one sub-folder per class (the ImageFolder layout users have): PNG via
 * pngjs, JPEG via jpeg-js — both pure JS with no dependencies of their own, so nothing native to
 * build on a user's machine.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { ReparoError } from '../errors.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel */
  data: Uint8Array;
}

const EXT = new Set(['.png', '.jpg', '.jpeg']);

export function decodeImage(path: string): RgbaImage {
  const bytes = readFileSync(path);
  try {
    if (extname(path).toLowerCase() === '.png') {
      const png = pngjs.PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new ReparoError('E_IO', `cannot decode image (${(e as Error).message})`, { file: path });
  }
}

export interface ImageFolder {
  files: string[];
  labels: number[];
  classes: string[];
}

export function listImageFolder(dir: string): ImageFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReparoError('E_IO', 'not a folder', { file: dir });
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  const classes = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  const files: string[] = [], labels: number[] = [];
  const images = (d: string) => readdirSync(d).filter((f) => EXT.has(extname(f).toLowerCase())).sort().map((f) => join(d, f));
  if (classes.length) classes.forEach((c, k) => images(join(dir, c)).forEach((f) => (files.push(f), labels.push(k))));
  else images(dir).forEach((f) => (files.push(f), labels.push(-1)));
  if (!files.length)
    throw new ReparoError('E_IO', 'no .png/.jpg images found', { file: dir, hint: 'use one sub-folder per class (e.g. data/0/*.png, data/1/*.png)' });
  return { files, labels, classes };
}
