/**
 * Medal S post-processing on the input grid (medal-s-pipeline.md section 6): instance tasks drop
 * components under 10 voxels (6-connectivity, of the non-zero union, as Medal S labels seg > 0);
 * the listed semantic classes ("improved classes") keep components chosen by size and mean
 * probability among the three largest. Runs in the native addon.
 */
import { MEDAL_S_PROBABLE_RULE, keepProbableComponents, removeSmallComponents } from '../../native/index.js';
import { Volume } from '../core/volume.js';
import type { RestoredLabels } from './restore.js';

export const MIN_INSTANCE_VOXELS = 10;

export interface PostprocessRecord {
  instanceSmallRemoved?: { minSize: number; components: number; voxels: number };
  improvedClasses?: {
    values: number[];
    rule: typeof MEDAL_S_PROBABLE_RULE;
    components: number;
    voxels: number;
  };
}

export function postprocessLabels(
  labels: RestoredLabels,
  options: { instance: boolean; improvedValues: readonly number[]; maxProbability?: Volume<'float32'> },
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
    const r = keepProbableComponents(data, labels.size, options.maxProbability.data, {
      values: options.improvedValues,
      connectivity: 6,
    });
    data = r.labels;
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
