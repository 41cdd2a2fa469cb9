/**
 * Medal S post-processing on the input grid (medal-s-pipeline.md sections 6 and 9): instance
 * tasks drop their small components and come out binary, 0/1, whatever the prompts' values; the
 * listed semantic classes ("improved classes") keep components chosen by size and mean
 * probability, on volumes under a voxel limit only. The rules and their parameters are the
 * policy's (lib/medal-s output-rules.ts); this applies them with the native addon.
 *
 * Rule by rule, with the official lines and the parity figures that check them:
 * docs/medal-s-pipeline.md.
 */
import { keepProbableComponents, removeSmallComponents } from '../../../native/index.js';
import {
  type LabelBox,
  boxSize,
  cropLabels,
  labelBoxes,
  pasteLabels,
  unionBox,
} from '../../lib/geometry/label-boxes.js';
import { Volume } from '../../lib/geometry/volume.js';
import type { RestoredLabels } from '../../lib/resample/restore-labels.js';
import {
  IMPROVED_CLASSES_LIMIT,
  IMPROVED_CLASSES_RULE,
  INSTANCE_OUTPUT,
  MIN_INSTANCE_VOXELS,
  OUTPUT_CONNECTIVITY,
  improvedClassesApply,
} from '../../lib/medal-s/index.js';

// The handlers import these two from here.

export interface PostprocessRecord {
  instanceSmallRemoved?: { minSize: number; components: number; voxels: number };
  /** Instance tasks: the label map is binary, every kept voxel INSTANCE_OUTPUT.value (1). */
  instanceBinary?: { value: number; source: string };
  /** Present when the rule ran: improved classes were prompted and some of their voxels exist. */
  improvedClasses?: {
    values: number[];
    rule: typeof IMPROVED_CLASSES_RULE;
    components: number;
    voxels: number;
  };
  /**
   * Present when improved classes were prompted but the volume is too large for the rule
   * (IMPROVED_CLASSES_LIMIT): nothing was removed, as in the official code.
   */
  improvedClassesSkipped?: {
    values: number[];
    voxels: number;
    maxVoxelsExclusive: number;
    source: string;
    reason: string;
  };
}

export interface PostprocessOptions {
  instance: boolean;
  improvedValues: readonly number[];
  /**
   * The highest class probability per voxel, on the labels' grid or only on the box of the
   * improved classes (`improvedClassesBox`, given as `probabilityBox`): the rule reads no other
   * voxel, and a box spares resampling a whole-grid float map.
   */
  maxProbability?: Volume<'float32'>;
  probabilityBox?: LabelBox;
}

/** The box of the voxels whose label is one of `improvedValues`; undefined when there are none. */
export function improvedClassesBox(
  labels: RestoredLabels,
  improvedValues: readonly number[],
): LabelBox | undefined {
  const boxes = labelBoxes(labels.data, labels.size);
  let box: LabelBox | undefined;
  for (const v of improvedValues) box = unionBox(box, boxes.get(v));
  return box;
}

export function postprocessLabels(
  labels: RestoredLabels,
  options: PostprocessOptions,
): { labels: RestoredLabels; record: PostprocessRecord } {
  const record: PostprocessRecord = {};
  let data = labels.data;
  if (options.instance) {
    const r = removeSmallComponents(data, labels.size, {
      minSize: MIN_INSTANCE_VOXELS,
      connectivity: OUTPUT_CONNECTIVITY,
    });
    // Binary, as the official output: the prompts' values are not kept (the challenge evaluator
    // splits a binary prediction into its 6-connected components, so the instances it scores are
    // the same either way).
    data = r.labels;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) data[i] = INSTANCE_OUTPUT.value;
    record.instanceSmallRemoved = {
      minSize: MIN_INSTANCE_VOXELS,
      components: r.removedComponents,
      voxels: r.removedVoxels,
    };
    record.instanceBinary = { ...INSTANCE_OUTPUT };
  } else if (options.improvedValues.length > 0 && !improvedClassesApply(labels.size)) {
    const voxels = labels.size[0] * labels.size[1] * labels.size[2];
    const { maxVoxelsExclusive, source } = IMPROVED_CLASSES_LIMIT;
    record.improvedClassesSkipped = {
      values: [...options.improvedValues],
      voxels,
      maxVoxelsExclusive,
      source,
      reason:
        `the label map has ${voxels} voxels (${labels.size.join(' x ')}); Medal S applies the ` +
        `improved-classes rule only below 650 x 650 x 100 = ${maxVoxelsExclusive} (${source})`,
    };
  } else if (options.improvedValues.length > 0 && options.maxProbability) {
    const box = options.probabilityBox;
    const size = box ? boxSize(box) : labels.size;
    if (options.maxProbability.size.some((n, a) => n !== size[a])) {
      throw new RangeError(
        `max-probability map ${options.maxProbability.size.join('x')} does not cover ${box ? 'the box' : 'the labels'} (${size.join('x')})`,
      );
    }
    // Components of the improved classes lie inside their box, so the rule on the crop decides
    // exactly as on the whole grid; other labels are never touched.
    const r = keepProbableComponents(
      box ? cropLabels(data, labels.size, box) : data,
      size,
      options.maxProbability.data,
      { values: options.improvedValues, connectivity: OUTPUT_CONNECTIVITY, ...IMPROVED_CLASSES_RULE },
    );
    if (!box) data = r.labels;
    else if (r.removedVoxels > 0) {
      data = data.slice() as typeof data;
      pasteLabels(data, labels.size, box, r.labels);
    }
    record.improvedClasses = {
      values: [...options.improvedValues],
      rule: IMPROVED_CLASSES_RULE,
      components: r.removedComponents,
      voxels: r.removedVoxels,
    };
  }
  const out = data === labels.data ? labels : (new Volume(labels.geometry, data) as RestoredLabels);
  return { labels: out, record };
}
