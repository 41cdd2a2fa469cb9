/**
 * Intensity scaling to 0..255 float32, the range Medal S was trained on (the challenge npz `imgs`
 * are uint8 0..255 and Medal S itself normalises nothing). Every method is one linear map
 *
 *   out = (clamp(v, low, high) - low) / (high - low) * 255      (computed in float64, stored float32)
 *
 * with `low` / `high` chosen per method, and the mapping is returned as a JSON-able record:
 *
 * - 'none': challenge npz `imgs` (uint8, already 0..255) pass through with the same values.
 * - 'ct-window' (CT default): a fixed window, low = level - width / 2, high = level + width / 2;
 *   the caller passes its tissue group's (lib/medal-s ct-windows.ts, medals' rule) or the user's,
 *   else the soft-tissue window, level 40 / width 400 HU -> low -160, high 240.
 * - 'ct-foreground-percentile' (CT option): low / high = the 0.5 / 99.5 percentiles of the CT
 *   foreground, defined as voxels above -500 HU (air and the scanner table surround are below;
 *   soft tissue, fat and bone are above), threshold configurable.
 * - 'percentile-minmax' (every other modality): low / high = the 0.5 / 99.5 percentiles of the
 *   foreground, defined as voxels strictly above the image minimum (non-zero after shifting the
 *   minimum to 0: the zero background of MRI/PET/US), then min-max to 0..255. After the clip the
 *   image's minimum is `low` and its maximum `high` (both percentiles lie within the data range),
 *   so the min-max step is the same linear map.
 *
 * Percentiles are exact and follow numpy.percentile's default ('linear'): for n sorted values
 * a[0..n-1] and q in [0, 100], position p = (n - 1) * (q / 100), i = floor(p), g = p - i, and the
 * result is numpy's _lerp of a[i] and a[i + 1] (a + (b - a) g when g < 0.5, else
 * b - (b - a)(1 - g)); a[n - 1] when p >= n - 1. The order statistics come from a histogram for
 * 8- and 16-bit integers, otherwise from a 65536-bin histogram then an exact three-way quickselect
 * inside the bins that hold the wanted ranks (no full sort, no full copy).
 *
 * Refusals (INVALID_INPUT): NaN or infinite voxels, a constant image, an empty foreground, and a
 * percentile window of zero width.
 */
import { InvalidInputError } from '../../lib/core/errors.js';
import type { Modality } from '../../lib/case/case-request.js';
import type { VoxelArray } from '../../lib/geometry/volume.js';
import type { IntensityMapping } from './record.js';
import { CT_WINDOWS } from '../../lib/medal-s/index.js';

type IntensityMethod = IntensityMapping['method'];

const CT_WINDOW_DEFAULT = CT_WINDOWS['soft-tissue'];
const PERCENTILES_DEFAULT: readonly [number, number] = [0.5, 99.5];
const CT_FOREGROUND_HU_DEFAULT = -500;

interface IntensityOptions {
  modality: Modality;
  /** CT only: the fixed window (default) or the foreground percentile clip. */
  ctMethod?: 'window' | 'percentile';
  /** CT window, HU. Default level 40, width 400. */
  window?: { level: number; width: number };
  /** Lower and upper percentile, 0..100. Default 0.5 and 99.5. */
  percentiles?: readonly [number, number];
  /** CT foreground for the percentile option: voxels above this HU value. Default -500. */
  ctForegroundHU?: number;
  /** The voxels are a challenge npz `imgs` array: uint8 already 0..255, used as they are. */
  challengeNpz?: boolean;
  /** The voxels' range when the reader has already checked them (check-volume.ts checkVoxels). */
  range?: { min: number; max: number };
}

interface ScaledIntensity {
  data: Float32Array;
  mapping: IntensityMapping;
}

const FORMULA = 'out = (clamp(v, low, high) - low) / (high - low) * 255';

/** Min and max; throws on NaN / infinity and on a constant image. */
function scanRange(data: VoxelArray): { min: number; max: number } {
  if (data.length === 0) throw new InvalidInputError('image has no voxels');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // NaN fails both comparisons below, so test finiteness explicitly.
    if (!Number.isFinite(v)) {
      throw new InvalidInputError(`image has a ${Number.isNaN(v) ? 'NaN' : 'infinite'} voxel at index ${i}`);
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) throw new InvalidInputError(`constant image: every voxel is ${min}, nothing to segment`);
  return { min, max };
}

/** numpy's _lerp (numpy/lib/function_base.py): symmetric form, exact at both ends. */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** Positions of a numpy 'linear' percentile: the two order statistics and the weight. */
function percentilePosition(n: number, q: number): { i: number; j: number; g: number } {
  const p = (n - 1) * (q / 100);
  if (p >= n - 1) return { i: n - 1, j: n - 1, g: 0 };
  if (p <= 0) return { i: 0, j: Math.min(1, n - 1), g: 0 };
  const i = Math.floor(p);
  return { i, j: i + 1, g: p - i };
}

type Numeric = Float32Array | Float64Array;

/**
 * Rearranges a[left..right] so that a[k] holds the value of rank k, smaller values before it and
 * larger after (three-way partition: fast on images with many equal values).
 */
function select(a: Numeric, left: number, right: number, k: number): void {
  while (right > left) {
    const mid = left + ((right - left) >> 1);
    const x = a[left];
    const y = a[mid];
    const z = a[right];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // Dutch flag: [left, lt) < pivot, [lt, i) == pivot, (gt, right] > pivot.
    let lt = left;
    let gt = right;
    let i = left;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else i++;
    }
    if (k < lt) right = lt - 1;
    else if (k > gt) left = gt + 1;
    else return;
  }
}

const BINS = 65536;

/** Ascending distinct ranks needed for the percentile positions of n values. */
function ranksFor(positions: { i: number; j: number }[]): number[] {
  return [...new Set(positions.flatMap((p) => [p.i, p.j]))].sort((x, y) => x - y);
}

/**
 * Exact percentiles (q in 0..100) of the voxels above `above` (all voxels when null), with
 * numpy.percentile's default 'linear' interpolation, in the order of `qs`. NaN voxels are left
 * out (`>` is false for NaN; scaleIntensity refuses NaN before it gets here).
 *
 * 8/16-bit integers: one pass builds an exact histogram. Other types: pass 1 counts and finds
 * min / max, pass 2 builds a 65536-bin histogram over [min, max] (binning is monotonic, so the
 * bins follow value order) to find the bin of each wanted rank, pass 3 copies only those bins'
 * values, and a quickselect in each gives the exact order statistic. Memory stays small unless
 * one bin holds most values.
 */
export function percentiles(
  data: VoxelArray,
  qs: readonly number[],
  above: number | null = null,
): { values: number[]; count: number } {
  for (const q of qs) {
    if (!(q >= 0 && q <= 100)) throw new InvalidInputError(`percentile must be within 0..100, got ${q}`);
  }
  const lowest = above ?? -Infinity;
  const len = data.length;
  const finish = (n: number, valueAt: (ranks: number[]) => number[]) => {
    if (n === 0) return { values: qs.map(() => NaN), count: 0 };
    const positions = qs.map((q) => percentilePosition(n, q));
    const ranks = ranksFor(positions);
    const stats = valueAt(ranks);
    const at = (r: number) => stats[ranks.indexOf(r)];
    return { values: positions.map((p) => lerp(at(p.i), at(p.j), p.g)), count: n };
  };

  if (data instanceof Uint8Array || data instanceof Int16Array || data instanceof Uint16Array) {
    const offset = data instanceof Int16Array ? 32768 : 0;
    const counts = new Float64Array(BINS);
    let n = 0;
    for (let i = 0; i < len; i++) {
      const v = data[i];
      if (v > lowest) {
        counts[v + offset]++;
        n++;
      }
    }
    return finish(n, (ranks) => {
      const out: number[] = [];
      let bin = 0;
      let upTo = counts[0]; // values in bins [0, bin]
      for (const r of ranks) {
        while (upTo <= r) upTo += counts[++bin];
        out.push(bin - offset);
      }
      return out;
    });
  }

  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < len; i++) {
    const v = data[i];
    if (v > lowest) {
      n++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return finish(n, (ranks) => {
    const scale = max > min ? BINS / (max - min) : 0;
    // Correctly rounded subtraction and multiplication are monotonic, so bins follow value order.
    const binOf = (v: number) => Math.min(BINS - 1, Math.floor((v - min) * scale));
    const counts = new Float64Array(BINS);
    for (let i = 0; i < len; i++) {
      const v = data[i];
      if (v > lowest) counts[binOf(v)]++;
    }
    // The bin of each rank, and how many kept values lie in lower bins.
    const wanted = new Map<number, { before: number; values: Numeric; filled: number }>();
    const where: { bin: number; rank: number }[] = [];
    let bin = 0;
    let before = 0;
    for (const r of ranks) {
      while (before + counts[bin] <= r) before += counts[bin++];
      if (!wanted.has(bin)) {
        // float32 values copy exactly into a Float32Array (half the memory); int32 needs float64.
        const size = counts[bin];
        const values = data instanceof Float32Array ? new Float32Array(size) : new Float64Array(size);
        wanted.set(bin, { before, values, filled: 0 });
      }
      where.push({ bin, rank: r });
    }
    for (let i = 0; i < len; i++) {
      const v = data[i];
      if (!(v > lowest)) continue;
      const w = wanted.get(binOf(v));
      if (w) w.values[w.filled++] = v;
    }
    return where.map(({ bin: b, rank }) => {
      const w = wanted.get(b) as { before: number; values: Numeric };
      const k = rank - w.before;
      select(w.values, 0, w.values.length - 1, k);
      return w.values[k];
    });
  });
}

/**
 * The linear map of the module header, into `out`. It is monotonic, so the output range is the
 * map of the input range (no per-voxel bookkeeping).
 */
function applyLinear(
  data: VoxelArray,
  input: { min: number; max: number },
  low: number,
  high: number,
  out: Float32Array,
): { min: number; max: number } {
  const range = high - low;
  const map = (v: number) => (((v < low ? low : v > high ? high : v) - low) / range) * 255;
  const n = data.length;
  if (!(data instanceof Float32Array) && input.max - input.min < 1 << 17) {
    // Integer voxels (an int16 CT): each value mapped once, then looked up; the same float64
    // arithmetic per value, about three times faster than per voxel.
    const table = new Float32Array(input.max - input.min + 1);
    for (let v = input.min; v <= input.max; v++) table[v - input.min] = map(v);
    const offset = input.min;
    for (let i = 0; i < n; i++) out[i] = table[data[i] - offset];
  } else {
    for (let i = 0; i < n; i++) {
      const v = data[i];
      out[i] = (((v < low ? low : v > high ? high : v) - low) / range) * 255;
    }
  }
  return { min: Math.fround(map(input.min)), max: Math.fround(map(input.max)) };
}

/**
 * Scale an image's voxels to 0..255 float32 for Medal S and say how. `data` is any voxel buffer
 * (order does not matter: the map is per voxel).
 */
export function scaleIntensity(data: VoxelArray, options: IntensityOptions): ScaledIntensity {
  const modality = options.modality;
  const input = options.range ? { ...options.range } : scanRange(data);
  const out = new Float32Array(data.length);

  if (options.challengeNpz) {
    if (!(data instanceof Uint8Array)) {
      throw new InvalidInputError('challenge npz imgs must be uint8 (0..255) to be used without scaling');
    }
    out.set(data);
    return {
      data: out,
      mapping: {
        method: 'none',
        modality,
        description: 'challenge npz imgs are already 0..255 (uint8): used as they are',
        formula: 'out = v',
        input,
        low: null,
        high: null,
        output: { ...input },
      },
    };
  }

  if (modality === 'CT' && (options.ctMethod ?? 'window') === 'window') {
    const window = options.window ?? CT_WINDOW_DEFAULT;
    if (!(Number.isFinite(window.level) && Number.isFinite(window.width) && window.width > 0)) {
      throw new InvalidInputError(
        `CT window needs a finite level and a positive width, got ${JSON.stringify(window)}`,
      );
    }
    const low = window.level - window.width / 2;
    const high = window.level + window.width / 2;
    const output = applyLinear(data, input, low, high, out);
    return {
      data: out,
      mapping: {
        method: 'ct-window',
        modality,
        description: `CT window level ${window.level} / width ${window.width} HU: ${low} HU -> 0, ${high} HU -> 255`,
        formula: FORMULA,
        input,
        low,
        high,
        window: { level: window.level, width: window.width },
        output,
      },
    };
  }

  const [qLow, qHigh] = options.percentiles ?? PERCENTILES_DEFAULT;
  if (!(qLow >= 0 && qHigh <= 100 && qLow < qHigh)) {
    throw new InvalidInputError(`percentiles must satisfy 0 <= low < high <= 100, got ${qLow}, ${qHigh}`);
  }
  let above: number;
  let foreground: string;
  let method: IntensityMethod;
  if (modality === 'CT') {
    const hu = options.ctForegroundHU ?? CT_FOREGROUND_HU_DEFAULT;
    above = hu;
    foreground = `voxels above ${hu} HU`;
    method = 'ct-foreground-percentile';
  } else {
    const floor = input.min;
    above = floor;
    foreground = `voxels above the image minimum ${floor} (non-zero after shifting the minimum to 0)`;
    method = 'percentile-minmax';
  }
  const { values, count } = percentiles(data, [qLow, qHigh], above);
  if (count === 0) throw new InvalidInputError(`the ${modality} foreground (${foreground}) is empty`);
  const [low, high] = values;
  if (!(high > low)) {
    throw new InvalidInputError(
      `the ${qLow} and ${qHigh} percentiles of the ${modality} foreground are both ${low}: ` +
        'the image is nearly constant, nothing to scale',
    );
  }
  const output = applyLinear(data, input, low, high, out);
  return {
    data: out,
    mapping: {
      method,
      modality,
      description:
        `${modality}: clipped to the ${qLow}..${qHigh} percentiles of the foreground (${foreground}), ` +
        `${low} -> 0 and ${high} -> 255`,
      formula: FORMULA,
      input,
      low,
      high,
      percentiles: {
        low: qLow,
        high: qHigh,
        interpolation: 'linear (numpy.percentile default)',
        foreground,
        foregroundVoxels: count,
        totalVoxels: data.length,
      },
      output,
    },
  };
}
