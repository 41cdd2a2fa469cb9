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

function narrowest(labels: LabelVolume): RestoredLabels {
  let min = 0;
  let max = 0;
  for (const v of labels.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
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
  return narrowest(onInput);
}
