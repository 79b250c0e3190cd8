/**
 * The `reparo deploy` report: one optional section per stage, so that a deploy that stopped early
 * still renders what it got. Sections reuse the shapes the stages already produce (FuseReport,
 * FitReport, SizeReport, LayerSqnr); bench and validate are defined here for the HIL runners to fill.
 * Numbers may arrive as null after a JSON round trip (JSON has no Infinity/NaN): renderers treat
 * any non-finite number as "n/a".
 */
import type { Board } from '../boards/index.ts';
import type { FitReport, MemoryPlanReport } from '../codegen/emit.ts';
import type { SizeReport } from '../toolchain/index.ts';
import type { FuseResult } from '../fuse/index.ts';
import type { EquivalenceReport } from '../verify/index.ts';

/** What `reparo fuse` reports (pipeline/fuse.ts fills it). */
export interface FuseReport {
  model: string;
  output?: string;
  input: { name: string; dims: readonly number[] };
  families: FuseResult['families'];
  blocks: { output: string; family: string; kernels: string[]; fusedKernel?: string; singlePath: boolean; maxAbs?: number; maxRel?: number }[];
  before: FuseResult['before'];
  after: FuseResult['after'];
  rewrites: FuseResult['rewrites'];
  resrep: FuseResult['resrep'];
  collapse: FuseResult['collapse'];
  verify: EquivalenceReport;
  written: boolean;
}

/** One layer's int8 output against float (pipeline/evaluate.ts measures it). */
export interface LayerSqnr {
  tensor: string;
  op: string;
  sqnrDb: number;
}

export const STAGES = ['fuse', 'prove', 'quantize', 'emit', 'build', 'flash', 'bench', 'validate'] as const;
export type StageName = (typeof STAGES)[number];

/** What the report needs of a board (a full `Board` fits). */
export type BoardSummary = Pick<Board, 'id' | 'name' | 'core' | 'clockHz' | 'virtual' | 'flash' | 'ram'>;

export interface QuantizeStage {
  /** the .tflite written, and its size */
  output?: string;
  bytes: number;
  method?: string;
  perTensorWeights?: boolean;
  calibrationSamples?: number;
  accuracy?: {
    samples: number;
    float: { top1: number; top5?: number };
    int8: { top1: number; top5?: number; /** share of samples where int8 and float agree on the class */ agreement?: number };
  };
  /** per-layer SQNR of the int8 activations against the float ones (layerSqnr) */
  sqnr?: LayerSqnr[];
  /** layers below this SQNR are flagged (default DEFAULT_SQNR_THRESHOLD_DB) */
  sqnrThresholdDb?: number;
}

export interface EmitStage {
  dir?: string;
  runtime: 'native' | 'tflm';
  /** activation arena after buffer reuse, bytes */
  arenaSize: number;
  fit: FitReport;
  /** the native runtime's memory plan, its banded segments, per op the arena in use (reparo's and TFLM's planner's) */
  memory?: MemoryPlanReport;
}

export interface BuildStage {
  elf?: string;
  size: SizeReport;
}

export interface FlashStage {
  method: string;
  port?: string;
  /** readback / loader checksum matched what was written */
  verified: boolean;
  bytes?: number;
  ms?: number;
}

/** Latency over `runs` inferences. Under QEMU -icount the unit is instructions, never cycles. */
export interface LatencyReport {
  unit: 'instructions' | 'cycles';
  runs: number;
  min: number;
  median: number;
  p90: number;
  max?: number;
  /** every run took the same count */
  identical?: boolean;
  /** wall time, only for cycles on a board with a known clock */
  us?: { min: number; median: number; p90: number };
  /** count per layer for one inference, in model order */
  perLayer?: { name: string; op: string; count: number }[];
}

/** What validate sent to the board: a data set's samples, or seeded random int8 inputs. */
export type InputSource = { kind: 'data'; path: string } | { kind: 'random'; seed: number };

export interface ValidateReport {
  samples: number;
  /** what was sent: a data set's samples, or seeded random int8 inputs (no data given) */
  inputs: InputSource;
  /** samples whose int8 outputs equal the host reference interpreter's byte for byte */
  bitExact: number;
  deviceTop1: number;
  hostTop1: number;
}

export interface DeployReport {
  /** the training-time model deployed */
  model: string;
  board?: BoardSummary;
  runtime?: 'native' | 'tflm';
  /** ISO time the deploy started */
  startedAt?: string;
  stages: {
    fuse?: FuseReport;
    quantize?: QuantizeStage;
    emit?: EmitStage;
    build?: BuildStage;
    flash?: FlashStage;
    bench?: LatencyReport;
    validate?: ValidateReport;
  };
  /** set when the deploy stopped before the end */
  stopped?: { stage: StageName; code?: string; message: string; hint?: string };
}

export const DEFAULT_SQNR_THRESHOLD_DB = 20;
