/** Checks on decoded voxels: values a scan cannot have, and values that contradict its modality. */
import { InvalidInputError } from '../../core/errors.js';
import type { Volume } from '../../geometry/volume.js';

export interface IntensityRange {
  min: number;
  max: number;
}

/** The refusal of an image with NaN or infinite voxels, however they were found. */
export function nonFiniteVoxels(name: string, count: number): InvalidInputError {
  return new InvalidInputError(
    `${name} has ${count} NaN or infinite voxels; fix or mask them before segmenting`,
  );
}

/** Min and max of the voxels; refuses NaN and infinite values, and constant images. */
export function checkVoxels(volume: Volume, name: string): IntensityRange {
  const data = volume.data;
  let min = Infinity;
  let max = -Infinity;
  let bad = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      bad++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (bad > 0) throw nonFiniteVoxels(name, bad);
  if (min === max)
    throw new InvalidInputError(`${name} is a constant image (every voxel is ${min}); nothing to segment`);
  return { min, max };
}

/** A CT in Hounsfield units spans air (-1000) to bone; anything else was probably rescaled. */
export function checkCtRange(range: IntensityRange, name: string): void {
  if (range.max < 0 || range.min > 500) {
    throw new InvalidInputError(
      `${name} does not look like CT in Hounsfield units (values ${range.min}..${range.max}); ` +
        `give the right modality or the unscaled image`,
    );
  }
}
