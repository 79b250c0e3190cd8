/**
 * Weights and index tables for the WebAssembly dot-product kernel (wasm/kernels.ts, dotPairs) used
 * by CONV_2D and FULLY_CONNECTED: every output pixel's window is `taps` runs of `run` int16 input
 * values, the t-th at byte offset offsets[t] from the pixel's base.
 */
import type { Arena } from './arena.ts';

export interface InputWindow {
  /** element offsets of the runs from a window's start */
  offsets: number[];
  run: number;
}

export interface PackedWeights {
  /** byte address of [block of 8 channels][tap][pair][channel][2] int16 */
  at: number;
  blocks: number;
  pairs: number;
}

/**
 * Pack `rows` weight rows of `weights` (row-major, each taps·run long, in window order) starting
 * at `firstRow`, each weight plus `weightOffset` (FULLY_CONNECTED per-tensor subtracts the zero
 * point; convolutions do not). Missing channels and the odd run's last pair get zero weights.
 */
export function packWeights(arena: Arena, weights: Int8Array, firstRow: number, rows: number, win: InputWindow, weightOffset: number): PackedWeights {
  const taps = win.offsets.length;
  const depth = taps * win.run;
  const pairs = Math.ceil(win.run / 2);
  const blocks = Math.ceil(rows / 8);
  const packed = new Int16Array(blocks * taps * pairs * 16);
  for (let c = 0; c < rows; c++) {
    for (let t = 0; t < taps; t++) {
      for (let k = 0; k < win.run; k++) {
        const at = (((Math.floor(c / 8) * taps + t) * pairs + (k >> 1)) * 8 + (c % 8)) * 2 + (k & 1);
        packed[at] = weights[(firstRow + c) * depth + t * win.run + k] + weightOffset;
      }
    }
  }
  return { at: arena.allocInt16(packed), blocks, pairs };
}

/** The byte offsets of a window's runs, as the kernel reads them. */
export function windowOffsets(arena: Arena, win: InputWindow): number {
  return arena.allocInt32(win.offsets.map((o) => 2 * o));
}
