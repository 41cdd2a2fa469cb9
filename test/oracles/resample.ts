/**
 * Plain TypeScript label-map resampling: the test oracle for native/resample.ts
 * (src/resample_labels.*). This is the loop functions/lib/resample/resample.ts ran before the addon took
 * over, unchanged: the native kernel evaluates every coordinate and weight in the same float64
 * order (compiled without FMA contraction), so both give the same labels bit for bit. No checks.
 * Also the oracle of the table-driven resampling (resampleLabelsTaps), float32 and float16 as
 * torch computes them.
 */
import type * as native from '../../native/index.js';
import { roundToHalf } from './stitch.js';

/**
 * Label map `data` (size [X, Y, Z], x fastest) resampled onto a grid of `targetSize`: target
 * index t maps to the continuous input index c = A t + b; outside [-0.5, size - 0.5] on any axis
 * is background 0; otherwise each label gets the summed trilinear weight of its corners among the
 * 8 neighbours (corners of weight 0 skipped) and the largest wins, ties within 1e-12 to the lower
 * value. Writes every voxel of `out` (default a new array of data's type) and returns it.
 */
export const resampleLabels: typeof native.resampleLabels = (data, size, affine, targetSize, out) => {
  const { A, b } = affine;
  const [X, Y] = size;
  const src = data;
  const count = targetSize[0] * targetSize[1] * targetSize[2];
  const dst = out ?? new (data.constructor as new (length: number) => typeof data)(count);
  const values = new Float64Array(8);
  const weights = new Float64Array(8);
  const base = new Int32Array(3);
  const frac = new Float64Array(3);
  const c = new Float64Array(3);
  let n = 0;
  for (let k = 0; k < targetSize[2]; k++) {
    for (let j = 0; j < targetSize[1]; j++) {
      for (let i = 0; i < targetSize[0]; i++, n++) {
        let inside = true;
        for (let r = 0; r < 3; r++) {
          const v = A[r * 3] * i + A[r * 3 + 1] * j + A[r * 3 + 2] * k + b[r];
          if (v < -0.5 || v > size[r] - 0.5) inside = false;
          c[r] = Math.min(Math.max(v, 0), size[r] - 1);
          base[r] = Math.min(Math.floor(c[r]), Math.max(size[r] - 2, 0));
          frac[r] = size[r] === 1 ? 0 : c[r] - base[r];
        }
        if (!inside) {
          dst[n] = 0;
          continue;
        }
        let used = 0;
        for (let corner = 0; corner < 8; corner++) {
          const dx = corner & 1;
          const dy = (corner >> 1) & 1;
          const dz = corner >> 2;
          const w =
            (dx ? frac[0] : 1 - frac[0]) * (dy ? frac[1] : 1 - frac[1]) * (dz ? frac[2] : 1 - frac[2]);
          if (w === 0) continue;
          const value = src[base[0] + dx + X * (base[1] + dy + Y * (base[2] + dz))];
          let slot = 0;
          while (slot < used && values[slot] !== value) slot++;
          if (slot === used) {
            values[used] = value;
            weights[used++] = 0;
          }
          weights[slot] += w;
        }
        let best = 0;
        for (let s = 1; s < used; s++) {
          if (
            weights[s] > weights[best] + 1e-12 ||
            (Math.abs(weights[s] - weights[best]) <= 1e-12 && values[s] < values[best])
          )
            best = s;
        }
        dst[n] = used ? values[best] : 0;
      }
    }
  }
  return dst;
};

/** a * b + c with one rounding to float32 (C's fmaf), for float32 a, b, c. */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact: two 24-bit significands fit in a double's 53
  const s = p + c;
  const r = Math.fround(s);
  // Rounding the double sum to float32 is a second rounding; it can differ from rounding the
  // exact sum only when s is exactly halfway between two float32 numbers and s is not exact.
  const v = s - p;
  const err = p - (s - v) + (c - v); // TwoSum: s + err === p + c exactly
  if (err === 0 || r === s) return r;
  const other = nextFloat32(r, r < s ? Infinity : -Infinity);
  if (Math.abs(s - r) !== Math.abs(other - s)) return r;
  // s is a midpoint: the exact sum lies on err's side of it.
  return err > 0 === other > r ? other : r;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to `x` (a float32) towards `to`. */
function nextFloat32(x: number, to: number): number {
  if (x === 0) return to > 0 ? 2 ** -149 : -(2 ** -149);
  f32[0] = x;
  u32[0] += x > 0 === to > x ? 1 : -1;
  return f32[0];
}

/**
 * Label map `data` (size [X, Y, Z], x fastest) resampled by separable two-tap tables (see
 * native/resample.ts resampleLabelsTaps): each target voxel's 8 corners are the tables' inputs;
 * every label value among them scores its one-hot x 1000 interpolated along z, then x, then y,
 * each step fmaf(v0, w0, fround(v1 * w1)), rounded to float16; the largest score wins, ties to
 * the lower value. Writes every voxel of `out` (default a new array of data's type).
 */
export const resampleLabelsTaps: typeof native.resampleLabelsTaps = (data, size, taps, out) => {
  const [X, Y] = size;
  const to = taps.map((t) => t.index.length / 2);
  const dst = out ?? new (data.constructor as new (length: number) => typeof data)(to[0] * to[1] * to[2]);
  const corner = new Float64Array(8);
  let n = 0;
  for (let k = 0; k < to[2]; k++) {
    for (let j = 0; j < to[1]; j++) {
      for (let i = 0; i < to[0]; i++, n++) {
        const t = [i, j, k];
        for (let c = 0; c < 8; c++) {
          const at = [0, 1, 2].map((a) => taps[a].index[2 * t[a] + ((c >> a) & 1)]);
          corner[c] = data[at[0] + X * (at[1] + Y * at[2])];
        }
        const w = (a: number, tap: number) => taps[a].weight[2 * t[a] + tap];
        let best = corner[0];
        let bestScore = -1;
        for (const u of [...new Set(corner)].sort((p, q) => p - q)) {
          const oneHot = (c: number) => (corner[c] === u ? 1000 : 0);
          const alongY: number[] = [];
          for (let dy = 0; dy < 2; dy++) {
            const alongX: number[] = [];
            for (let dx = 0; dx < 2; dx++) {
              const c = dx + 2 * dy;
              alongX.push(fmaf(oneHot(c), w(2, 0), Math.fround(oneHot(c + 4) * w(2, 1))));
            }
            alongY.push(fmaf(alongX[0], w(0, 0), Math.fround(alongX[1] * w(0, 1))));
          }
          const score = roundToHalf(fmaf(alongY[0], w(1, 0), Math.fround(alongY[1] * w(1, 1))));
          // Ascending values: a later one wins only with a strictly larger score.
          if (score > bestScore) {
            best = u;
            bestScore = score;
          }
        }
        dst[n] = best;
      }
    }
  }
  return dst;
};
