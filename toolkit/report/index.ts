/** Deploy reports: the DeployReport type, the self-contained HTML page, and its SVG pictures. */
export {
  STAGES, DEFAULT_SQNR_THRESHOLD_DB,
  type StageName, type BoardSummary, type DeployReport, type QuantizeStage, type EmitStage, type BuildStage, type FlashStage, type LatencyReport, type ValidateReport, type InputSource,
} from './types.ts';
export { renderHtml, reportJson, stageStatus, type StageStatus } from './html.ts';
export { writeDeployReport } from './write.ts';
export { memoryLayout, weightBytes, type MemoryBar, type MemorySegment, type SegmentKind } from './memory-layout.ts';
export { fusionDiagram } from './svg/fusion.ts';
export { sqnrChart } from './svg/sqnr.ts';
export { latencyChart, unitLabel } from './svg/latency.ts';
export { memoryMap } from './svg/memory.ts';
export { esc, describeInputs } from './format.ts';
