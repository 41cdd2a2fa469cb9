/**
 * PrepareSweep's records: sweep/cases.json (every case of the sweep, run now or already
 * complete) and the workflow state it returns, which the Map and AggregateSweep read.
 */
import { z } from 'zod';
import { readRecord } from '../../lib/case/records.js';

/** Files under the sweep's output prefix. */
export const SWEEP_FILES = {
  manifest: 'sweep/manifest.jsonl',
  cases: 'sweep/cases.json',
  previousCohort: 'sweep/previous-cohort.json',
  results: 'sweep/results/',
  summary: 'sweep.json',
} as const;

export const sweepCaseEntrySchema = z.object({
  name: z.string(),
  dataset: z.string().optional(),
  output: z.string(),
  /** 'run': in this sweep's map; 'complete': outputs already there, not run again. */
  status: z.enum(['run', 'complete']),
});
export type SweepCaseEntry = z.output<typeof sweepCaseEntrySchema>;

/** sweep/cases.json. */
export const sweepCasesSchema = z.object({ source: z.string(), cases: z.array(sweepCaseEntrySchema) });
export type SweepCases = z.output<typeof sweepCasesSchema>;

export function readSweepCases(uri: string): Promise<SweepCases> {
  return readRecord(sweepCasesSchema, uri);
}

const location = z.object({ bucket: z.string(), key: z.string() });

/** The state after PrepareSweep: what RunCases and Aggregate read. */
export const preparedSweepSchema = z.object({
  source: z.string(),
  out: z.string(),
  concurrency: z.number().int().positive(),
  /** Failed cases tolerated, in percent of all the sweep's cases (the user's figure). */
  tolerance: z.number(),
  /**
   * The same allowance in percent of the cases run now, which is what the Map's
   * ToleratedFailurePercentage counts: a resumed sweep runs fewer cases for the same allowance.
   */
  itemTolerance: z.number(),
  delta: z.number(),
  previous: z.string().nullable(),
  /** The Map's items (JSONL), as a URI and as the S3 location ItemReader takes. */
  manifestUri: z.string(),
  manifest: location,
  /** Where the Map's ResultWriter writes. */
  results: z.object({ uri: z.string(), bucket: z.string(), prefix: z.string() }),
  cases: z.string(),
  total: z.number().int(),
  toRun: z.number().int(),
  complete: z.number().int(),
});
export type PreparedSweep = z.output<typeof preparedSweepSchema>;
