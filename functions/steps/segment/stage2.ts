/**
 * Stage 2 in text-only mode, as Medal S's main() runs it (inference.py at fcf3340, L905-1075;
 * read, not copied): the stage-1 label map on the original grid, small components removed
 * (semantic tasks), the ROI around it, the ROI cropped from the scaled original-grid image,
 * planned and resampled at the stage-2 spacing, and the stage-1 labels on that grid (resampled
 * as respace_mask does, lib/resample/resample.ts respaceLabels) as spatial prompts (sc = label > 0,
 * mc[j] = label == value_j) with self-refinement (refine.ts). When stage 1 found nothing (or
 * was skipped), stage 2 runs on the whole image without prompts.
 *
 * The result is the ROI's working grid with its true geometry: restore resamples it onto the
 * input grid, background outside the ROI, as Medal S pastes the ROI into a zero volume.
 *
 * Rule by rule, with the official lines and the parity figures that check them:
 * docs/medal-s-pipeline.md.
 */
import { InvalidInputError } from '../../lib/core/errors.js';
import { resampleImageToShape, respaceLabels } from '../../lib/resample/resample.js';
import { Volume, crop } from '../../lib/geometry/volume.js';
import { type LabelVolume, narrowLabels } from '../../lib/resample/restore-labels.js';
import {
  SELF_REFINEMENT,
  STAGE1_SMALL_COMPONENTS,
  STAGE2_WHOLE_IMAGE,
  extraRounds,
  hwdFromXyz,
  planSpacing,
  xyzFromHwd,
} from '../../lib/medal-s/index.js';
import { removeSmallComponents } from '../../../native/index.js';
import type { UserMask } from '../../lib/image/user-mask.js';
import { mergeUserMask } from './hybrid.js';
import type { Stage2Record } from './record.js';

export type { Stage2Record };
import { toHwd } from './layout.js';
import type { StageModel } from './model-loader.js';
import { type RefinedStageResult, runRefinedStage } from './refine.js';
import { stage2Roi } from './roi.js';
import type { SpatialPrompts, StageProgress } from './run-stage.js';

export interface Stage2Input {
  stage: StageModel;
  /** The scaled (0..255) image on its original grid. */
  scaled: Volume<'float32'>;
  /** Stage-1 labels on the stage-1 working grid; null when stage 1 was skipped. */
  stage1Labels: LabelVolume | null;
  queries: Float32Array;
  values: readonly number[];
  classKeys: readonly string[];
  instance: boolean;
  seed: number;
  /** Hybrid mode: the user's mask on the image grid, in place of stage 1 for its classes. */
  userMask?: UserMask;
  onProgress?: (p: StageProgress) => void;
}

export interface Stage2Output {
  result: RefinedStageResult;
  /** Stage 1's labels on the image grid as stage 2 saw them (small components removed). */
  stage1OnImage?: LabelVolume;
  record: Stage2Record;
}

/** sc (H, W, D) and mc (N, H, W, D) from a label map on the working grid. */
export function labelPrompts(labels: Volume, values: readonly number[]): SpatialPrompts {
  const voxels = labels.data.length;
  const hwd = toHwd(labels.data, labels.size, new Int32Array(voxels));
  const sc = new Float32Array(voxels);
  const mc = new Float32Array(voxels * values.length);
  for (let v = 0; v < voxels; v++) {
    const label = hwd[v];
    if (label === 0) continue;
    sc[v] = label > 0 ? 1 : 0;
    for (let j = 0; j < values.length; j++) if (label === values[j]) mc[j * voxels + v] = 1;
  }
  return { sc, mc };
}

export async function runStage2(input: Stage2Input): Promise<Stage2Output> {
  const { stage, scaled, values, classKeys, seed } = input;
  if (input.stage1Labels && input.stage1Labels.size.some((n) => n < 1))
    throw new InvalidInputError('stage-1 labels are empty');
  let prompts: LabelVolume | null = null;
  let region: Volume<'float32'> = scaled;
  const record: Partial<Stage2Record> = { seed };
  let stage1OnImage: LabelVolume | undefined;
  if (input.stage1Labels) {
    // As run_inference brings stage 1's labels to the input shape (resample_torch_simple,
    // is_seg=True, inference.py L698-706): one-hot x 1000 in float16, trilinear, no separate-z.
    // The working grid spans the image's extent, so only the voxel count changes; the image's
    // own geometry is kept exactly. In the narrowest type: the map has the image's voxel count.
    const onImage = respaceLabels(narrowLabels(input.stage1Labels), scaled.size, { separateAxis: null });
    stage1OnImage = new Volume(scaled.geometry, onImage.data) as LabelVolume;
    if (!input.instance) {
      const filtered = removeSmallComponents(stage1OnImage.data, stage1OnImage.size, {
        minSize: STAGE1_SMALL_COMPONENTS.minSize,
        connectivity: STAGE1_SMALL_COMPONENTS.connectivity,
      });
      record.smallComponents = {
        removedComponents: filtered.removedComponents,
        removedVoxels: filtered.removedVoxels,
      };
      stage1OnImage = new Volume(stage1OnImage.geometry, filtered.labels) as LabelVolume;
    }
  }
  let onOriginal = stage1OnImage ?? null;
  if (input.userMask) {
    const merged = mergeUserMask(onOriginal, input.userMask);
    onOriginal = merged.labels;
    record.hybrid = merged.record;
  }
  if (onOriginal) {
    const roi = stage2Roi(onOriginal, { classKeys, patch: stage.patch, targetSpacing: stage.targetSpacing });
    if (roi) {
      region = crop(scaled, roi.box);
      prompts = crop(onOriginal, roi.box);
      record.roi = {
        index: roi.box,
        mm: roi.boxMm,
        foreground: roi.foreground,
        growth: roi.growth,
        minHalfRange: roi.minHalfRange,
      };
    } else {
      record.reason = STAGE2_WHOLE_IMAGE.noForeground;
    }
  } else {
    record.reason = STAGE2_WHOLE_IMAGE.stage1Skipped;
  }
  const plan = planSpacing({
    imageSpacing: hwdFromXyz(region.spacing),
    shape: hwdFromXyz(region.size),
    stage: 2,
    classKeys,
    patch: stage.patch,
    targetSpacing: stage.targetSpacing,
  });
  // The plan names the thick axis in (H, W, D) = (y, x, z); the volume's axes are (x, y, z).
  const thick = plan.separateAxis === null ? null : { H: 1, W: 0, D: 2 }[plan.separateAxis];
  const image = await resampleImageToShape(region, xyzFromHwd(plan.workingShape), { separateAxis: thick });
  // The prompts go onto the same grid as respace_mask takes them (inference.py L493-497): torch's
  // one-hot resampling in float16, with the image's thick-axis decision ('nearest-exact' along it).
  const spatial = prompts
    ? labelPrompts(respaceLabels(prompts, xyzFromHwd(plan.workingShape), { separateAxis: thick }), values)
    : undefined;
  const rounds = extraRounds(2, input.instance, classKeys);
  const result = await runRefinedStage({
    stage,
    image,
    queries: input.queries,
    values,
    prompts: spatial,
    refine: {
      seed,
      blockSize: SELF_REFINEMENT.blockSize,
      extraRounds: rounds,
      extraBlockSize: SELF_REFINEMENT.extraBlockSize,
    },
    onProgress: input.onProgress,
  });
  return {
    result,
    ...(stage1OnImage ? { stage1OnImage } : {}),
    record: {
      mode: spatial ? 'roi' : 'whole-image',
      ...record,
      seed,
      plan: {
        summary: plan.summary,
        targetSpacing: plan.targetSpacing,
        workingShape: plan.workingShape,
        workingSpacing: plan.workingSpacing,
        rules: plan.ruleNames,
        separateAxis: plan.separateAxis,
      },
      blockSize: SELF_REFINEMENT.blockSize,
      extraRounds: rounds,
    },
  };
}
