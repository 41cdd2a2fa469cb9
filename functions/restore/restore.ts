/**
 * Restore: the label map from the working grid back onto exactly the input's grid (size,
 * spacing, origin, direction), by one-hot label resampling. Labels stay uint8 when they fit,
 * else int16 as the challenge writes them.
 */
import { InvalidInputError } from '../core/errors.js';
import { resampleLabels } from '../core/resample.js';
import { type Geometry, Volume, checkGeometry, sameGeometry } from '../core/volume.js';

export type LabelVolume = Volume<'uint8' | 'int16' | 'uint16' | 'int32'>;
export type RestoredLabels = Volume<'uint8' | 'int16'>;

/** The smallest and largest value of a label map (an indexed loop: for-of is slow on typed arrays). */
function valueRange(data: LabelVolume['data']): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  return { min, max };
}

/**
 * uint8 when the values fit, else int16. `range` is the values' range: label resampling only
 * moves existing values, so the (smaller) working map's range bounds the restored one's.
 */
function narrowest(labels: LabelVolume, range: { min: number; max: number }): RestoredLabels {
  const { min, max } = range;
  if (min < 0 || max > 32767) throw new InvalidInputError(`label values ${min}..${max} do not fit int16`);
  if (max <= 255) {
    return labels.type === 'uint8'
      ? (labels as RestoredLabels)
      : new Volume(labels.geometry, Uint8Array.from(labels.data));
  }
  return labels.type === 'int16'
    ? (labels as RestoredLabels)
    : new Volume(labels.geometry, Int16Array.from(labels.data));
}

export function restoreLabels(labels: LabelVolume, input: Geometry): RestoredLabels {
  checkGeometry(input);
  // Already on the input grid: keep the voxels, take the geometry exactly as the input has it.
  const onInput = sameGeometry(labels.geometry, input, 1e-9)
    ? (new Volume(input, labels.data) as LabelVolume)
    : resampleLabels(labels, input);
  return narrowest(onInput, valueRange(labels.data));
}
