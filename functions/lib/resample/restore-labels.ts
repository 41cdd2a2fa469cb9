/**
 * Restore: the label map from the working grid back onto exactly the input's grid (size,
 * spacing, origin, direction), by one-hot label resampling. Labels stay uint8 when they fit,
 * else int16 as the challenge writes them.
 */
import { InvalidInputError } from '../core/errors.js';
import { resampleLabels, respaceLabels } from './resample.js';
import {
  type Box,
  type Geometry,
  type Vec3,
  Volume,
  checkGeometry,
  pointToIndex,
  indexToPoint,
  sameGeometry,
} from '../geometry/volume.js';

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
 * The same labels in the smallest type that holds them (uint8, else int16, else as they are):
 * a label map brought onto a large grid costs a quarter of an int32 one to make and to scan.
 */
export function narrowLabels(labels: LabelVolume): LabelVolume {
  const { min, max } = valueRange(labels.data);
  if (min < 0 || max > 32767) return labels;
  return narrowest(labels, { min, max });
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

/**
 * The box of input voxels whose extent a working grid spans exactly (a stage's grid spans the
 * whole image or stage 2's ROI), or null for any other grid: same direction, and its outer
 * corners on input voxel boundaries (within 1e-3 voxel).
 */
export function spannedBox(working: Geometry, input: Geometry): Box | null {
  if (working.direction.some((d, i) => Math.abs(d - input.direction[i]) > 1e-6)) return null;
  const corner = (at: number[]) =>
    pointToIndex(input, indexToPoint(working, at as Vec3)).map((c) => c + 0.5) as Vec3;
  const lo = corner([-0.5, -0.5, -0.5]);
  const hi = corner(working.size.map((n) => n - 0.5));
  const min = lo.map((c) => Math.round(c) + 0) as Vec3; // + 0: no -0 in a box
  const max = hi.map((c) => Math.round(c) - 1) as Vec3;
  for (let a = 0; a < 3; a++) {
    if (Math.abs(lo[a] - min[a]) > 1e-3 || Math.abs(hi[a] - max[a] - 1) > 1e-3) return null;
    if (min[a] < 0 || max[a] >= input.size[a] || max[a] < min[a]) return null;
  }
  return { min, max };
}

/**
 * Labels of a grid spanning `box` onto the input grid as Medal S brings a stage's labels back
 * (run_inference, resample_torch_simple(is_seg=True) to the raw shape, inference.py L698-706;
 * main() pastes stage 2's ROI into zeros, L1069-1070): one-hot x 1000 in float16, trilinear,
 * into the box; background elsewhere.
 */
function pasteRespaced(labels: LabelVolume, box: Box, input: Geometry): LabelVolume {
  const size = box.max.map((m, a) => m - box.min[a] + 1) as Vec3;
  const inBox = respaceLabels(labels, size, { separateAxis: null });
  const out = Volume.zeros(labels.type, input) as LabelVolume;
  const [X, Y] = input.size;
  for (let z = 0; z < size[2]; z++)
    for (let y = 0; y < size[1]; y++) {
      const from = (z * size[1] + y) * size[0];
      const to = ((box.min[2] + z) * Y + box.min[1] + y) * X + box.min[0];
      out.data.set(inBox.data.subarray(from, from + size[0]), to);
    }
  return out;
}

export function restoreLabels(labels: LabelVolume, input: Geometry): RestoredLabels {
  checkGeometry(input);
  // Already on the input grid: keep the voxels, take the geometry exactly as the input has it.
  if (sameGeometry(labels.geometry, input, 1e-9))
    return narrowest(new Volume(input, labels.data) as LabelVolume, valueRange(labels.data));
  const box = spannedBox(labels.geometry, input);
  const onInput = box ? pasteRespaced(labels, box, input) : resampleLabels(labels, input);
  return narrowest(onInput, valueRange(labels.data));
}
