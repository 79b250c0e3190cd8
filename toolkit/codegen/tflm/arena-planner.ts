/**
 * A memory planner that places buffers exactly as TFLite Micro's GreedyMemoryPlanner does
 * (tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc), so that the arena we predict is
 * the arena TFLM plans. Its order is a fact of that code, and it differs from the native runtime's
 * planner (../memory-plan.ts, which breaks size ties by lifetime and aligns offsets itself):
 *   - buffers are sorted by size, largest first, with a stable bubble sort over the ids in REVERSE
 *     order (TFLM fills the sort array from the tail), so among equal sizes the later buffer goes first;
 *   - each buffer takes the lowest offset where it fits between the buffers already placed that are
 *     alive at an overlapping time (first fit in a list sorted by offset);
 *   - the planner itself does not align: TFLM's allocator rounds every size up to 16 before adding it.
 * Lifetimes are inclusive [firstUse, lastUse] in TFLM's allocation scopes.
 */
import type { MemoryPlan } from '../memory-plan.ts';

interface Placed {
  size: number;
  first: number;
  last: number;
  offset: number;
}

export function createTflmGreedyPlanner(): MemoryPlan {
  const buffers: Placed[] = [];
  let planned = false;
  let total = 0;

  const plan = () => {
    if (planned) return;
    planned = true;
    // Stable descending sort of the reversed id list = size descending, ties: higher id first.
    const order = buffers.map((_, i) => i).sort((a, b) => buffers[b]!.size - buffers[a]!.size || b - a);
    const byOffset: Placed[] = [];
    for (const id of order) {
      const want = buffers[id]!;
      let candidate = 0;
      for (const p of byOffset) {
        if (p.first > want.last || want.first > p.last) continue; // not alive at the same time
        if (p.offset - candidate >= want.size) break; // the gap before p is big enough
        candidate = Math.max(candidate, p.offset + p.size);
      }
      want.offset = candidate;
      // keep the list sorted by offset (a new entry goes after entries with an equal offset, as TFLM)
      const at = byOffset.findIndex((p) => p.offset > candidate);
      byOffset.splice(at < 0 ? byOffset.length : at, 0, want);
      total = Math.max(total, candidate + want.size);
    }
  };

  return {
    addBuffer(size, first, last) {
      if (planned) throw new Error('TFLM planner: addBuffer after planning');
      if (!(Number.isInteger(size) && size >= 0 && Number.isInteger(first) && Number.isInteger(last) && first <= last))
        throw new RangeError(`TFLM planner: invalid buffer size ${size}, lifetime [${first}, ${last}]`);
      buffers.push({ size, first, last, offset: -1 });
      return buffers.length - 1;
    },
    offsetOf(id) {
      if (!(id >= 0 && id < buffers.length)) throw new RangeError(`TFLM planner: no buffer ${id}`);
      plan();
      return buffers[id]!.offset;
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
