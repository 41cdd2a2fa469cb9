/**
 * Inputs of the metrics: label volumes, the geometry check, and the evaluator's treatment of
 * label values (the uint8 cast and skimage's relabel_sequential).
 */
import { InvalidInputError } from '../core/errors.js';
import { type Geometry, type Vec3, Volume, sameGeometry } from '../geometry/volume.js';
import type { LabelArray } from '../../../native/index.js';

/** Integer label volumes (float32 volumes are refused: labels are integers). */
type LabelVolume = Volume<'uint8' | 'int16' | 'uint16' | 'int32'>;

/** Geometry tolerance of the prediction against the ground truth (sameGeometry's). */
const GEOMETRY_TOLERANCE = 1e-4;

function describe(g: Geometry): string {
  return `size ${g.size.join('x')}, spacing [${g.spacing.join(', ')}], origin [${g.origin.join(', ')}], direction [${g.direction.join(', ')}]`;
}

/**
 * Checks that `gt` and `pred` are integer label volumes of the same geometry: the same size,
 * and spacing, origin and direction equal within GEOMETRY_TOLERANCE (relative to max(1, |value|)
 * for spacing and origin). Throws INVALID_INPUT saying what differs.
 */
export function checkPair(gt: Volume, pred: Volume, what: string): asserts gt is LabelVolume {
  for (const [name, v] of [
    ['ground truth', gt],
    ['prediction', pred],
  ] as const) {
    if (!(v instanceof Volume)) throw new InvalidInputError(`${what}: the ${name} must be a Volume`);
    if (v.type === 'float32') {
      throw new InvalidInputError(`${what}: the ${name} must be an integer label volume, got float32 voxels`);
    }
  }
  if (gt.size.some((s, i) => s !== pred.size[i])) {
    throw new InvalidInputError(
      `${what}: prediction size ${pred.size.join('x')} differs from ground truth size ${gt.size.join('x')}`,
      { details: { gtSize: gt.size, predSize: pred.size } },
    );
  }
  if (!sameGeometry(gt.geometry, pred.geometry, GEOMETRY_TOLERANCE)) {
    throw new InvalidInputError(
      `${what}: prediction geometry (${describe(pred.geometry)}) differs from ground truth geometry (${describe(gt.geometry)})`,
      { details: { gt: gt.geometry, pred: pred.geometry } },
    );
  }
}

/** Checks a spacing [sx, sy, sz] of three positive finite numbers (INVALID_INPUT otherwise). */
export function checkSpacing(spacing: readonly number[], what: string): Vec3 {
  if (spacing.length !== 3 || spacing.some((s) => typeof s !== 'number' || !Number.isFinite(s) || s <= 0)) {
    throw new InvalidInputError(
      `${what}: spacing must be three positive numbers, got [${spacing.join(', ')}]`,
    );
  }
  return [spacing[0], spacing[1], spacing[2]];
}

/**
 * The label values the evaluator sees: `gts.astype(np.uint8)` and `segs.astype(np.uint8)` keep
 * the low 8 bits (300 -> 44, -1 -> 255). With cast false, the values as they are.
 */
export function evaluatorLabels(data: LabelArray, cast: boolean): LabelArray {
  if (!cast || data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] & 0xff;
  return out;
}

/** Sorted distinct values of `data` (numbers, ascending). */
export function distinctValues(data: LabelArray): number[] {
  if (data instanceof Uint8Array) {
    const seen = new Uint8Array(256);
    for (let i = 0; i < data.length; i++) seen[data[i]] = 1;
    const out: number[] = [];
    for (let v = 0; v < 256; v++) if (seen[v]) out.push(v);
    return out;
  }
  const set = new Set<number>();
  for (let i = 0; i < data.length; i++) set.add(data[i]);
  return [...set].sort((a, b) => a - b);
}

/**
 * skimage.segmentation.relabel_sequential: 0 stays 0 and the other values, ascending, become
 * 1..count. `values[k - 1]` is the value that became k. Negative values are refused
 * (INVALID_INPUT), as skimage refuses them.
 */
export function relabelSequential(
  data: ArrayLike<number>,
  what: string,
): { ids: Uint32Array; count: number; values: number[] } {
  let min = 0;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min < 0) throw new InvalidInputError(`${what}: instance labels must not be negative, got ${min}`);
  const ids = new Uint32Array(data.length);
  if (max < DENSE_LIMIT) {
    // A table indexed by value: one pass to mark, one to number, one to map.
    const table = new Uint32Array(max + 1);
    for (let i = 0; i < data.length; i++) table[data[i]] = 1;
    const values: number[] = [];
    for (let v = 1; v <= max; v++) if (table[v]) table[v] = values.push(v);
    table[0] = 0;
    for (let i = 0; i < data.length; i++) ids[i] = table[data[i]];
    return { ids, count: values.length, values };
  }
  const distinct = new Set<number>();
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) distinct.add(data[i]);
  const values = [...distinct].sort((a, b) => a - b);
  const id = new Map<number, number>(values.map((v, k) => [v, k + 1]));
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== 0) ids[i] = id.get(v)!;
  }
  return { ids, count: values.length, values };
}

/** Largest label value relabelSequential maps through a dense table (above: a Map). */
const DENSE_LIMIT = 1 << 24;

/** numpy.nanmean: the mean of the non-NaN values, NaN when there are none. */
export function nanMean(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}
