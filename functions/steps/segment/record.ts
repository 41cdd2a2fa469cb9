/**
 * Segment's records: segment.json (what ran: classes, passes, execution provider, timings) and
 * the workflow state the step returns. Restore and MetricsReport read them through these
 * schemas; the CLI reads segment.json's warnings.
 */
import { z } from 'zod';
import { MODALITIES } from '../../lib/case/case-request.js';
import { isObject, readRecord } from '../../lib/case/records.js';
import type { Box, Vec3 } from '../../lib/geometry/volume.js';
import type { HybridRecord } from './hybrid.js';

export interface Stage2Record {
  mode: 'roi' | 'whole-image';
  /** Why the whole image was used. */
  reason?: string;
  seed: number;
  /** Stage-1 components under 10 voxels removed on the original grid (semantic tasks). */
  smallComponents?: { removedComponents: number; removedVoxels: number };
  roi?: {
    /** Inclusive (x, y, z) index box on the input grid. */
    index: Box;
    /** Physical points (mm) of its first and last voxel centres. */
    mm: { min: Vec3; max: Vec3 };
    foreground: Box;
    growth: number;
    minHalfRange: Vec3;
  };
  plan: {
    summary: string;
    /** The (H, W, D) spacing the plan resamples to (Medal S's target_spacing after its rules). */
    targetSpacing: Vec3;
    workingShape: Vec3;
    workingSpacing: Vec3;
    rules: string[];
    /** The thick axis (H, W, D) of the image and prompt resampling ('nearest-exact'), or null. */
    separateAxis: 'H' | 'W' | 'D' | null;
  };
  blockSize: number;
  extraRounds: number;
  /** Hybrid mode: which classes the user's mask prompted. */
  hybrid?: HybridRecord;
}

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
  /**
   * A raw CT whose prompts span tissue groups: the window pass this stage ran in (its group and
   * label values; preprocess.json `intensity`). Absent when the case has one pass.
   */
  pass?: { group: string | null; values: number[] };
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
