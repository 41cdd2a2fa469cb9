/**
 * Segment, the pure core: embed the prompts' sentences, run stage 1 over the stage-1 working
 * volume with all classes in one pass per window, then (when the model has stage 2 and the
 * scaled original-grid image is given) stage 2 on the ROI with the stage-1 labels as spatial
 * prompts and self-refinement (stage2.ts, refine.ts), and report what was done.
 *
 * Rule by rule, with the official lines and the parity figures that check them:
 * docs/medal-s-pipeline.md.
 */
import type { Modality } from '../../lib/case/case-request.js';
import { InvalidInputError } from '../../lib/core/errors.js';
import type { UserMask } from '../../lib/image/user-mask.js';
import { textEncoderModality } from '../../lib/prompts/index.js';
import { Volume } from '../../lib/geometry/volume.js';
import type { LabelVolume } from '../../lib/resample/restore-labels.js';
import type { LoadedModel } from './model-loader.js';
import { runRefinedStage } from './refine.js';
import { type StageProgress, runStage } from './run-stage.js';
import { runStage2 } from './stage2.js';
import type { SegmentRecord, SegmentStageRecord } from './record.js';
import { SELF_REFINEMENT, extraRounds, officialSkip } from '../../lib/medal-s/index.js';

export type { SegmentRecord, SegmentStageRecord };

export interface SegmentPrompt {
  value: number;
  name: string;
  sentence: string;
  modality: Modality;
  /** `<Modality>_<canonical name>`; default from modality and name. */
  classKey?: string;
}

export interface SegmentInput {
  /** The scaled image on the stage-1 working grid. */
  stage1Image: Volume<'float32'>;
  /** The scaled image on the original grid: stage 2 crops its ROI from it. */
  scaled?: Volume<'float32'>;
  instance?: boolean;
  seed?: number;
  /** Stages to run; default both when the model has stage 2 and `scaled` is given. */
  stages?: readonly (1 | 2)[];
  /** Hybrid mode: the user's mask on the image grid (hybrid.ts); needs stage 2. */
  userMask?: UserMask;
  /** The text encoder's one modality; default from these prompts (a CT window pass gives the case's). */
  textModality?: Modality;
}

export interface SegmentResult {
  /** The final label map on its working grid (stage 2's ROI grid when stage 2 ran). */
  labels: Volume<'int32'>;
  maxProbability: Volume<'float32'>;
  /** Stage 1's own output on the stage-1 grid, when stage 1 ran. */
  stage1?: { labels: Volume<'int32'>; maxProbability: Volume<'float32'> };
  /** Stage 1's labels on the image grid as stage 2 took them as prompts, when both ran. */
  stage1OnImage?: LabelVolume;
  record: SegmentRecord;
}

function grid(volume: Volume): SegmentStageRecord['grid'] {
  return { size: [...volume.size], spacing: [...volume.spacing] };
}

export async function segmentImage(
  model: LoadedModel,
  prompts: readonly SegmentPrompt[],
  input: Volume<'float32'> | SegmentInput,
  onProgress?: (p: StageProgress) => void,
): Promise<SegmentResult> {
  const started = performance.now();
  const options: SegmentInput = input instanceof Volume ? { stage1Image: input } : input;
  const instance = options.instance ?? false;
  const seed = options.seed ?? 0;
  const classKeys = prompts.map((p) => p.classKey ?? `${p.modality}_${p.name}`);
  const values = prompts.map((p) => p.value);
  const wanted = options.stages ?? (model.stages[2] && options.scaled ? [1, 2] : [1]);
  const skipped: SegmentRecord['skipped'] = [];
  let doStage1 = wanted.includes(1);
  let doStage2 = wanted.includes(2);
  const skip = doStage1 && doStage2 ? officialSkip(classKeys) : null;
  if (skip) {
    if (skip.stage === 2) doStage2 = false;
    else doStage1 = false;
    skipped.push(skip);
  }
  const mask = options.userMask;
  if (mask) {
    if (!model.stages[2] || !options.scaled) {
      throw new InvalidInputError(
        'a mask (hybrid mode) is a spatial prompt of stage 2, and this model has no stage-2 graph; run without --mask',
      );
    }
    if (!doStage2) throw new InvalidInputError('a mask (hybrid mode) needs stage 2, which this case skips');
    if (doStage1 && values.every((v) => mask.values.includes(v))) {
      doStage1 = false;
      skipped.push({ stage: 1, reason: 'the mask prompts every class (hybrid mode)' });
    }
  }
  if (!doStage1 && !doStage2) throw new Error('segmentImage: no stage to run');
  if (doStage1 && !model.stages[1]) throw new Error('the model was loaded without its stage-1 graph');
  if (doStage2 && !model.stages[2]) throw new Error('the model was loaded without its stage-2 graph');
  if (doStage2 && !options.scaled) throw new Error('stage 2 needs the scaled image on its original grid');
  // One modality code for every query, the prompts' most frequent (inference.py L840, L614-624).
  const textModality = options.textModality ?? textEncoderModality(prompts.map((p) => p.modality));
  const embedded = await model.text.embed(
    prompts.map((p) => ({ sentence: p.sentence, modality: textModality })),
  );
  const stages: SegmentStageRecord[] = [];
  let stage1: SegmentResult['stage1'];
  if (doStage1) {
    const stage = model.stages[1]!;
    const rounds = extraRounds(1, instance, classKeys);
    const run = { stage, image: options.stage1Image, queries: embedded.data, values, onProgress };
    // Semantic stage 1 is one text-only pass per window; instance tasks refine from their own output.
    const result =
      rounds > 0
        ? await runRefinedStage({
            ...run,
            refine: { seed, extraRounds: rounds, extraBlockSize: SELF_REFINEMENT.extraBlockSize },
          })
        : await runStage(run);
    stage1 = { labels: result.labels, maxProbability: result.maxProbability };
    stages.push({
      stage: 1,
      windows: result.windows,
      passes: result.passes,
      passesPerWindow: result.windows ? result.passes / result.windows : 0,
      classesPerPass: prompts.length,
      inferenceSeconds: result.inferenceSeconds,
      grid: grid(result.labels),
    });
  }
  let final = stage1!;
  let stage1OnImage: LabelVolume | undefined;
  if (doStage2) {
    const {
      result,
      record,
      stage1OnImage: onImage,
    } = await runStage2({
      stage: model.stages[2]!,
      scaled: options.scaled!,
      stage1Labels: stage1?.labels ?? null,
      queries: embedded.data,
      values,
      classKeys,
      instance,
      seed,
      ...(mask ? { userMask: mask } : {}),
      onProgress,
    });
    stage1OnImage = onImage;
    final = { labels: result.labels, maxProbability: result.maxProbability };
    stages.push({
      stage: 2,
      windows: result.windows,
      passes: result.passes,
      passesPerWindow: result.passesPerWindow,
      classesPerPass: prompts.length,
      inferenceSeconds: result.inferenceSeconds,
      grid: grid(result.labels),
      stage2: record,
    });
  }
  return {
    labels: final.labels,
    maxProbability: final.maxProbability,
    ...(stage1 ? { stage1 } : {}),
    ...(stage1OnImage ? { stage1OnImage } : {}),
    record: {
      model: model.name,
      executionProvider: model.executionProvider,
      warnings: [...model.warnings],
      classes: prompts.map((p, i) => ({
        value: p.value,
        name: p.name,
        sentence: p.sentence,
        modality: p.modality,
        embedding: embedded.sources[i],
      })),
      textModality,
      instance,
      seed,
      skipped,
      stages,
      seconds: (performance.now() - started) / 1000,
    },
  };
}
