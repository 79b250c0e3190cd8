/**
 * One image of an int8 NHWC tensor laid out for the window kernels: x − zpIn as int16 inside a
 * frame of zeros. A zero in offset space is exactly what TFLite's reference kernels do at padded
 * taps (they skip them), so the kernels read every tap without bounds checks.
 */
import type { Arena, Region } from './arena.ts';
import { ReparoError } from '../errors.ts';

/** the largest padded frame the interpreter builds (far above any microcontroller model) */
const MAX_FRAME_BYTES = 256 << 20;

export interface PaddedGeometry {
  inH: number;
  inW: number;
  inC: number;
  /** padded size: just what the output windows reach */
  padH: number;
  padW: number;
  padTop: number;
  padLeft: number;
}

/** The padded size that the output windows of a geometry reach. */
export function paddedSize(outH: number, outW: number, filterH: number, filterW: number, strideH: number, strideW: number, dilationH: number, dilationW: number): { padH: number; padW: number } {
  return { padH: (outH - 1) * strideH + (filterH - 1) * dilationH + 1, padW: (outW - 1) * strideW + (filterW - 1) * dilationW + 1 };
}

/** The shared regions a padded image needs: the int8 source image and the int16 frame. */
export function reservePadded(arena: Arena, g: PaddedGeometry, repeat = 1): { source: Region; image: Region } {
  // strides or dilations far beyond the image make the frame huge while every tensor stays small
  const bytes = 2 * g.padH * g.padW * g.inC * repeat;
  if (!(bytes <= MAX_FRAME_BYTES))
    throw new ReparoError('E_TFLITE_INVALID', `an operator's windows reach a ${g.padH}×${g.padW} frame around a ${g.inH}×${g.inW} input (${bytes} bytes)`, {
      hint: 'its stride or dilation is far larger than the input: the model is malformed (reparo check <model>)',
    });
  return { source: arena.shared('input', g.inH * g.inW * g.inC), image: arena.shared('image', 2 * g.padH * g.padW * g.inC * repeat) };
}

/**
 * Lay image n of `input`, minus its zero point, into the frame at `image`, each channel `repeat`
 * times in a row (DEPTHWISE_CONV_2D's depth multiplier).
 */
export function fillPadded(arena: Arena, g: PaddedGeometry, input: Int8Array, n: number, inputOffset: number, source: Region, image: Region, repeat = 1): void {
  const { inH, inW, inC, padH, padW, padTop, padLeft } = g;
  const size = inH * inW * inC;
  const depth = inC * repeat;
  arena.i8.set(input.subarray(n * size, (n + 1) * size), source.at);
  arena.i16.fill(0, image.at / 2, image.at / 2 + padH * padW * depth);
  const rows = Math.min(inH, padH - padTop);
  const cols = Math.min(inW, padW - padLeft);
  const first = image.at + 2 * (padTop * padW + padLeft) * depth;
  arena.kernels.widen(source.at, rows, cols * inC, inW * inC, first, 2 * padW * depth, inputOffset, repeat);
}
