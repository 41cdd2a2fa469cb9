/**
 * Plain TypeScript versions of the Gaussian importance map, the stitching accumulator and the
 * self-refinement block masks: the test oracle for native/stitch.ts (src/gaussian.*,
 * src/stitch.*, src/block_mask.*). Plain loops, no checks.
 *
 * Layout as in the addon: grids in the model's (H, W, D) order, C order (d fastest), one
 * Float32Array per class plus one shared weight volume; a patch of logits is (N, ph, pw, pd) in
 * C order. Every float32 step is a Math.fround of the double result, which is the correctly
 * rounded float32 operation, so sigmoid and the sums match the C++ bit for bit.
 */
import type { BlockMask, Hwd, LogitArray, StitchAddArgs, StitchFinalizeArgs } from '../../native/index.js';

const f = Math.fround;

/** A float32 from its bit pattern. */
function bitsToFloat(bits: number): number {
  const u = new Uint32Array([bits]);
  return new Float32Array(u.buffer)[0];
}

// The Cephes expf constants of src/stitch.cc, by bit pattern.
const LOG2E = bitsToFloat(0x3fb8aa3b);
const ROUND = 12582912; // 1.5 * 2^23
const LN2_HI = bitsToFloat(0x3f318000);
const LN2_LO = bitsToFloat(0xb95e8083);
const P0 = bitsToFloat(0x39506967);
const P1 = bitsToFloat(0x3ab743ce);
const P2 = bitsToFloat(0x3c088908);
const P3 = bitsToFloat(0x3d2aa9c1);
const P4 = bitsToFloat(0x3e2aaaaa);
const P5 = 0.5;

/** Logits are clamped to this range before the sigmoid (see src/stitch.h). */
export const SIGMOID_LOGIT_RANGE = [-64, 64] as const;

/**
 * The addon's float32 sigmoid, 1 / (1 + exp(-x)) with a Cephes-style expf, operation by
 * operation (x is a float32 value). Within ~2e-7 relative of the exact sigmoid on [-64, 64].
 */
export function sigmoid(x: number): number {
  if (Number.isNaN(x)) return NaN;
  let t = -x;
  if (t < -SIGMOID_LOGIT_RANGE[1]) t = -SIGMOID_LOGIT_RANGE[1];
  if (t > -SIGMOID_LOGIT_RANGE[0]) t = -SIGMOID_LOGIT_RANGE[0];
  const k = f(t * LOG2E);
  const n = f(f(k + ROUND) - ROUND);
  let r = f(t - f(n * LN2_HI));
  r = f(r - f(n * LN2_LO));
  const z = f(r * r);
  let p = P0;
  p = f(f(p * r) + P1);
  p = f(f(p * r) + P2);
  p = f(f(p * r) + P3);
  p = f(f(p * r) + P4);
  p = f(f(p * r) + P5);
  let e = f(f(f(p * z) + r) + 1);
  e = f(e * 2 ** n);
  return f(1 / f(1 + e));
}

/** float16 bits -> the number (exact). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** x rounded to an integer, ties to even (x >= 0). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 === 1 ? r - 1 : r;
}

/** The float16 number nearest to v, ties to even (one rounding, as numpy's astype(float16)). */
export function roundToHalf(v: number): number {
  if (Number.isNaN(v)) return NaN;
  const a = Math.abs(v);
  const sign = v < 0 || Object.is(v, -0) ? -1 : 1;
  if (a >= 65520) return sign * Infinity;
  if (a < 2 ** -14) return sign * roundHalfEven(a * 2 ** 24) * 2 ** -24;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const quantum = 2 ** (e - 10);
  return sign * roundHalfEven(a / quantum) * quantum;
}

/** The float16 bits of roundToHalf(v). */
export function floatToHalfBits(v: number): number {
  const h = roundToHalf(v);
  if (Number.isNaN(h)) return 0x7e00;
  const sign = h < 0 || Object.is(h, -0) ? 0x8000 : 0;
  const a = Math.abs(h);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | (a / 2 ** (e - 10) - 1024);
}

/** numpy's pairwise float64 sum (ndarray.sum of a contiguous array). */
function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = -0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = Array.from(a.subarray(start, start + 8));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** scipy's filter of a unit impulse at p // 2 along one axis (sigma p / 8, radius int(4 sigma + 0.5)). */
function axisProfile(p: number): Float64Array {
  const sigma = p * 0.125;
  const radius = Math.floor(4 * sigma + 0.5);
  const kernel = new Float64Array(2 * radius + 1);
  const scale = -0.5 / (sigma * sigma);
  for (let j = -radius; j <= radius; j++) kernel[j + radius] = Math.exp(scale * (j * j));
  const sum = pairwiseSum(kernel, 0, kernel.length);
  for (let j = 0; j < kernel.length; j++) kernel[j] = kernel[j] / sum;
  const profile = new Float64Array(p);
  const centre = Math.floor(p / 2);
  for (let i = 0; i < p; i++) {
    const offset = i - centre;
    if (Math.abs(offset) <= radius) profile[i] = kernel[offset + radius];
  }
  return profile;
}

/**
 * Medal S's compute_gaussian over a patch [ph, pw, pd]: C order (d fastest), float32 values of
 * float16 numbers, zeros replaced by the smallest non-zero value.
 */
export function gaussianImportance(patch: Hwd): Float32Array {
  const [gh, gw, gd] = patch.map(axisProfile);
  let peak = 0;
  for (const h of gh) for (const w of gw) for (const d of gd) peak = Math.max(peak, h * w * d);
  const out = new Float32Array(patch[0] * patch[1] * patch[2]);
  let smallest = Infinity;
  let n = 0;
  for (const h of gh) {
    for (const w of gw) {
      for (const d of gd) {
        const v = roundToHalf(((h * w * d) / peak) * 10);
        out[n++] = v;
        if (v > 0 && v < smallest) smallest = v;
      }
    }
  }
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = smallest;
  return out;
}

/**
 * Adds one window: sums[c] += sigmoid(logit) * importance and weights += importance over the
 * window at `offset` (all float32). Uint16Array logits are float16 bits.
 */
export function stitchAdd(...[sums, weights, grid, logits, patch, offset, importance]: StitchAddArgs): void {
  const [, W, D] = grid;
  const [ph, pw, pd] = patch;
  const patchVoxels = ph * pw * pd;
  const half = logits instanceof Uint16Array;
  for (let h = 0; h < ph; h++) {
    for (let w = 0; w < pw; w++) {
      for (let d = 0; d < pd; d++) {
        const p = (h * pw + w) * pd + d;
        const g = importance[p];
        const v = ((offset[0] + h) * W + offset[1] + w) * D + offset[2] + d;
        weights[v] = f(weights[v] + g);
        for (let c = 0; c < sums.length; c++) {
          const raw = logits[c * patchVoxels + p];
          const x = half ? halfToFloat(raw) : raw;
          sums[c][v] = f(sums[c][v] + f(sigmoid(x) * g));
        }
      }
    }
  }
}

/**
 * Per voxel: p = sums[c] / weights (0 where the weight is 0), the first class with the highest p
 * (NaN never wins), labels = values[c] where p >= threshold else 0, maxProbability = p.
 * writeProbabilities: p replaces sums[c] in place.
 */
export function stitchFinalize(
  ...[sums, weights, grid, values, threshold, writeProbabilities, labels, maxProbability]: StitchFinalizeArgs
): void {
  const voxels = grid[0] * grid[1] * grid[2];
  for (let i = 0; i < voxels; i++) {
    const w = weights[i];
    let best = NaN;
    let arg = 0;
    for (let c = 0; c < sums.length; c++) {
      const p = w > 0 ? f(sums[c][i] / w) : 0;
      if (writeProbabilities) sums[c][i] = p;
      if (c === 0 || p > best || Number.isNaN(best)) {
        best = p;
        arg = c;
      }
    }
    labels[i] = best >= threshold ? values[arg] : 0;
    if (maxProbability !== null) maxProbability[i] = best;
  }
}

/** A block mask voxel by voxel over its patch (C order, d fastest): 1 where the block is selected. */
export function blockMaskVoxels({ blocks, patch, blockSize }: BlockMask): Uint8Array {
  const nb = patch.map((p) => Math.ceil(p / blockSize));
  const mask = new Uint8Array(patch[0] * patch[1] * patch[2]);
  let o = 0;
  for (let h = 0; h < patch[0]; h++) {
    for (let w = 0; w < patch[1]; w++) {
      for (let d = 0; d < patch[2]; d++) {
        const block =
          (Math.floor(h / blockSize) * nb[1] + Math.floor(w / blockSize)) * nb[2] + Math.floor(d / blockSize);
        mask[o++] = blocks[block] !== 0 ? 1 : 0;
      }
    }
  }
  return mask;
}

/** dst = src where the voxel's block is selected (keep) or not (!keep), else 0; whole patches. */
export function blockSelect(mask: BlockMask, keep: boolean, src: Float32Array, dst: Float32Array): void {
  const voxels = blockMaskVoxels(mask);
  for (let i = 0; i < src.length; i++) dst[i] = (voxels[i % voxels.length] === 1) === keep ? src[i] : 0;
}

/** a = b where the voxel's block is selected, else a; whole patches. */
export function blockMerge(mask: BlockMask, a: LogitArray, b: LogitArray): void {
  const voxels = blockMaskVoxels(mask);
  for (let i = 0; i < a.length; i++) if (voxels[i % voxels.length] === 1) a[i] = b[i];
}
