/**
 * Preprocess's records: preprocess.json (what later steps and people need to know of the input,
 * the prompts and the stage-1 plan) and the workflow state the step returns. Segment, Restore
 * and MetricsReport read preprocess.json through readPreprocessRecord.
 */
import { z } from 'zod';
import { MODALITIES } from '../../lib/case/case-request.js';
import { isObject, readRecord } from '../../lib/case/records.js';
import { geometrySchema } from '../../lib/geometry/geometry-schema.js';
import type { SpacingPlan } from '../../lib/medal-s/index.js';
import type { CaseModality, ResolvedPrompt } from '../../lib/prompts/resolve.js';
import type { IntensityMapping } from './intensity.js';

const modality = z.enum(MODALITIES);

/** What readers use of a resolved prompt is checked; the rest is the resolver's record. */
const promptShape = z.object({
  value: z.number().int().positive(),
  name: z.string(),
  sentence: z.string(),
  classKey: z.string(),
  modality,
  improved: z.boolean(),
});
const resolvedPrompt = z.custom<ResolvedPrompt>((v) => promptShape.safeParse(v).success, {
  message: 'not a resolved prompt (value, name, sentence, classKey, modality, improved)',
});

/** The part Preprocess's pure core decides (preprocess.ts). */
export const preprocessCoreSchema = z.object({
  input: z.object({
    format: z.enum(['itk', 'dicom', 'npz']),
    kind: z.string(),
    geometry: geometrySchema,
    range: z.object({ min: z.number(), max: z.number() }),
    npz: z
      .object({
        stored: z.array(z.number()),
        shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
        decision: z.unknown(),
        textPrompts: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  }),
  modality: z.custom<CaseModality>((v) => z.object({ modality, source: z.string() }).safeParse(v).success),
  prompts: z.array(resolvedPrompt).min(1),
  instance: z.boolean(),
  intensity: z.custom<IntensityMapping>(isObject),
  stage1: z.object({ plan: z.custom<SpacingPlan>(isObject), geometry: geometrySchema }),
});
export type PreprocessCore = z.output<typeof preprocessCoreSchema>;

/** preprocess.json. */
export const preprocessRecordSchema = preprocessCoreSchema.extend({
  /** Hybrid mode: the user's mask (checked against the image) and the classes it prompts. */
  mask: z.object({ uri: z.string(), values: z.array(z.number().int()) }).optional(),
  model: z.object({ dir: z.string(), name: z.string() }),
  /** The volumes Preprocess wrote: the scaled image on its own grid and on the stage-1 grid. */
  files: z.object({ scaled: z.string(), stage1: z.string() }),
  /** Validate's time when the workflow ran it (it hands it over), and this step's. */
  timings: z.object({ validateSeconds: z.number().optional(), preprocessSeconds: z.number() }),
});
export type PreprocessRecord = z.output<typeof preprocessRecordSchema>;

export function readPreprocessRecord(uri: string): Promise<PreprocessRecord> {
  return readRecord(preprocessRecordSchema, uri);
}

/** The workflow state after Preprocess (references only). */
export const preprocessOutputSchema = z.object({
  request: z.unknown(),
  model: z.string(),
  preprocess: z.string(),
});
