/**
 * A static memory plan for the native runtime: every activation buffer gets a fixed offset in one
 * arena, and buffers whose lifetimes ([first, last] op indices, inclusive) do not overlap may share
 * bytes. Greedy by size (as TFLite Micro's GreedyMemoryPlanner): largest buffers first, each at the
 * lowest aligned offset that does not collide with an already placed buffer alive at the same time.
 */

export interface MemoryPlan {
  /** register a buffer of `size` bytes alive from op `first` to op `last` (inclusive); returns its id */
  addBuffer(size: number, first: number, last: number): number;
  /** the byte offset of a buffer in the arena (plans on first call) */
  offsetOf(id: number): number;
  /** the arena size in bytes (plans on first call) */
  arenaSize(): number;
  /** the highest byte in use while op `at` runs: the end of the last buffer alive then (plans on first call) */
  highWater(at: number): number;
}

interface Buffer {
  size: number;
  first: number;
  last: number;
  offset: number;
}

export function createMemoryPlan(alignment = 16): MemoryPlan {
  if (!(Number.isInteger(alignment) && alignment >= 1)) throw new RangeError(`alignment ${alignment} must be a positive integer`);
  const buffers: Buffer[] = [];
  let planned = false;
  let total = 0;
  const align = (n: number) => Math.ceil(n / alignment) * alignment;

  const plan = () => {
    if (planned) return;
    planned = true;
    const order = buffers.map((_, i) => i).sort((a, b) => buffers[b].size - buffers[a].size || buffers[a].first - buffers[b].first || a - b);
    const placed: Buffer[] = [];
    for (const i of order) {
      const b = buffers[i];
      const live = placed.filter((p) => p.first <= b.last && b.first <= p.last).sort((x, y) => x.offset - y.offset);
      let offset = 0;
      for (const p of live) {
        if (offset + b.size <= p.offset) break;
        offset = Math.max(offset, align(p.offset + p.size));
      }
      b.offset = offset;
      placed.push(b);
      total = Math.max(total, offset + b.size);
    }
    total = align(total);
  };

  return {
    addBuffer(size, first, last) {
      if (planned) throw new Error('memory plan: addBuffer after planning');
      if (!(Number.isInteger(size) && size >= 0 && Number.isInteger(first) && Number.isInteger(last) && first <= last)) {
        throw new RangeError(`memory plan: invalid buffer size ${size}, lifetime [${first}, ${last}]`);
      }
      buffers.push({ size, first, last, offset: -1 });
      return buffers.length - 1;
    },
    offsetOf(id) {
      if (!(id >= 0 && id < buffers.length)) throw new RangeError(`memory plan: no buffer ${id}`);
      plan();
      return buffers[id].offset;
    },
    arenaSize() {
      plan();
      return total;
    },
    highWater(at) {
      plan();
      return Math.max(0, ...buffers.filter((b) => b.first <= at && at <= b.last).map((b) => b.offset + b.size));
    },
  };
}
