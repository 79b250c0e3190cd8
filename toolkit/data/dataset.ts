/**
 * Input data as users have it — IDX (gz or plain), .npy, or a folder of PNG/JPEG images with one
 * sub-folder per class — turned into the model's float input tensors: channels converted
 * (gray ↔ RGB), resized (bilinear) to the model's H×W, then x = (pixel/255 − mean) / std.
 */
import { existsSync, statSync } from 'node:fs';
import { ReparoError } from '../errors.ts';
import { labelsBeside, readIdxImages, readIdxLabels } from './idx.ts';
import { readNpy } from './npy.ts';
import { decodeImage, listImageFolder } from './images.ts';

export interface Preprocessing {
  /** per channel; x = (pixel/255 − mean) / std */
  mean: number[];
  std: number[];
}

export interface Dataset {
  source: string;
  count: number;
  /** sample i as a float32 C×H×W tensor (batch 1) for the model */
  input(i: number): Float32Array;
  /** class index per sample, or undefined when the data has no labels */
  labels?: Int32Array;
  classes?: string[];
  preprocessing: Preprocessing;
  /** the exact value range of the inputs when they come from 8-bit pixels: [(0−mean)/std, (1−mean)/std] */
  range?: [number, number];
}

export interface DatasetOptions {
  labels?: string;
  mean?: number[];
  std?: number[];
}

/** Pixels of one sample: h × w × c, uint8. */
interface Pixels {
  h: number;
  w: number;
  c: number;
  data: Uint8Array;
}

function toModel(p: Pixels, [C, H, W]: number[], pre: Preprocessing): Float32Array {
  const out = new Float32Array(C! * H! * W!);
  const sy = p.h / H!, sx = p.w / W!;
  const px = (y: number, x: number, ch: number): number => {
    const base = (y * p.w + x) * p.c;
    if (p.c === C || (p.c === 4 && C === 3)) return p.data[base + ch]!;
    if (C === 1) return p.c === 1 ? p.data[base]! : 0.299 * p.data[base]! + 0.587 * p.data[base + 1]! + 0.114 * p.data[base + 2]!;
    return p.data[base]!; // gray → RGB
  };
  for (let ch = 0; ch < C!; ch++) {
    const mean = pre.mean[ch] ?? pre.mean[0]!, std = pre.std[ch] ?? pre.std[0]!;
    for (let y = 0; y < H!; y++)
      for (let x = 0; x < W!; x++) {
        let v: number;
        if (p.h === H && p.w === W) v = px(y, x, ch);
        else {
          // bilinear, half-pixel centres (as PIL and torchvision resize)
          const fy = Math.min(p.h - 1, Math.max(0, (y + 0.5) * sy - 0.5)), fx = Math.min(p.w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
          const y0 = Math.floor(fy), x0 = Math.floor(fx), y1 = Math.min(p.h - 1, y0 + 1), x1 = Math.min(p.w - 1, x0 + 1);
          const dy = fy - y0, dx = fx - x0;
          v = (px(y0, x0, ch) * (1 - dx) + px(y0, x1, ch) * dx) * (1 - dy) + (px(y1, x0, ch) * (1 - dx) + px(y1, x1, ch) * dx) * dy;
        }
        out[(ch * H! + y) * W! + x] = (v / 255 - mean) / std;
      }
  }
  return out;
}

function readLabels(path: string, count: number): Int32Array {
  const l = path.endsWith('.npy') ? readNpy(path).data : readIdxLabels(path);
  if (l.length < count) throw new ReparoError('E_USAGE', `${l.length} labels for ${count} samples`, { file: path });
  return Int32Array.from(l.subarray(0, count), Number);
}

/** Opens `path` for a model whose input is [1, C, H, W]. */
export function openDataset(path: string, inputDims: readonly number[], opts: DatasetOptions = {}): Dataset {
  if (!existsSync(path)) throw new ReparoError('E_IO', 'no such file or folder', { file: path });
  if (inputDims.length !== 4 || inputDims[0] !== 1)
    throw new ReparoError('E_USAGE', `the model input is [${inputDims}]; reparo reads image data for [1, C, H, W] inputs`, { file: path });
  const chw = inputDims.slice(1);
  const C = chw[0]!;
  const pre: Preprocessing = { mean: opts.mean ?? [0], std: opts.std ?? [1] };
  for (const v of [...pre.mean, ...pre.std]) if (!Number.isFinite(v)) throw new ReparoError('E_USAGE', '--mean/--std must be numbers');
  if (pre.std.some((s) => s === 0)) throw new ReparoError('E_USAGE', '--std must not be 0');
  const ends = Array.from({ length: C }, (_, c) => [0, 1].map((p) => (p - (pre.mean[c] ?? pre.mean[0]!)) / (pre.std[c] ?? pre.std[0]!))).flat();
  const base = { source: path, preprocessing: pre, range: [Math.min(...ends), Math.max(...ends)] as [number, number] };

  if (statSync(path).isDirectory()) {
    const folder = listImageFolder(path);
    return {
      ...base,
      count: folder.files.length,
      input: (i) => {
        const img = decodeImage(folder.files[i]!);
        return toModel({ h: img.height, w: img.width, c: 4, data: img.data }, chw, pre);
      },
      labels: folder.classes.length ? Int32Array.from(folder.labels) : undefined,
      classes: folder.classes.length ? folder.classes : undefined,
    };
  }

  if (path.endsWith('.npy')) {
    const a = readNpy(path);
    const [N, ...rest] = a.shape;
    const labels = opts.labels ? readLabels(opts.labels, N!) : undefined;
    if (a.dtype === 'uint8') {
      const [h, w, c] = rest.length === 2 ? [rest[0]!, rest[1]!, 1] : rest.length === 3 && rest[2]! <= 4 ? (rest as [number, number, number]) : [0, 0, 0];
      if (!h) throw new ReparoError('E_USAGE', `uint8 .npy of shape (${a.shape}) is not N×H×W or N×H×W×C images`, { file: path });
      const n = h * w * c;
      return { ...base, count: N!, labels, input: (i) => toModel({ h, w, c, data: (a.data as Uint8Array).subarray(i * n, (i + 1) * n) }, chw, pre) };
    }
    // float arrays are taken as already preprocessed model inputs (range unknown)
    const n = chw.reduce((x, y) => x * y, 1);
    const nchw = rest.join() === chw.join(), nhwc = rest.join() === [chw[1], chw[2], chw[0]].join();
    if (!nchw && !nhwc)
      throw new ReparoError('E_USAGE', `float .npy of shape (${a.shape}) does not match the model input [${inputDims}] (N×C×H×W or N×H×W×C)`, { file: path });
    return {
      ...base,
      range: undefined,
      count: N!,
      labels,
      input: (i) => {
        const src = a.data.subarray(i * n, (i + 1) * n);
        if (nchw) return Float32Array.from(src as Float32Array);
        const out = new Float32Array(n), [, H, W] = chw as [number, number, number];
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) out[(c * H + y) * W + x] = src[(y * W + x) * C + c]!;
        return out;
      },
    };
  }

  const idx = readIdxImages(path);
  const labelPath = opts.labels ?? labelsBeside(path);
  const n = idx.height * idx.width;
  return {
    ...base,
    count: idx.count,
    labels: labelPath ? readLabels(labelPath, idx.count) : undefined,
    input: (i) => toModel({ h: idx.height, w: idx.width, c: 1, data: idx.pixels.subarray(i * n, (i + 1) * n) }, chw, pre),
  };
}
