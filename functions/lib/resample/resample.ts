/**
 * Resampling between grids that cover the same physical space.
 *
 * A working grid keeps the input's extent and direction and changes only the number of voxels:
 * spacing = extent / shape, and the origin moves by half the change of spacing so that voxel
 * edges (not centres) line up, which is what align_corners=false interpolation assumes. Working
 * volumes therefore always carry their true physical geometry, and going back to the input grid
 * is a plain resampling.
 */
import { resampleNode } from '@itk-wasm/downsample';
import { InvalidInputError } from '../core/errors.js';
import { itkImageFromVolume, volumeFromItkImage } from '../image/image-io.js';
import {
  type AxisTaps,
  type LabelArray,
  resampleLabels as nativeResampleLabels,
  resampleLabelsTaps,
} from '../../../native/index.js';
import {
  type Box,
  type Geometry,
  type Vec3,
  Volume,
  type VoxelArrays,
  crop,
  indexToPoint,
  invert3,
  pointToIndex,
  voxelCount,
} from '../geometry/volume.js';
import { quietItk } from '../image/itk-console.js';

/** The grid of `shape` voxels covering the same physical box as `g`. */
export function workingGeometry(g: Geometry, shape: Vec3): Geometry {
  const spacing = [0, 1, 2].map((a) => (g.size[a] * g.spacing[a]) / shape[a]) as Vec3;
  // The centre of the first new voxel sits half a new voxel inside the old box's corner.
  const first = [0, 1, 2].map((a) => (spacing[a] / g.spacing[a] - 1) / 2) as Vec3;
  return { size: [...shape], spacing, origin: indexToPoint(g, first), direction: [...g.direction] };
}

/** The axis nnU-Net treats separately (nearest along it), or null: anisotropy ratio above 3. */
export function separateAxis(from: Vec3, to: Vec3, ratio = 3): number | null {
  const thick = (s: Vec3) => (Math.max(...s) / Math.min(...s) > ratio ? s.indexOf(Math.max(...s)) : null);
  return thick(from) ?? thick(to);
}

/**
 * The most target voxels resampled in one itk-wasm call. itk-wasm runs in 32-bit WebAssembly:
 * a call's input and output share 4 GiB, so a large grid (a float map restored onto 512x512x1000
 * is 1 GiB by itself) goes in z slabs, each from the crop of the input it reaches.
 */
const MAX_SLAB_VOXELS = 64 * 2 ** 20;

interface ResampleOptions {
  /** Target voxels per itk-wasm call (default MAX_SLAB_VOXELS). */
  maxSlabVoxels?: number;
}

async function itkResampleOnce(
  volume: Volume,
  target: Geometry,
  interpolator: 'linear' | 'nearest_neighbor',
): Promise<Volume> {
  const { output } = await quietItk(() =>
    resampleNode(itkImageFromVolume(volume), {
      size: target.size,
      outputSpacing: target.spacing,
      outputOrigin: target.origin,
      outputDirection: target.direction,
      interpolator,
      defaultValue: 0,
    }),
  );
  return volumeFromItkImage(output);
}

/**
 * The input voxels a target slab can reach: the hull of the slab's corners in input index
 * space, widened by two voxels so every interpolation neighbour and the inside test at a crop
 * face inside the input are as on the whole input. null when the slab misses the input.
 */
function reachedBox(input: Geometry, slab: Geometry): Box | null {
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let corner = 0; corner < 8; corner++) {
    const index = [0, 1, 2].map((a) => ((corner >> a) & 1 ? slab.size[a] - 0.5 : -0.5)) as Vec3;
    const c = pointToIndex(input, indexToPoint(slab, index));
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a], c[a]);
      hi[a] = Math.max(hi[a], c[a]);
    }
  }
  const min = [0, 1, 2].map((a) => Math.max(0, Math.floor(lo[a]) - 2)) as Vec3;
  const max = [0, 1, 2].map((a) => Math.min(input.size[a] - 1, Math.ceil(hi[a]) + 2)) as Vec3;
  return min.some((m, a) => m > max[a]) ? null : { min, max };
}

async function itkResample(
  volume: Volume,
  target: Geometry,
  interpolator: 'linear' | 'nearest_neighbor',
  options: ResampleOptions = {},
): Promise<Volume> {
  const maxSlab = options.maxSlabVoxels ?? MAX_SLAB_VOXELS;
  if (voxelCount(target.size) <= maxSlab) return itkResampleOnce(volume, target, interpolator);
  const plane = target.size[0] * target.size[1];
  const depth = Math.max(1, Math.floor(maxSlab / plane));
  const out = Volume.zeros(volume.type, target);
  for (let k0 = 0; k0 < target.size[2]; k0 += depth) {
    const slab: Geometry = {
      ...target,
      size: [target.size[0], target.size[1], Math.min(depth, target.size[2] - k0)],
      origin: indexToPoint(target, [0, 0, k0]),
    };
    const box = reachedBox(volume.geometry, slab);
    if (!box) continue; // outside the input: background, as one call would give
    const part = await itkResampleOnce(crop(volume, box), slab, interpolator);
    out.data.set(part.data, k0 * plane);
  }
  return out;
}

function asFloat32(volume: Volume): Volume<'float32'> {
  return volume.type === 'float32'
    ? (volume as Volume<'float32'>)
    : new Volume(volume.geometry, Float32Array.from(volume.data));
}

/**
 * An image resampled to `shape` voxels over its own extent, as float32. Linear, except that when
 * the spacing is anisotropic (ratio > 3) the thick axis is resampled with nearest neighbour after
 * the in-plane linear step, as nnU-Net does, so thick slices are not blurred into each other. The
 * nearest step takes torch's 'nearest-exact' slice (data/resample_torch.py L153-155,
 * nearestExactTaps): ITK's nearest picks the other slice at exact half-way ties, a whole slice off
 * (seen by `npm run parity` on 32 -> 122 slices).
 */
export async function resampleImageToShape(
  volume: Volume,
  shape: Vec3,
  options: { separateAxis?: number | null } & ResampleOptions = {},
): Promise<Volume<'float32'>> {
  const source = asFloat32(volume);
  const target = workingGeometry(volume.geometry, shape);
  if (shape.every((n, a) => n === volume.size[a])) return source;
  // A Medal S plan decides the thick axis from its nominal spacings; without one, use the true ones.
  const axis =
    options.separateAxis !== undefined ? options.separateAxis : separateAxis(volume.spacing, target.spacing);
  if (axis === null) return (await itkResample(source, target, 'linear', options)) as Volume<'float32'>;
  const inPlaneShape = [...shape] as Vec3;
  inPlaneShape[axis] = volume.size[axis];
  const inPlane = await itkResample(
    source,
    workingGeometry(volume.geometry, inPlaneShape),
    'linear',
    options,
  );
  return new Volume(
    target,
    takeSlices(
      inPlane as Volume<'float32'>,
      axis,
      shape,
      nearestExactTaps(volume.size[axis], shape[axis]).index,
    ),
  );
}

/** Slices of `volume` along `axis`: output slice t is input slice index[2 t]. */
function takeSlices(volume: Volume<'float32'>, axis: number, shape: Vec3, index: Int32Array): Float32Array {
  const [nx, ny] = volume.size;
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  const source = volume.data;
  let o = 0;
  for (let z = 0; z < shape[2]; z++) {
    const sz = axis === 2 ? index[2 * z] : z;
    for (let y = 0; y < shape[1]; y++) {
      const sy = axis === 1 ? index[2 * y] : y;
      const row = (sz * ny + sy) * nx;
      if (axis === 0) for (let x = 0; x < shape[0]; x++) out[o++] = source[row + index[2 * x]];
      else {
        out.set(source.subarray(row, row + nx), o);
        o += nx;
      }
    }
  }
  return out;
}

/** An image resampled linearly onto any grid (zero outside the input). */
export async function resampleImageToGrid(
  volume: Volume,
  target: Geometry,
  options: ResampleOptions = {},
): Promise<Volume<'float32'>> {
  return (await itkResample(asFloat32(volume), target, 'linear', options)) as Volume<'float32'>;
}

/**
 * A label map resampled onto another grid the Medal S way: each label as a one-hot channel,
 * interpolated linearly; the label with the largest interpolated weight wins (so one above 0.7
 * always wins), ties going to the lower value. Outside the input's extent is background.
 * Computed directly from the 8 neighbours' weights instead of one pass per label, in the native
 * addon (native/src/resample_labels.*): the plain TypeScript loop ran at ~5 M voxels/s (~50 s for
 * a 46-label map restored onto 512x512x1000). Its TypeScript twin, test/oracles/resample.ts,
 * gives the same labels bit for bit.
 */
export function resampleLabels<T extends 'uint8' | 'int16' | 'uint16' | 'int32'>(
  labels: Volume<T>,
  target: Geometry,
): Volume<T> {
  if (voxelCount(target.size) > 2 ** 31) throw new InvalidInputError('label resampling target is too large');
  // Continuous input index of target index t: c = A t + b. A and b are computed here in float64
  // exactly as before the move to C++, so the kernel sees the same numbers the loop did.
  const inv = invert3(labels.direction);
  const A = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += inv[r * 3 + k] * target.direction[k * 3 + c];
      A[r * 3 + c] = (sum * target.spacing[c]) / labels.spacing[r];
    }
  }
  const d0 = [0, 1, 2].map((k) => target.origin[k] - labels.origin[k]);
  const b = Float64Array.from(
    [0, 1, 2].map(
      (r) => (inv[r * 3] * d0[0] + inv[r * 3 + 1] * d0[1] + inv[r * 3 + 2] * d0[2]) / labels.spacing[r],
    ),
  );
  const data = nativeResampleLabels(labels.data as LabelArray, labels.size, { A, b }, target.size);
  return new Volume(target, data as VoxelArrays[T]);
}

/**
 * torch's linear interpolation taps for one axis of `nIn` -> `nOut` voxels, align_corners=False,
 * in float32 as its CPU kernel computes them (aten UpSample.h area_pixel_compute_scale,
 * area_pixel_compute_source_index, guard_index_and_lambda, compute_source_index_and_lambda):
 * scale = float(nIn) / nOut; src = max(scale * (t + 0.5) - 0.5, 0) (product rounded, then the
 * difference); i0 = min(floor(src), nIn - 1), i1 = i0 + 1 below the last voxel, else i0;
 * w1 = clamp(src - i0, 0, 1), w0 = 1 - w1. An axis that keeps its size is copied (w0 = 1).
 */
export function linearTaps(nIn: number, nOut: number): AxisTaps {
  const index = new Int32Array(2 * nOut);
  const weight = new Float32Array(2 * nOut);
  const f = Math.fround;
  const scale = f(nIn / nOut);
  for (let t = 0; t < nOut; t++) {
    if (nIn === nOut) {
      index[2 * t] = index[2 * t + 1] = t;
      weight[2 * t] = 1;
      continue;
    }
    const src = Math.max(f(f(scale * (t + 0.5)) - 0.5), 0);
    const i0 = Math.min(Math.floor(src), nIn - 1);
    const w1 = Math.min(Math.max(f(src - i0), 0), 1);
    index[2 * t] = i0;
    index[2 * t + 1] = i0 < nIn - 1 ? i0 + 1 : i0;
    weight[2 * t] = f(1 - w1);
    weight[2 * t + 1] = w1;
  }
  return { index, weight };
}

/**
 * torch's 'nearest-exact' taps for one axis of `nIn` -> `nOut` voxels (aten UpSample.h, the
 * nearest-exact helper): scale = float(nIn) / nOut; real = max(scale * (t + 0.5) - 0.5, 0) in
 * float32 with one rounding (its kernel fuses the multiply-add); index = min(floor(real + 0.5),
 * nIn - 1), the sum rounded to float32. That is floor((t + 0.5) nIn / nOut) except where that
 * is an integer and the float32 scale falls below it: torch 2.5.1 picks 0 at (nIn, nOut, t) =
 * (2, 61, 30) and 29 at (60, 111, 55). One tap of weight 1.
 */
export function nearestExactTaps(nIn: number, nOut: number): AxisTaps {
  const index = new Int32Array(2 * nOut);
  const weight = new Float32Array(2 * nOut);
  const f = Math.fround;
  const scale = f(nIn / nOut);
  for (let t = 0; t < nOut; t++) {
    // scale (24 bits) x (t + 0.5) and the - 0.5 are exact in double: one rounding, as fmaf.
    const real = Math.max(f(scale * (t + 0.5) - 0.5), 0);
    const i = nIn === nOut ? t : Math.min(Math.floor(f(real + 0.5)), nIn - 1);
    index[2 * t] = index[2 * t + 1] = i;
    weight[2 * t] = 1;
  }
  return { index, weight };
}

/**
 * A label map resampled to `shape` voxels over its own extent the way Medal S resamples the
 * stage-1 labels it gives stage 2 as prompts: respace_mask -> resample_torch_fornnunet(is_seg=
 * True, separate_z_anisotropy_threshold=3) (inference.py L269-279, L493-497;
 * data/resample_torch.py L53-81, L98-160). Each label value is a one-hot channel x 1000,
 * interpolated by torch (trilinear, align_corners=False) and held in float16; a value above 700
 * wins, else the argmax (the lowest value among equal maxima). With a thick axis
 * (`separateAxis`, (x, y, z) index, decided by the plan from the nominal spacings as
 * default_resampling.py determine_do_sep_z_and_axis) the other two axes are interpolated
 * bilinearly slice by slice and the thick axis is taken 'nearest-exact'. Both steps are one
 * table-driven pass in the native addon (resampleLabelsTaps): a slice-by-slice bilinear step
 * then a one-tap thick axis is the same arithmetic as one pass with that axis's one tap (weight
 * 1 and 0 change no float32 value), and the nearest step only copies labels. Only for this step:
 * restoring to the input grid and stage 1's labels on the image grid use resampleLabels.
 */
export function respaceLabels<T extends 'uint8' | 'int16' | 'uint16' | 'int32'>(
  labels: Volume<T>,
  shape: Vec3,
  options: { separateAxis: number | null },
): Volume<T> {
  if (voxelCount(shape) > 2 ** 31) throw new InvalidInputError('label resampling target is too large');
  // resample_torch_simple returns its input unchanged when the shape stays (resample_torch.py
  // L38-39); so does resampleImageToShape, geometry included.
  if (shape.every((n, a) => n === labels.size[a])) return labels;
  const taps = [0, 1, 2].map((a) =>
    a === options.separateAxis
      ? nearestExactTaps(labels.size[a], shape[a])
      : linearTaps(labels.size[a], shape[a]),
  ) as [AxisTaps, AxisTaps, AxisTaps];
  const data = resampleLabelsTaps(labels.data as LabelArray, labels.size, taps);
  return new Volume(workingGeometry(labels.geometry, shape), data as VoxelArrays[T]);
}
