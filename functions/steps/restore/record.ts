/**
 * Restore's records: restore.json (the post-processing it applied on the input grid, and its
 * time) and the workflow state it returns. Restore writes its own record and leaves Segment's
 * segment.json as Segment wrote it.
 */
import { z } from 'zod';
import { isObject, readRecord } from '../../lib/case/records.js';
import { segmentOutputSchema } from '../segment/record.js';
import type { PostprocessRecord } from './postprocess.js';

export const restoreRecordSchema = z.object({
  postprocess: z.custom<PostprocessRecord>(isObject),
  seconds: z.number(),
});
export type RestoreRecord = z.output<typeof restoreRecordSchema>;

export function readRestoreRecord(uri: string): Promise<RestoreRecord> {
  return readRecord(restoreRecordSchema, uri);
}

/** What the Restore state passes on of Segment's output (segment-case.asl.json). */
export const restoreInputSchema = segmentOutputSchema.omit({ model: true });

/** The workflow state after Restore. */
export const restoreOutputSchema = z.object({
  request: z.unknown(),
  preprocess: z.string(),
  segment: z.string().optional(),
  restore: z.string(),
  seg: z.string(),
  segNpz: z.string().optional(),
});
export type RestoreOutput = z.output<typeof restoreOutputSchema>;
