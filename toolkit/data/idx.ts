/**
 * IDX files (MNIST / Fashion-MNIST layout), gzipped or plain: uint8 images → float32 NCHW with
 * pixel/255, and uint8 labels. Every size is checked against the bytes really present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ReparoError } from '../errors.ts';

export interface ImageSet {
  count: number;
  height: number;
  width: number;
  /** uint8 pixels, count × height × width */
  pixels: Uint8Array;
}

function readMaybeGzip(path: string): Buffer {
  if (!existsSync(path)) throw new ReparoError('E_IO', 'no such file', { file: path });
  const raw = readFileSync(path);
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw new ReparoError('E_IO', `corrupt gzip data (${(e as Error).message})`, { file: path });
  }
}

function header(buf: Buffer, path: string, rank: number): number[] {
  if (buf.length < 4 + 4 * rank || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08 || buf[3] !== rank)
    throw new ReparoError('E_IO', `not an IDX file of unsigned bytes with ${rank} dimension(s)`, { file: path, hint: 'expected e.g. t10k-images-idx3-ubyte(.gz)' });
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const need = 4 + 4 * rank + dims.reduce((a, b) => a * b, 1);
  if (buf.length < need) throw new ReparoError('E_IO', `truncated: header promises ${need} bytes, file has ${buf.length}`, { file: path });
  return dims;
}

export function readIdxImages(path: string): ImageSet {
  const buf = readMaybeGzip(path);
  const [count, height, width] = header(buf, path, 3) as [number, number, number];
  return { count, height, width, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * height * width) };
}

export function readIdxLabels(path: string): Uint8Array {
  const buf = readMaybeGzip(path);
  const [count] = header(buf, path, 1) as [number];
  return new Uint8Array(buf.buffer, buf.byteOffset + 8, count);
}

/** The usual label file beside an image file: `*-images-idx3-ubyte*` → `*-labels-idx1-ubyte*`. */
export function labelsBeside(imagesPath: string): string | undefined {
  const guess = imagesPath.replace('images-idx3', 'labels-idx1').replace('images.idx3', 'labels.idx1');
  return guess !== imagesPath && existsSync(guess) ? guess : undefined;
}
