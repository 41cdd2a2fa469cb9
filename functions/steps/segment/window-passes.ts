/**
 * Segment for a raw CT whose prompts span tissue groups (preprocess.json `intensity`, one entry
 * per pass; lib/medal-s ct-windows.ts, medals' rule): each group's prompts go through
 * segmentImage on their own windowed image, exactly as a request of those prompts alone would,
 * and the passes' label maps are merged on the image grid by label value. Where two passes label
 * the same voxel, the one with the higher max probability wins (ties to the earlier pass); the
 * merged max probability is the winner's, else the highest. The merged map is the working map
 * Restore reads (already on the image grid, so it keeps it as it is).
 *
 * Classes of different passes never share a forward pass: Medal S's prompt fusion sums over the
 * classes of one pass (docs/medal-s-pipeline.md section 1), so a mixed request's results differ
 * from one pass over every class; they could not share one image anyway.
 */
import type { Modality } from '../../lib/case/case-request.js';
import { Volume } from '../../lib/geometry/volume.js';
import type { UserMask } from '../../lib/image/user-mask.js';
import { readVolume } from '../../lib/image/volume-store.js';
import { textEncoderModality } from '../../lib/prompts/index.js';
import { resampleImageToGrid } from '../../lib/resample/resample.js';
import { type LabelVolume, narrowLabels, restoreLabels } from '../../lib/resample/restore-labels.js';
import type { PreprocessRecord, WindowPass } from '../preprocess/record.js';
import type { LoadedModel } from './model-loader.js';
import type { StageProgress } from './run-stage.js';
import { type SegmentResult, segmentImage } from './segment.js';

/** segmentImage's result for the merged passes: every map on the image grid (stage 1's in stage1OnImage). */
export type MergedPasses = Pick<SegmentResult, 'maxProbability' | 'stage1OnImage' | 'record'> & {
  labels: LabelVolume;
  stage1?: never;
};

interface PassOptions {
  /** The first pass's volumes, already read (preprocess.json `files`). */
  first: { stage1: Volume<'float32'>; scaled?: Volume<'float32'> };
  seed: number;
  userMask?: UserMask;
  onProgress?: (p: StageProgress) => void;
}

/** The mask's voxels of `values` only (hybrid mode per pass); undefined when it has none of them. */
function maskFor(mask: UserMask | undefined, values: readonly number[]): UserMask | undefined {
  if (!mask) return undefined;
  const kept = mask.values.filter((v) => values.includes(v));
  if (kept.length === 0) return undefined;
  if (kept.length === mask.values.length) return mask;
  const keep = new Set(kept);
  const data = mask.labels.data.map((v) => (keep.has(v) ? v : 0));
  return { labels: new Volume<'int32'>(mask.labels.geometry, data), values: kept };
}

/**
 * Adds one pass's labels to the merged map (see the module header). `probability` is null for
 * stage-1 maps, which have none: there the earlier pass keeps a voxel.
 */
export function mergeByLabel(
  merged: Int32Array,
  mergedProbability: Float32Array | null,
  labels: ArrayLike<number>,
  probability: ArrayLike<number> | null,
): void {
  const n = merged.length;
  if (labels.length !== n || (probability && probability.length !== n)) {
    throw new Error(`mergeByLabel: ${labels.length} labels for a map of ${n} voxels`);
  }
  if (!mergedProbability || !probability) {
    for (let i = 0; i < n; i++) if (merged[i] === 0) merged[i] = labels[i];
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    const p = probability[i];
    if (v !== 0) {
      if (merged[i] === 0 || p > mergedProbability[i]) {
        merged[i] = v;
        mergedProbability[i] = p;
      }
    } else if (merged[i] === 0 && p > mergedProbability[i]) mergedProbability[i] = p;
  }
}

export async function segmentWindowPasses(
  model: LoadedModel,
  record: PreprocessRecord,
  passes: readonly WindowPass[],
  options: PassOptions,
): Promise<MergedPasses> {
  const started = performance.now();
  const geometry = record.input.geometry;
  const n = geometry.size[0] * geometry.size[1] * geometry.size[2];
  const labels = new Int32Array(n);
  const maxProbability = new Float32Array(n);
  let stage1: Int32Array | undefined;
  // One text-encoder modality for the whole case, as one pass over every prompt would have.
  const textModality: Modality = textEncoderModality(record.prompts.map((p) => p.modality));
  const results: { pass: WindowPass; record: SegmentResult['record'] }[] = [];
  for (const [i, pass] of passes.entries()) {
    const values = pass.intensity.values;
    const prompts = record.prompts.filter((p) => values.includes(p.value));
    const image =
      i === 0
        ? options.first.stage1
        : ((await readVolume(pass.files.stage1, undefined, { shared: 'take' })) as Volume<'float32'>);
    const scaled =
      i === 0
        ? options.first.scaled
        : model.stages[2]
          ? ((await readVolume(pass.files.scaled, undefined, { shared: 'take' })) as Volume<'float32'>)
          : undefined;
    const userMask = maskFor(options.userMask, values);
    const result = await segmentImage(
      model,
      prompts,
      {
        stage1Image: image,
        scaled,
        instance: record.instance,
        seed: options.seed,
        textModality,
        ...(userMask ? { userMask } : {}),
      },
      options.onProgress,
    );
    const onImage = restoreLabels(result.labels, geometry);
    const probability = await resampleImageToGrid(result.maxProbability, geometry);
    mergeByLabel(labels, maxProbability, onImage.data, probability.data);
    const stage1Labels: LabelVolume | undefined = result.stage1OnImage ?? result.stage1?.labels;
    if (stage1Labels) {
      stage1 ??= new Int32Array(n);
      mergeByLabel(stage1, null, restoreLabels(stage1Labels, geometry).data, null);
    }
    results.push({ pass, record: result.record });
  }
  const first = results[0].record;
  const passOf = (pass: WindowPass) => ({ group: pass.intensity.group, values: [...pass.intensity.values] });
  const order = new Map(record.prompts.map((p, i) => [p.value, i]));
  return {
    labels: narrowLabels(new Volume<'int32'>(geometry, labels)),
    maxProbability: new Volume<'float32'>(geometry, maxProbability),
    ...(stage1 ? { stage1OnImage: new Volume<'int32'>(geometry, stage1) } : {}),
    record: {
      ...first,
      warnings: [...new Set(results.flatMap((r) => r.record.warnings))],
      classes: results
        .flatMap((r) => r.record.classes)
        .sort((a, b) => order.get(a.value)! - order.get(b.value)!),
      skipped: results.flatMap((r) =>
        r.record.skipped.map((s) => ({
          ...s,
          reason: `${r.pass.intensity.group ?? 'window'} pass: ${s.reason}`,
        })),
      ),
      stages: results.flatMap((r) => r.record.stages.map((s) => ({ ...s, pass: passOf(r.pass) }))),
      seconds: (performance.now() - started) / 1000,
    },
  };
}
