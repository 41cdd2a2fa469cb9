/**
 * Medal S post-processing on the input grid (medal-s-pipeline.md section 6): instance tasks drop
 * components under 10 voxels (6-connectivity, of the non-zero union, as Medal S labels seg > 0);
 * the listed semantic classes ("improved classes") keep components chosen by size and mean
 * probability among the three largest. Runs in the native addon.
 */
import { MEDAL_S_PROBABLE_RULE, keepProbableComponents, removeSmallComponents } from '../../native/index.js';
import {
  type LabelBox,
  boxSize,
  cropLabels,
  labelBoxes,
  pasteLabels,
  unionBox,
} from '../core/label-boxes.js';
import { Volume } from '../core/volume.js';
import type { RestoredLabels } from './restore.js';

export const MIN_INSTANCE_VOXELS = 10;

export interface PostprocessRecord {
  instanceSmallRemoved?: { minSize: number; components: number; voxels: number };
  /** Present when the rule ran: improved classes were prompted and some of their voxels exist. */
  improvedClasses?: {
    values: number[];
    rule: typeof MEDAL_S_PROBABLE_RULE;
    components: number;
    voxels: number;
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
    const r = removeSmallComponents(data, labels.size, { minSize: MIN_INSTANCE_VOXELS, connectivity: 6 });
    data = r.labels;
    record.instanceSmallRemoved = {
      minSize: MIN_INSTANCE_VOXELS,
      components: r.removedComponents,
      voxels: r.removedVoxels,
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
      {
        values: options.improvedValues,
        connectivity: 6,
      },
    );
    if (!box) data = r.labels;
    else if (r.removedVoxels > 0) {
      data = data.slice() as typeof data;
      pasteLabels(data, labels.size, box, r.labels);
    }
    record.improvedClasses = {
      values: [...options.improvedValues],
      rule: MEDAL_S_PROBABLE_RULE,
      components: r.removedComponents,
      voxels: r.removedVoxels,
    };
  }
  const out = data === labels.data ? labels : (new Volume(labels.geometry, data) as RestoredLabels);
  return { labels: out, record };
}
