/**
 * Statistics of a label map without ground truth: per structure (label value) its voxel count
 * and volume, index bounding box, centroid in physical coordinates (LPS, mm), the intensity of
 * the original image inside it, its number of 6-connected components, and whether it touches
 * the border of the image.
 *
 * The voxel loops that label and measure components run in the native addon
 * (connectedComponentsAsync, componentStatsAsync): one multi-label labelling (voxels join only
 * when their values are equal) gives every structure's components at once, and the components'
 * counts, boxes and centroids add up to the structure's. The intensity moments are two plain
 * passes over the component labels (mean first, then the squared deviations, so the standard
 * deviation does not suffer from cancellation).
 */
import { InvalidInputError } from '../core/errors.js';
import { type Vec3, Volume, indexToPoint, sameGeometry } from '../geometry/volume.js';
import {
  type ComponentLabels,
  type LabelArray,
  type Size3,
  componentStatsAsync,
  connectedComponentsAsync,
} from '../../../native/index.js';

/** Connectivity of the component count (faces only, as Medal S and the challenge evaluator). */
const STATS_CONNECTIVITY = 6;

/** Geometry tolerance between the label map and the image (sameGeometry's). */
const STATS_GEOMETRY_TOLERANCE = 1e-4;

/** A face of the index grid: axis (x = index axis 0, y = 1, z = 2) and side. */
export type BorderFace = '-x' | '+x' | '-y' | '+y' | '-z' | '+z';

interface IntensityStats {
  mean: number;
  /** Population standard deviation (divisor n, numpy's default ddof = 0). */
  std: number;
  min: number;
  max: number;
}

export interface StructureStats {
  /** The label value. */
  value: number;
  /** The class name, when known. */
  name: string | null;
  voxels: number;
  /** voxels x the voxel volume, in millilitres (cm^3). */
  volumeMl: number;
  /** Inclusive bounding box in voxel indices [i, j, k]; null when the structure is empty. */
  box: { min: Vec3; max: Vec3 } | null;
  /** Edge lengths of the bounding box along the index axes, in mm ((max - min + 1) x spacing). */
  boxSizeMm: Vec3 | null;
  /** Mean voxel index (continuous). */
  centroidIndex: Vec3 | null;
  /** The centroid as a physical point (LPS, mm): origin + direction x diag(spacing) x index. */
  centroidMm: Vec3 | null;
  /** The original image's intensity over the structure; null without an image or voxels. */
  intensity: IntensityStats | null;
  /** Number of 6-connected components. */
  components: number;
  /** Whether any voxel lies on the outer face of the image grid. */
  touchesBorder: boolean;
  /** The faces it touches. */
  borderFaces: BorderFace[];
}

export interface CaseStats {
  /** The label map's grid (the image's too when one is given). */
  size: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: number[];
  /** Volume of one voxel in ml. */
  voxelVolumeMl: number;
  connectivity: typeof STATS_CONNECTIVITY;
  /** Whether the intensity statistics come from an image. */
  hasIntensity: boolean;
  /** By ascending value. */
  structures: StructureStats[];
}

interface StructureStatsOptions {
  /** Label value -> class name (keys may be strings, as in prompts.json). */
  names?: Readonly<Record<string | number, string>> | ReadonlyMap<number, string>;
  /**
   * Values to report even when absent from the label map (e.g. the prompted classes): they
   * appear with zero voxels. Every non-zero value of the label map is reported either way.
   */
  values?: readonly number[];
}

function nameOf(names: StructureStatsOptions['names'], value: number): string | null {
  if (!names) return null;
  if (names instanceof Map) return names.get(value) ?? null;
  const n = (names as Readonly<Record<string, string>>)[String(value)];
  return typeof n === 'string' ? n : null;
}

function checkInputs(labels: Volume, image: Volume | undefined): asserts labels is Volume<LabelVolumeType> {
  if (!(labels instanceof Volume))
    throw new InvalidInputError('structureStats: the label map must be a Volume');
  if (labels.type === 'float32') {
    throw new InvalidInputError('structureStats: the label map must hold integer labels, got float32 voxels');
  }
  if (image === undefined) return;
  if (!(image instanceof Volume)) throw new InvalidInputError('structureStats: the image must be a Volume');
  if (!sameGeometry(labels.geometry, image.geometry, STATS_GEOMETRY_TOLERANCE)) {
    const g = (v: Volume) =>
      `size ${v.size.join('x')}, spacing [${v.spacing.join(', ')}], origin [${v.origin.join(', ')}], direction [${v.direction.join(', ')}]`;
    throw new InvalidInputError(
      `structureStats: the label map (${g(labels)}) and the image (${g(image)}) do not share a geometry`,
      { details: { labels: labels.geometry, image: image.geometry } },
    );
  }
}

type LabelVolumeType = 'uint8' | 'int16' | 'uint16' | 'int32';

/**
 * Statistics of every non-zero label value of `labels` (and of `options.values`), with the
 * intensity of `image` when given. `image` must share the label map's geometry (the original
 * image, not the resampled one; INVALID_INPUT otherwise).
 */
export async function structureStats(
  labels: Volume,
  image?: Volume,
  options: StructureStatsOptions = {},
): Promise<CaseStats> {
  checkInputs(labels, image);
  const size: Size3 = [labels.size[0], labels.size[1], labels.size[2]];
  const data = labels.data as LabelArray;
  const cc = await connectedComponentsAsync(data, size, { connectivity: STATS_CONNECTIVITY, binary: false });
  const comp = await componentStatsAsync(cc.labels, size, cc.count, { values: data });

  // Structures: one slot per distinct non-zero value, with its components summed.
  const slotOf = new Map<number, number>();
  const slotOfComponent = new Int32Array(cc.count + 1).fill(-1);
  for (let c = 1; c <= cc.count; c++) {
    const value = comp.value![c];
    let slot = slotOf.get(value);
    if (slot === undefined) slotOf.set(value, (slot = slotOf.size));
    slotOfComponent[c] = slot;
  }
  for (const v of options.values ?? []) {
    if (!Number.isInteger(v))
      throw new InvalidInputError(`structureStats: values must be integers, got ${v}`);
    if (v !== 0 && !slotOf.has(v)) slotOf.set(v, slotOf.size);
  }
  const n = slotOf.size;
  const voxels = new Float64Array(n);
  const components = new Float64Array(n);
  const sumIndex = new Float64Array(3 * n);
  const boxMin = new Int32Array(3 * n).fill(2147483647);
  const boxMax = new Int32Array(3 * n).fill(-1);
  for (let c = 1; c <= cc.count; c++) {
    const s = slotOfComponent[c];
    const count = comp.voxels[c];
    voxels[s] += count;
    components[s] += 1;
    for (let a = 0; a < 3; a++) {
      sumIndex[3 * s + a] += comp.centroid[3 * c + a] * count;
      boxMin[3 * s + a] = Math.min(boxMin[3 * s + a], comp.boxMin[3 * c + a]);
      boxMax[3 * s + a] = Math.max(boxMax[3 * s + a], comp.boxMax[3 * c + a]);
    }
  }
  // Every labelled voxel lies in the union of the components' boxes: the passes need no more.
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-1, -1, -1];
  for (let c = 1; c <= cc.count; c++) {
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a], comp.boxMin[3 * c + a]);
      hi[a] = Math.max(hi[a], comp.boxMax[3 * c + a]);
    }
  }
  const intensity = image
    ? intensityBySlot(cc.labels, size, { lo, hi }, slotOfComponent, image.data, voxels)
    : null;

  const geometry = labels.geometry;
  const voxelVolumeMl = (labels.spacing[0] * labels.spacing[1] * labels.spacing[2]) / 1000;
  const structures: StructureStats[] = [];
  for (const [value, s] of slotOf) {
    const count = voxels[s];
    const empty = count === 0;
    const box = empty
      ? null
      : {
          min: [boxMin[3 * s], boxMin[3 * s + 1], boxMin[3 * s + 2]] as Vec3,
          max: [boxMax[3 * s], boxMax[3 * s + 1], boxMax[3 * s + 2]] as Vec3,
        };
    const centroidIndex = empty
      ? null
      : ([sumIndex[3 * s] / count, sumIndex[3 * s + 1] / count, sumIndex[3 * s + 2] / count] as Vec3);
    const borderFaces: BorderFace[] = [];
    if (box) {
      const axes = ['x', 'y', 'z'] as const;
      for (let a = 0; a < 3; a++) {
        if (box.min[a] === 0) borderFaces.push(`-${axes[a]}`);
        if (box.max[a] === labels.size[a] - 1) borderFaces.push(`+${axes[a]}`);
      }
    }
    structures.push({
      value,
      name: nameOf(options.names, value),
      voxels: count,
      volumeMl: count * voxelVolumeMl,
      box,
      boxSizeMm: box
        ? ([0, 1, 2].map((a) => (box.max[a] - box.min[a] + 1) * labels.spacing[a]) as Vec3)
        : null,
      centroidIndex,
      centroidMm: centroidIndex ? indexToPoint(geometry, centroidIndex) : null,
      intensity: intensity && !empty ? intensity[s] : null,
      components: components[s],
      touchesBorder: borderFaces.length > 0,
      borderFaces,
    });
  }
  structures.sort((a, b) => a.value - b.value);
  return {
    size: geometry.size,
    spacing: geometry.spacing,
    origin: geometry.origin,
    direction: [...geometry.direction],
    voxelVolumeMl,
    connectivity: STATS_CONNECTIVITY,
    hasIntensity: image !== undefined,
    structures,
  };
}

/**
 * Mean, population std, min and max of `values` over each slot's voxels (two passes over the box
 * holding every component; voxels are summed in memory order either way).
 */
function intensityBySlot(
  componentOf: ComponentLabels,
  size: Size3,
  box: { lo: Vec3; hi: Vec3 },
  slotOfComponent: Int32Array,
  values: ArrayLike<number>,
  voxels: Float64Array,
): IntensityStats[] {
  const n = voxels.length;
  const sum = new Float64Array(n);
  const min = new Float64Array(n).fill(Infinity);
  const max = new Float64Array(n).fill(-Infinity);
  const [X, Y] = size;
  const [i0, j0, k0] = box.lo;
  const [i1, j1, k1] = box.hi;
  for (let k = k0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      for (let i = X * (j + Y * k) + i0, end = i + i1 - i0; i <= end; i++) {
        const c = componentOf[i];
        if (c === 0) continue;
        const s = slotOfComponent[c];
        const v = values[i];
        sum[s] += v;
        if (v < min[s]) min[s] = v;
        if (v > max[s]) max[s] = v;
      }
    }
  }
  const mean = new Float64Array(n);
  for (let s = 0; s < n; s++) mean[s] = voxels[s] > 0 ? sum[s] / voxels[s] : NaN;
  const squares = new Float64Array(n);
  for (let k = k0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      for (let i = X * (j + Y * k) + i0, end = i + i1 - i0; i <= end; i++) {
        const c = componentOf[i];
        if (c === 0) continue;
        const s = slotOfComponent[c];
        const d = values[i] - mean[s];
        squares[s] += d * d;
      }
    }
  }
  return Array.from({ length: n }, (_, s) => ({
    mean: mean[s],
    std: voxels[s] > 0 ? Math.sqrt(squares[s] / voxels[s]) : NaN,
    min: min[s],
    max: max[s],
  }));
}
