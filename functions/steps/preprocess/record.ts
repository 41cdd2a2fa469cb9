/**
 * Preprocess's records: preprocess.json (what later steps and people need to know of the input,
 * the prompts and the stage-1 plan) and the workflow state the step returns. Segment, Restore
 * and MetricsReport read preprocess.json through readPreprocessRecord.
 */
import { z } from 'zod';
import { MODALITIES } from '../../lib/case/case-request.js';
import { isObject, readRecord } from '../../lib/case/records.js';
import { geometrySchema } from '../../lib/geometry/geometry-schema.js';
import { CT_WINDOW_GROUPS, type SpacingPlan } from '../../lib/medal-s/index.js';
import type { CaseModality, ResolvedPrompt } from '../../lib/prompts/resolve.js';

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

const range = z.object({ min: z.number(), max: z.number() });

/** How one image was scaled to 0..255 (intensity.ts scaleIntensity; its header has the rules). */
export const intensityMappingSchema = z.object({
  method: z.enum(['none', 'ct-window', 'ct-foreground-percentile', 'percentile-minmax']),
  modality,
  /** Human sentence. */
  description: z.string(),
  formula: z.string(),
  /** Input value range. */
  input: range,
  /** Input values (HU for a CT) mapped to 0 and 255; null for 'none'. */
  low: z.number().nullable(),
  high: z.number().nullable(),
  window: z.object({ level: z.number(), width: z.number() }).optional(),
  percentiles: z
    .object({
      low: z.number(),
      high: z.number(),
      interpolation: z.literal('linear (numpy.percentile default)'),
      foreground: z.string(),
      foregroundVoxels: z.number(),
      totalVoxels: z.number(),
    })
    .optional(),
  /** Output value range actually produced. */
  output: range,
});
export type IntensityMapping = z.output<typeof intensityMappingSchema>;

/**
 * One pass's image: a raw CT whose prompts span tissue groups is scaled once per group
 * (lib/medal-s ct-windows.ts, ours), each group's prompts segmented on their own image.
 */
const intensityPassSchema = intensityMappingSchema.extend({
  /** The prompts' CT tissue group; null when no group chose the window (not a raw CT, or `window` given). */
  group: z.enum(CT_WINDOW_GROUPS).nullable(),
  /**
   * What chose the scaling: 'tissue-group' the group's CT window (medals' rule), 'request' the
   * request's `window`, 'modality' the modality's own scaling (not a raw CT: no group).
   */
  source: z.enum(['tissue-group', 'request', 'modality']),
  /** Label values of the prompts segmented on this image, in prompt order. */
  values: z.array(z.number().int().positive()).min(1),
});
export type IntensityPass = z.output<typeof intensityPassSchema>;

const stage1Schema = z.object({ plan: z.custom<SpacingPlan>(isObject), geometry: geometrySchema });
const passFilesSchema = z.object({ scaled: z.string(), stage1: z.string() });

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
  /** Every pass's scaling, in pass order; `stage1` and `files` are the first pass's. */
  intensity: z.array(intensityPassSchema).min(1),
  stage1: stage1Schema,
  /** The passes after the first, in `intensity` order: their stage-1 plans (absent with one pass). */
  passes: z.array(z.object({ stage1: stage1Schema })).optional(),
});
export type PreprocessCore = z.output<typeof preprocessCoreSchema>;

/** preprocess.json. */
export const preprocessRecordSchema = preprocessCoreSchema
  .extend({
    /** Hybrid mode: the user's mask (checked against the image) and the classes it prompts. */
    mask: z.object({ uri: z.string(), values: z.array(z.number().int()) }).optional(),
    model: z.object({ dir: z.string(), name: z.string() }),
    /** The volumes Preprocess wrote: the scaled image on its own grid and on the stage-1 grid. */
    files: passFilesSchema.extend({
      /** The same for the passes after the first, in `intensity` order. */
      passes: z.array(passFilesSchema).optional(),
    }),
    /** Validate's time when the workflow ran it (it hands it over), and this step's. */
    timings: z.object({ validateSeconds: z.number().optional(), preprocessSeconds: z.number() }),
  })
  .superRefine((record, ctx) => {
    const extra = record.intensity.length - 1;
    if ((record.passes?.length ?? 0) !== extra || (record.files.passes?.length ?? 0) !== extra) {
      ctx.addIssue({
        code: 'custom',
        path: ['passes'],
        message: `${record.intensity.length} intensity passes need ${extra} entries in passes and in files.passes`,
      });
    }
  });
export type PreprocessRecord = z.output<typeof preprocessRecordSchema>;

export function readPreprocessRecord(uri: string): Promise<PreprocessRecord> {
  return readRecord(preprocessRecordSchema, uri);
}

/** One pass of Segment: the prompts of one image, with that image's volumes. */
export interface WindowPass {
  intensity: IntensityPass;
  stage1: z.output<typeof stage1Schema>;
  files: z.output<typeof passFilesSchema>;
}

/** Every pass of a case, the first from the record's top level (the schema checks the counts agree). */
export function windowPasses(record: PreprocessRecord): WindowPass[] {
  return record.intensity.map((intensity, i) => ({
    intensity,
    stage1: i === 0 ? record.stage1 : record.passes![i - 1].stage1,
    files:
      i === 0 ? { scaled: record.files.scaled, stage1: record.files.stage1 } : record.files.passes![i - 1],
  }));
}

/** The workflow state after Preprocess (references only). */
export const preprocessOutputSchema = z.object({
  request: z.unknown(),
  model: z.string(),
  preprocess: z.string(),
});
