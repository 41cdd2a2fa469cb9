/**
 * Cohort aggregation of many cases' metrics (aggregate.ts, its statistics in statistics.ts), the
 * comparison of two aggregates (compare.ts) and their files (outputs.ts).
 */
export * from './aggregate.js';
export * from './compare.js';
export * from './outputs.js';
export * from './statistics.js';
