/** Cohort aggregation of many cases' metrics (see aggregate.ts) and its files (outputs.ts). */
export * from './aggregate.js';
export * from './outputs.js';
