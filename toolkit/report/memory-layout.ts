/**
 * What fills the board's flash and RAM, from the stage reports: after a build the linker's sizes
 * (text/data/bss/stack) split into model and firmware parts; before it (stopped at emit) the fit
 * check's estimate.
 */
import type { FitReport } from '../codegen/emit.ts';
import type { SizeReport } from '../toolchain/index.ts';
import type { BoardSummary } from './types.ts';

export type SegmentKind = 'weights' | 'code' | 'data' | 'arena' | 'bss' | 'stack';

export interface MemorySegment {
  kind: SegmentKind;
  label: string;
  bytes: number;
}

export interface MemoryBar {
  name: 'flash' | 'RAM';
  total: number;
  freeForModel: number;
  segments: MemorySegment[];
  /** from the fit check, not from a build */
  estimate: boolean;
}

/** The model's constant data, from the fit check's consumers (emit names each `weights <tensor>`). */
export function weightBytes(fit: FitReport): number {
  return fit.consumers.filter((c) => c.memory === 'flash' && c.what.startsWith('weights ')).reduce((a, c) => a + c.bytes, 0);
}

const seg = (kind: SegmentKind, label: string, bytes: number): MemorySegment => ({ kind, label, bytes: Math.max(0, bytes) });

export function memoryLayout(board: BoardSummary, fit?: FitReport, arenaSize?: number, size?: SizeReport): MemoryBar[] {
  return barsFrom(board, fit, arenaSize, size).map((b) => ({ ...b, segments: b.segments.filter((s) => s.bytes > 0) }));
}

function barsFrom(board: BoardSummary, fit?: FitReport, arenaSize?: number, size?: SizeReport): MemoryBar[] {
  const weights = fit ? weightBytes(fit) : 0;
  const arena = arenaSize ?? 0;
  const flashTotal = size?.flashTotal ?? board.flash.total, ramTotal = size?.ramTotal ?? board.ram.total;
  if (size) {
    return [
      { name: 'flash', total: flashTotal, freeForModel: board.flash.freeForModel, estimate: false, segments: [
        seg('weights', 'weights', Math.min(weights, size.text)),
        seg('code', fit ? 'code + other read-only data' : 'code + read-only data', size.text - Math.min(weights, size.text)),
        seg('data', 'initialised data', size.data),
      ] },
      { name: 'RAM', total: ramTotal, freeForModel: board.ram.freeForModel, estimate: false, segments: [
        seg('arena', 'activation arena', Math.min(arena, size.bss)),
        seg('data', 'initialised data', size.data),
        seg('bss', 'other zeroed data', size.bss - Math.min(arena, size.bss)),
        seg('stack', 'stack', size.stack),
      ] },
    ];
  }
  if (!fit) return [];
  return [
    { name: 'flash', total: flashTotal, freeForModel: fit.flash.free, estimate: true, segments: [seg('weights', 'weights', weights), seg('code', 'firmware (estimate)', fit.flash.needed - weights)] },
    { name: 'RAM', total: ramTotal, freeForModel: fit.ram.free, estimate: true, segments: [seg('arena', 'activation arena', arena), seg('stack', 'stack (estimate)', fit.ram.needed - arena)] },
  ];
}
