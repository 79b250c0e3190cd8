/** Benchmarks print comparison tables; none of them is a test. Usage: npm run bench [-- cli fuse int8 native mlperf riscv timm] */
import { benchCliStart } from './cli-start.ts';
import { benchFuse } from './fuse.ts';
import { benchInt8 } from './int8.ts';
import { benchMlperf } from './mlperf.ts';
import { benchNative } from './native.ts';
import { benchRiscv } from './riscv.ts';
import { benchTimm } from './timm.ts';

const all: Record<string, () => Promise<void>> = { cli: benchCliStart, fuse: benchFuse, int8: benchInt8, native: benchNative, mlperf: benchMlperf, riscv: benchRiscv, timm: benchTimm };
const pick = process.argv.slice(2);
for (const name of pick.length ? pick : Object.keys(all)) {
  const b = all[name];
  if (!b) throw new Error(`unknown benchmark '${name}' (have: ${Object.keys(all).join(', ')})`);
  await b();
}
