/** NumPy .npy (format 1.0–3.0): little-endian u1/i1/f4/f8 arrays, C order. Sizes checked against the file. */
import { existsSync, readFileSync } from 'node:fs';
import { ReparoError } from '../errors.ts';

export interface NpyArray {
  dtype: 'uint8' | 'int8' | 'float32' | 'float64';
  shape: number[];
  data: Uint8Array | Int8Array | Float32Array | Float64Array;
}

const DTYPES: Record<string, { dtype: NpyArray['dtype']; bytes: number }> = {
  '|u1': { dtype: 'uint8', bytes: 1 }, '<u1': { dtype: 'uint8', bytes: 1 },
  '|i1': { dtype: 'int8', bytes: 1 }, '<i1': { dtype: 'int8', bytes: 1 },
  '<f4': { dtype: 'float32', bytes: 4 }, '<f8': { dtype: 'float64', bytes: 8 },
};

export function readNpy(path: string): NpyArray {
  if (!existsSync(path)) throw new ReparoError('E_IO', 'no such file', { file: path });
  const buf = readFileSync(path);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw new ReparoError('E_IO', 'not a .npy file (bad magic)', { file: path });
  const major = buf[6]!;
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  if (start > buf.length) throw new ReparoError('E_IO', 'truncated .npy header', { file: path });
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const t = descr ? DTYPES[descr] : undefined;
  if (!t || shapeText === undefined)
    throw new ReparoError('E_IO', `unsupported .npy dtype ${descr ?? '?'}`, { file: path, hint: 'save uint8 images or float32 tensors' });
  if (fortran) throw new ReparoError('E_IO', 'Fortran-ordered .npy arrays are not supported', { file: path, hint: 'save with np.ascontiguousarray' });
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || start + count * t.bytes > buf.length)
    throw new ReparoError('E_IO', `truncated .npy: shape (${shapeText}) needs ${count * t.bytes} bytes after the header, file has ${buf.length - start}`, { file: path });
  const bytes = new Uint8Array(buf.subarray(start, start + count * t.bytes)).buffer; // aligned copy
  const data = t.dtype === 'uint8' ? new Uint8Array(bytes) : t.dtype === 'int8' ? new Int8Array(bytes) : t.dtype === 'float32' ? new Float32Array(bytes) : new Float64Array(bytes);
  return { dtype: t.dtype, shape, data };
}
