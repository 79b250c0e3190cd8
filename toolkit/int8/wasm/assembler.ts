/**
 * A minimal WebAssembly binary writer: just the instructions the int8 kernels use, one function
 * type of i32 parameters, memory imported from JavaScript as env.memory.
 */

const SIMD = 0xfd;

/** Unsigned / signed LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => vec([...s].map((c) => [c.charCodeAt(0)]));

export type Local = number;

/** The body of one function: i32 parameters, then declared i32 and v128 locals. */
export class FunctionBody {
  readonly code: number[] = [];
  private i32Locals = 0;
  private i64Locals = 0;
  private v128Locals = 0;
  private readonly i64Start = 1 << 20;
  private readonly v128Start = 1 << 21;

  constructor(readonly params: number) {}

  // locals are numbered after the parameters, i32 first: declare them all before emitting code
  i32(): Local {
    if (this.code.length) throw new Error('declare locals before code');
    return this.params + this.i32Locals++;
  }
  i64(): Local {
    if (this.code.length) throw new Error('declare locals before code');
    return this.i64Start + this.i64Locals++;
  }
  v128(): Local {
    if (this.code.length) throw new Error('declare locals before code');
    return this.v128Start + this.v128Locals++;
  }

  private index(l: Local): number {
    if (l >= this.v128Start) return this.params + this.i32Locals + this.i64Locals + (l - this.v128Start);
    if (l >= this.i64Start) return this.params + this.i32Locals + (l - this.i64Start);
    return l;
  }
  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  private simd(opcode: number, ...imm: number[]): this {
    return this.op(SIMD, ...uleb(opcode), ...imm);
  }

  get(l: Local) { return this.op(0x20, ...uleb(this.index(l))); } // prettier-ignore
  set(l: Local) { return this.op(0x21, ...uleb(this.index(l))); } // prettier-ignore
  const(n: number) { return this.op(0x41, ...sleb(n | 0)); } // prettier-ignore
  add() { return this.op(0x6a); } // prettier-ignore
  sub() { return this.op(0x6b); } // prettier-ignore
  mul() { return this.op(0x6c); } // prettier-ignore
  and() { return this.op(0x71); } // prettier-ignore
  shl() { return this.op(0x74); } // prettier-ignore
  shrS() { return this.op(0x75); } // prettier-ignore
  shrU() { return this.op(0x76); } // prettier-ignore
  ltU() { return this.op(0x49); } // prettier-ignore
  ltS() { return this.op(0x48); } // prettier-ignore
  gtS() { return this.op(0x4a); } // prettier-ignore
  geU() { return this.op(0x4f); } // prettier-ignore
  select() { return this.op(0x1b); } // prettier-ignore
  load(offset = 0) { return this.op(0x28, 2, ...uleb(offset)); } // prettier-ignore
  load8S(offset = 0) { return this.op(0x2c, 0, ...uleb(offset)); } // prettier-ignore
  store8(offset = 0) { return this.op(0x3a, 0, ...uleb(offset)); } // prettier-ignore
  store16(offset = 0) { return this.op(0x3b, 1, ...uleb(offset)); } // prettier-ignore
  i64Const(n: number) { return this.op(0x42, ...sleb(n | 0)); } // prettier-ignore
  i64ExtendI32S() { return this.op(0xac); } // prettier-ignore
  i64Add() { return this.op(0x7c); } // prettier-ignore
  i64Mul() { return this.op(0x7e); } // prettier-ignore
  i64And() { return this.op(0x83); } // prettier-ignore
  i64ShrS() { return this.op(0x87); } // prettier-ignore
  i64GeS() { return this.op(0x59); } // prettier-ignore
  i32WrapI64() { return this.op(0xa7); } // prettier-ignore
  /** local += n */
  inc(l: Local, n: number | Local, isLocal = false) {
    this.get(l);
    if (isLocal) this.get(n);
    else this.const(n);
    return this.add().set(l);
  }

  v128Load(offset = 0) { return this.simd(0x00, 0, ...uleb(offset)); } // prettier-ignore
  v128Store(offset = 0) { return this.simd(0x0b, 0, ...uleb(offset)); } // prettier-ignore
  v128Zero() { return this.simd(0x0c, ...new Array<number>(16).fill(0)); } // prettier-ignore
  i32x4Splat() { return this.simd(0x11); } // prettier-ignore
  i32x4Add() { return this.simd(0xae); } // prettier-ignore
  i32x4DotI16x8S() { return this.simd(0xba); } // prettier-ignore
  i32x4ExtmulLowI16x8S() { return this.simd(0xbc); } // prettier-ignore
  i32x4ExtmulHighI16x8S() { return this.simd(0xbd); } // prettier-ignore

  /** for (counter = 0; counter < limit; counter++) body — limit a local, compared unsigned */
  forRange(counter: Local, limit: Local, body: () => void): this {
    this.const(0).set(counter);
    this.op(0x02, 0x40, 0x03, 0x40); // block, loop
    this.get(counter).get(limit).geU().op(0x0d, 1); // br_if out of the block
    body();
    this.inc(counter, 1);
    return this.op(0x0c, 0, 0x0b, 0x0b); // br to loop; end loop; end block
  }

  /** Local declarations and code, as the code section wants them. */
  encode(): number[] {
    const decls = [
      [...uleb(this.i32Locals), 0x7f],
      [...uleb(this.i64Locals), 0x7e],
      [...uleb(this.v128Locals), 0x7b],
    ].filter((d) => d[0] !== 0);
    const body = [...vec(decls), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/** A module of functions (void, all-i32 parameters) over an imported memory env.memory. */
export function assemble(functions: { name: string; body: FunctionBody }[]): Uint8Array<ArrayBuffer> {
  const types = [...new Set(functions.map((f) => f.body.params))];
  const typeSec = vec(types.map((n) => [0x60, ...vec(new Array(n).fill([0x7f])), 0]));
  const importSec = vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]]); // memory, min 1 page
  const funcSec = vec(functions.map((f) => uleb(types.indexOf(f.body.params))));
  const exportSec = vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const codeSec = vec(functions.map((f) => f.body.encode()));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, typeSec),
    ...section(2, importSec),
    ...section(3, funcSec),
    ...section(7, exportSec),
    ...section(10, codeSec),
  ]); // prettier-ignore
}
