export { checkEquivalence, DEFAULT_TOLERANCE, type EquivalenceReport, type EquivalenceOptions, type ErrorStat } from './equivalence.ts';

