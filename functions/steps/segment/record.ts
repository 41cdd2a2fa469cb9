/**
 * Segment's records: segment.json (what ran: classes, passes, execution provider, timings) and
 * the workflow state the step returns. Restore and MetricsReport read them through these
 * schemas; the CLI reads segment.json's warnings.
 */
import { z } from 'zod';
import { MODALITIES } from '../../lib/case/case-request.js';
import { isObject, readRecord } from '../../lib/case/records.js';
import type { Vec3 } from '../../lib/geometry/volume.js';
import type { Stage2Record } from './stage2.js';

export interface SegmentStageRecord {
  stage: number;
  windows: number;
  passes: number;
  /** Forward passes per window: stage 1 semantic 1, instance 3; stage 2 semantic 2, instance 4. */
  passesPerWindow: number;
  classesPerPass: number;
  inferenceSeconds: number;
  /** Working grid the stage ran on (x, y, z voxels and true spacing in mm). */
  grid: { size: Vec3; spacing: Vec3 };
  /** Stage 2: ROI or whole image, the ROI box (index and mm), its plan and the mask seed. */
  stage2?: Stage2Record;
}

export const segmentRecordSchema = z.object({
  model: z.string(),
  executionProvider: z.string(),
  warnings: z.array(z.string()),
  classes: z.array(
    z.object({
      value: z.number().int(),
      name: z.string(),
      sentence: z.string(),
      modality: z.enum(MODALITIES),
      embedding: z.string(),
    }),
  ),
  /** The one modality the text encoder got for every query (prompts/modality.ts textEncoderModality). */
  textModality: z.enum(MODALITIES),
  instance: z.boolean(),
  /** Seeds the self-refinement block masks (the official code draws them unseeded). */
  seed: z.number().int(),
  /** Stages the official skip rules or the request left out, with why. */
  skipped: z.array(z.object({ stage: z.number().int(), reason: z.string() })),
  stages: z.array(z.custom<SegmentStageRecord>(isObject)),
  seconds: z.number(),
});
export type SegmentRecord = z.output<typeof segmentRecordSchema>;

export function readSegmentRecord(uri: string): Promise<SegmentRecord> {
  return readRecord(segmentRecordSchema, uri);
}

/**
 * The workflow state after Segment. On AWS the Batch job's own result is discarded and the
 * SegmentOutputs state (segment-case.asl.json) builds this from the case prefix; the local engine
 * and a test get it from the handler itself: the two must agree.
 */
export const segmentOutputSchema = z.object({
  request: z.unknown(),
  model: z.string(),
  preprocess: z.string(),
  segment: z.string(),
  /** The final label map on its working grid. */
  working: z.string(),
  /** The highest class probability per voxel on the working grid (Restore's improved-classes rule). */
  maxProbability: z.string(),
});
