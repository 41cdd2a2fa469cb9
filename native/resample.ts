/**
 * Label-map resampling for restoring labels (src/resample_labels.*, bindings in
 * src/resample_binding.cc).
 */
import { loadNative } from './addon.js';
import type { LabelArray, Size3 } from './addon.js';

/**
 * The map from target voxel index t = (i, j, k) to the continuous input index c = A t + b:
 * A row-major 3x3, b 3 entries, all finite (Arrays of numbers or Float64Arrays).
 */
export interface LabelAffine {
  A: ArrayLike<number>;
  b: ArrayLike<number>;
}

/**
 * One axis of a two-tap resampling table (resampleLabelsTaps): for target index t, the input
 * indices index[2t], index[2t + 1] and their float32 weights weight[2t], weight[2t + 1] in [0, 1].
 */
export interface AxisTaps {
  index: Int32Array;
  weight: Float32Array;
}

type ResampleLabelsArgs<T> = [
  data: T,
  size: Size3,
  A: ArrayLike<number>,
  b: ArrayLike<number>,
  targetSize: Size3,
  out: T | null,
  threads: number,
];

/** The tables of the three axes travel as one index and one weight array, x then y then z. */
type ResampleLabelsTapsArgs<T> = [
  data: T,
  size: Size3,
  targetSize: Size3,
  index: Int32Array,
  weight: Float32Array,
  out: T | null,
  threads: number,
];

/** The raw resampling functions of the addon. */
export interface ResampleAddon {
  resampleLabels<T extends LabelArray>(...args: ResampleLabelsArgs<T>): T;
  resampleLabelsAsync<T extends LabelArray>(...args: ResampleLabelsArgs<T>): Promise<T>;
  resampleLabelsTaps<T extends LabelArray>(...args: ResampleLabelsTapsArgs<T>): T;
  resampleLabelsTapsAsync<T extends LabelArray>(...args: ResampleLabelsTapsArgs<T>): Promise<T>;
}

// The arguments of each wrapper, shared with its Async twin.
type ResampleCall<T> = [data: T, size: Size3, affine: LabelAffine, targetSize: Size3, out?: T];
type TapsCall<T> = [data: T, size: Size3, taps: readonly [AxisTaps, AxisTaps, AxisTaps], out?: T];

function resampleArgs<T>(
  fn: string,
  ...[data, size, affine, targetSize, out]: ResampleCall<T>
): ResampleLabelsArgs<T> {
  if (typeof affine !== 'object' || affine === null) {
    throw new TypeError(
      `${fn}: affine must be an object { A, b }, got ${affine === null ? 'null' : typeof affine}`,
    );
  }
  // threads 0: the cores, at most 8 (z planes are split; the result does not depend on it).
  return [data, size, affine.A, affine.b, targetSize, out ?? null, 0];
}

function tapsArgs<T>(fn: string, ...[data, size, taps, out]: TapsCall<T>): ResampleLabelsTapsArgs<T> {
  if (!Array.isArray(taps) || taps.length !== 3) {
    throw new TypeError(`${fn}: taps must be an Array of 3 tables { index, weight } (x, y, z)`);
  }
  const targetSize = taps.map((t, a) => {
    if (
      typeof t !== 'object' ||
      t === null ||
      !(t.index instanceof Int32Array) ||
      !(t.weight instanceof Float32Array)
    ) {
      throw new TypeError(`${fn}: taps[${a}] must be { index: Int32Array, weight: Float32Array }`);
    }
    if (t.index.length === 0 || t.index.length % 2 !== 0 || t.weight.length !== t.index.length) {
      throw new RangeError(
        `${fn}: taps[${a}] must hold 2 indices and 2 weights per target voxel, got ${t.index.length} and ${t.weight.length}`,
      );
    }
    return t.index.length / 2;
  }) as unknown as Size3;
  const index = new Int32Array(2 * (targetSize[0] + targetSize[1] + targetSize[2]));
  const weight = new Float32Array(index.length);
  let at = 0;
  for (const t of taps) {
    index.set(t.index, at);
    weight.set(t.weight, at);
    at += t.index.length;
  }
  // threads 0, as in resampleArgs.
  return [data, size, targetSize, index, weight, out ?? null, 0];
}

/**
 * Label map `data` ([X, Y, Z], x fastest) resampled onto a grid of `targetSize` voxels, in C++:
 * target index t maps to the continuous input index c = A t + b (float64, no FMA); a voxel
 * outside [-0.5, size - 0.5] on any axis is 0; otherwise the label with the largest summed
 * trilinear weight among the 8 neighbours wins, ties within 1e-12 to the lower value (one-hot
 * linear interpolation + argmax). Bit-identical to test/oracles/resample.ts. Returns `out` (same
 * type as `data`, targetSize voxels, every one written) or a new array. Throws TypeError/RangeError
 * on bad arguments (types, lengths, sizes, non-finite A or b, more than 2^31 target voxels).
 */
export function resampleLabels<T extends LabelArray>(...call: ResampleCall<T>): T {
  return loadNative<ResampleAddon>().resampleLabels(...resampleArgs('resampleLabels', ...call));
}

/** resampleLabels on the libuv thread pool. Do not write to `data` or `out` until it settles. */
export async function resampleLabelsAsync<T extends LabelArray>(...call: ResampleCall<T>): Promise<T> {
  return loadNative<ResampleAddon>().resampleLabelsAsync(...resampleArgs('resampleLabelsAsync', ...call));
}

/**
 * Label map `data` ([X, Y, Z], x fastest) resampled by separable two-tap tables, one per axis
 * (targetSize = the tables' lengths / 2), the way torch's F.interpolate resamples one-hot
 * channels (Medal S's respace_mask; functions/lib/resample/resample.ts `respaceLabels` builds the
 * tables). In C++ (src/resample_labels.h ResampleLabelsTaps): for each target voxel, every
 * label value among the 8 corners scores its one-hot x 1000 interpolated in float32 (along z,
 * then x, then y, each step fma(v0, w0, v1 * w1)), rounded to float16; the largest score wins,
 * ties to the lower value. Bit-identical to test/oracles/resample.ts `resampleLabelsTaps`.
 * Throws TypeError/RangeError on bad arguments (an index outside the input, a weight outside
 * [0, 1], lengths, types, more than 2^31 target voxels).
 */
export function resampleLabelsTaps<T extends LabelArray>(...call: TapsCall<T>): T {
  return loadNative<ResampleAddon>().resampleLabelsTaps(...tapsArgs('resampleLabelsTaps', ...call));
}

/** resampleLabelsTaps on the libuv thread pool. Do not write to `data` or `out` until it settles. */
export async function resampleLabelsTapsAsync<T extends LabelArray>(...call: TapsCall<T>): Promise<T> {
  return loadNative<ResampleAddon>().resampleLabelsTapsAsync(...tapsArgs('resampleLabelsTapsAsync', ...call));
}
