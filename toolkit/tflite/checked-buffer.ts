/**
 * Bounds-checked flatbuffer access. The flatbuffers runtime trusts every offset it follows; this
 * layer checks each uoffset, vtable and vector length against the file size before it reads, and
 * charges every array it hands out to a budget tied to the file size, so that a hostile file
 * (shared sub-objects, huge lengths) can neither read out of range nor make the reader allocate
 * far more than the file holds. Every failure is a ReparoError naming the byte offset.
 */
import { ReparoError } from '../errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A vector's element count and the byte offset of its first element. */
export interface VectorRef {
  start: number;
  length: number;
}

export class CheckedBuffer {
  readonly length: number;
  private readonly view: DataView;
  /** bytes the reader may still allocate: generous for real models, finite for crafted ones */
  private budget: number;

  constructor(readonly bytes: Uint8Array, readonly file?: string) {
    this.length = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.budget = 16 * bytes.length + (1 << 16);
  }

  fail(offset: number, message: string, hint = 'the file is truncated or not a TFLite model; re-export it'): never {
    throw new ReparoError('E_TFLITE_PARSE', `${message} (at byte ${offset})`, { file: this.file, hint });
  }

  /** Throws unless [offset, offset + size) lies inside the file. */
  need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.length) {
      this.fail(offset, `${what}: ${size} byte(s) at ${offset} run past the end of the ${this.length}-byte file`);
    }
  }

  /** Reserves `bytes` of output for an array about to be built. */
  charge(bytes: number, offset: number, what: string): void {
    this.budget -= bytes;
    if (this.budget < 0) {
      this.fail(offset, `${what}: the file decodes to far more data than it holds (shared or looping sub-objects)`);
    }
  }

  u8(o: number, what: string): number { this.need(o, 1, what); return this.view.getUint8(o); }
  i8(o: number, what: string): number { this.need(o, 1, what); return this.view.getInt8(o); }
  u16(o: number, what: string): number { this.need(o, 2, what); return this.view.getUint16(o, true); }
  i32(o: number, what: string): number { this.need(o, 4, what); return this.view.getInt32(o, true); }
  u32(o: number, what: string): number { this.need(o, 4, what); return this.view.getUint32(o, true); }
  f32(o: number, what: string): number { this.need(o, 4, what); return this.view.getFloat32(o, true); }
  /** 64-bit integers must fit a JS number exactly; anything larger cannot be a valid offset or zero point */
  i64(o: number, what: string): number {
    this.need(o, 8, what);
    const v = this.view.getBigInt64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(o, `${what}: 64-bit value ${v} is out of range`);
    return Number(v);
  }
  u64(o: number, what: string): number {
    this.need(o, 8, what);
    const v = this.view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(o, `${what}: 64-bit value ${v} is out of range`);
    return Number(v);
  }

  /** Follows the uoffset stored at `at`; the target must lie inside the file with room for `minSize` bytes. */
  deref(at: number, minSize: number, what: string): number {
    const rel = this.u32(at, what);
    if (rel === 0) this.fail(at, `${what}: zero offset`);
    const target = at + rel;
    this.need(target, minSize, what);
    return target;
  }

  /** The table at `pos`, with its vtable checked. */
  table(pos: number, what: string): Table {
    const vtable = pos - this.i32(pos, `${what} (vtable offset)`);
    this.need(vtable, 4, `${what} (vtable)`);
    if (vtable % 2 !== 0) this.fail(vtable, `${what}: misaligned vtable`);
    const vtableSize = this.u16(vtable, `${what} (vtable size)`);
    const tableSize = this.u16(vtable + 2, `${what} (table size)`);
    if (vtableSize < 4 || vtableSize % 2 !== 0) this.fail(vtable, `${what}: bad vtable size ${vtableSize}`);
    if (tableSize < 4) this.fail(vtable, `${what}: bad table size ${tableSize}`);
    this.need(vtable, vtableSize, `${what} (vtable)`);
    this.need(pos, tableSize, what);
    return new Table(this, pos, vtable, vtableSize, tableSize, what);
  }

  /** The vector whose uoffset is stored at `at`; its elements must all lie inside the file. */
  vector(at: number, elemSize: number, what: string): VectorRef {
    const pos = this.deref(at, 4, what);
    const length = this.u32(pos, `${what} (length)`);
    const start = pos + 4;
    if (start + length * elemSize > this.length) {
      this.fail(pos, `${what}: vector of ${length} element(s) of ${elemSize} byte(s) overruns the ${this.length}-byte file`);
    }
    return { start, length };
  }
}

/** One table: fields by id (vtable slot); absent fields give the schema default. */
export class Table {
  constructor(
    readonly buf: CheckedBuffer,
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
    private readonly tableSize: number,
    readonly what: string,
  ) {}

  /** Byte offset of field `id` (of `size` bytes, inside the table), or 0 when absent. */
  fieldOffset(id: number, size: number, name: string): number {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vtableSize) return 0;
    const rel = this.buf.u16(this.vtable + slot, `${this.what}.${name}`);
    if (rel === 0) return 0;
    if (rel < 4 || rel + size > this.tableSize) this.buf.fail(this.vtable + slot, `${this.what}.${name}: field lies outside its table`);
    return this.pos + rel;
  }

  has(id: number, name: string): boolean {
    return this.fieldOffset(id, 1, name) !== 0;
  }

  u8(id: number, name: string, dflt = 0): number { const at = this.fieldOffset(id, 1, name); return at ? this.buf.u8(at, name) : dflt; }
  i8(id: number, name: string, dflt = 0): number { const at = this.fieldOffset(id, 1, name); return at ? this.buf.i8(at, name) : dflt; }
  bool(id: number, name: string, dflt = false): boolean { const at = this.fieldOffset(id, 1, name); return at ? this.buf.u8(at, name) !== 0 : dflt; }
  i32(id: number, name: string, dflt = 0): number { const at = this.fieldOffset(id, 4, name); return at ? this.buf.i32(at, name) : dflt; }
  u32(id: number, name: string, dflt = 0): number { const at = this.fieldOffset(id, 4, name); return at ? this.buf.u32(at, name) : dflt; }
  u64(id: number, name: string, dflt = 0): number { const at = this.fieldOffset(id, 8, name); return at ? this.buf.u64(at, name) : dflt; }
  f32(id: number, name: string, dflt = 0): number { const at = this.fieldOffset(id, 4, name); return at ? this.buf.f32(at, name) : dflt; }

  table(id: number, name: string): Table | undefined {
    const at = this.fieldOffset(id, 4, name);
    if (!at) return undefined;
    return this.buf.table(this.buf.deref(at, 4, `${this.what}.${name}`), `${this.what}.${name}`);
  }

  vector(id: number, elemSize: number, name: string): VectorRef | undefined {
    const at = this.fieldOffset(id, 4, name);
    return at ? this.buf.vector(at, elemSize, `${this.what}.${name}`) : undefined;
  }

  tables(id: number, name: string): Table[] | undefined {
    const v = this.vector(id, 4, name);
    if (!v) return undefined;
    this.buf.charge(8 * v.length, v.start, `${this.what}.${name}`);
    const out: Table[] = [];
    for (let i = 0; i < v.length; i++) {
      const what = `${this.what}.${name}[${i}]`;
      out.push(this.buf.table(this.buf.deref(v.start + 4 * i, 4, what), what));
    }
    return out;
  }

  private numbers(id: number, elemSize: number, name: string, read: (at: number, what: string) => number): number[] | undefined {
    const v = this.vector(id, elemSize, name);
    if (!v) return undefined;
    const what = `${this.what}.${name}`;
    this.buf.charge(8 * v.length, v.start, what);
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = read(v.start + elemSize * i, what);
    return out;
  }
  i32s(id: number, name: string): number[] | undefined { return this.numbers(id, 4, name, (o, w) => this.buf.i32(o, w)); }
  f32s(id: number, name: string): number[] | undefined { return this.numbers(id, 4, name, (o, w) => this.buf.f32(o, w)); }
  i64s(id: number, name: string): number[] | undefined { return this.numbers(id, 8, name, (o, w) => this.buf.i64(o, w)); }

  string(id: number, name: string): string | undefined {
    const v = this.vector(id, 1, name);
    if (!v) return undefined;
    this.buf.charge(2 * v.length, v.start, `${this.what}.${name}`);
    try {
      return utf8.decode(this.buf.bytes.subarray(v.start, v.start + v.length));
    } catch {
      return this.buf.fail(v.start, `${this.what}.${name}: string is not valid UTF-8`);
    }
  }
}
