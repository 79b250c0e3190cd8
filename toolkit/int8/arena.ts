/**
 * The WebAssembly memory of one interpreter: permanent blocks (int16 weights, index tables,
 * requantization parameters) and shared regions (the int8 input image, the padded int16 image,
 * the int32 sums, the int8 output) that every op reuses, sized to the largest request once all
 * ops are prepared.
 */
import { instantiateKernels, type WasmKernels } from './wasm/kernels.ts';

const PAGE = 65536;

/** A shared region; `at` (a byte address) is set when the interpreter finishes preparing. */
export interface Region {
  at: number;
}

export class Arena {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  readonly kernels: WasmKernels = instantiateKernels(this.memory);
  private top = 16;
  private readonly regions: { name: string; region: Region; bytes: number }[] = [];
  private buffer: ArrayBuffer | undefined;
  private int8 = new Int8Array(0);
  private int16 = new Int16Array(0);
  private int32 = new Int32Array(0);

  /** A permanent block of `bytes`, 16-byte aligned. */
  alloc(bytes: number): number {
    const at = (this.top + 15) & ~15;
    this.top = at + bytes;
    const missing = this.top + 16 - this.memory.buffer.byteLength; // 16 bytes of slack for vector over-reads
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
    return at;
  }

  /** Copy int16 values into a new permanent block. */
  allocInt16(values: ArrayLike<number>): number {
    const at = this.alloc(2 * values.length);
    this.i16.set(values, at / 2);
    return at;
  }

  /** Copy int32 values into a new permanent block. */
  allocInt32(values: ArrayLike<number>): number {
    const at = this.alloc(4 * values.length);
    this.i32.set(values, at / 4);
    return at;
  }

  /** Ask for `bytes` of the shared region `name` (all requests to one name share its memory). */
  shared(name: 'input' | 'image' | 'sums' | 'output', bytes: number): Region {
    const existing = this.regions.find((r) => r.name === name);
    if (existing) {
      existing.bytes = Math.max(existing.bytes, bytes);
      return existing.region;
    }
    const entry = { name, region: { at: -1 }, bytes };
    this.regions.push(entry);
    return entry.region;
  }

  /** Place the shared regions (after every op has been prepared). */
  finish(): void {
    for (const r of this.regions) r.region.at = this.alloc(r.bytes);
  }

  /** Views of the memory (renewed after it grows). */
  get i8(): Int8Array {
    this.refresh();
    return this.int8;
  }
  get i16(): Int16Array {
    this.refresh();
    return this.int16;
  }
  get i32(): Int32Array {
    this.refresh();
    return this.int32;
  }
  private refresh(): void {
    if (this.buffer === this.memory.buffer) return;
    this.buffer = this.memory.buffer;
    this.int8 = new Int8Array(this.buffer);
    this.int16 = new Int16Array(this.buffer);
    this.int32 = new Int32Array(this.buffer);
  }
}
