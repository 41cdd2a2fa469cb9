/**
 * Stitching benchmark (issue 3): a 24-class 256 x 256 x 160 grid from 128^3 patches at 50 %
 * overlap (planWindows: 3 x 3 x 2 = 18 windows), native addon against a straightforward
 * TypeScript loop and against this machine's memory bandwidth, all measured in this run.
 *
 * Traffic counted per window, as the issue defines it: its logits read (4 bytes per value, 2 for
 * float16), the N class accumulators and the weight volume over its extent read and written
 * (8 bytes per voxel each). Bandwidth reference: copying a 256 MiB Float32Array into another
 * (TypedArray.prototype.set, i.e. memcpy; 2 x 256 MiB of traffic), best of 5, next to the same
 * copy as a plain JavaScript loop. Times are the best of a few passes over warm buffers (the
 * first pass also pays the page faults of a fresh 1 GiB accumulator; it is shown as "cold").
 * Prints a table; asserts nothing about time.
 */
import { describe, expect, it } from 'vitest';

import { planWindows } from '../../functions/lib/medal-s/windows.js';
import { StitchAccumulator, stitchInfo } from '../../native/index.js';
import { halfToFloat } from '../oracles/index.js';
import { best, seconds } from '../helpers/timing.js';

const GRID: [number, number, number] = [256, 256, 160];
const PATCH: [number, number, number] = [128, 128, 128];
const CLASSES = 24;
const PATCH_VOXELS = PATCH[0] * PATCH[1] * PATCH[2];
const GRID_VOXELS = GRID[0] * GRID[1] * GRID[2];

/** The straightforward TypeScript loop: one window into class-major Float32Arrays (d fastest). */
function tsAdd(
  sums: Float32Array[],
  weights: Float32Array,
  logits: Float32Array,
  offset: readonly number[],
  importance: Float32Array,
): void {
  const [, W, D] = GRID;
  const [ph, pw, pd] = PATCH;
  for (let h = 0; h < ph; h++) {
    for (let w = 0; w < pw; w++) {
      const row = ((offset[0] + h) * W + offset[1] + w) * D + offset[2];
      const p = (h * pw + w) * pd;
      for (let d = 0; d < pd; d++) weights[row + d] += importance[p + d];
      for (let c = 0; c < sums.length; c++) {
        const sum = sums[c];
        const src = c * PATCH_VOXELS + p;
        for (let d = 0; d < pd; d++) sum[row + d] += importance[p + d] / (1 + Math.exp(-logits[src + d]));
      }
    }
  }
}

/** Counted bytes of one window (see the header). */
function windowTraffic(logitBytes: number): number {
  return PATCH_VOXELS * (CLASSES * logitBytes + CLASSES * 8 + 8);
}

describe('stitching benchmark', () => {
  it(`${CLASSES} classes, ${GRID.join('x')} grid, ${PATCH.join('x')} patches at 50 % overlap`, () => {
    const windows = planWindows(GRID, PATCH);
    const info = stitchInfo();

    // Memory bandwidth of this machine, now: copy 256 MiB.
    const copyLength = 64 * 1024 * 1024;
    const src = new Float32Array(copyLength).fill(1);
    const dst = new Float32Array(copyLength).fill(2);
    const copyBytes = 2 * src.byteLength;
    const memcpy = copyBytes / best(5, () => dst.set(src));
    const loopCopy =
      copyBytes /
      best(2, () => {
        for (let i = 0; i < copyLength; i++) dst[i] = src[i];
      });
    const bandwidth = Math.max(memcpy, loopCopy);

    // Logits of one window, reused for every window (the values do not change the work): float16
    // numbers with |x| in [1/16, 8), and the same values as float32.
    const half = new Uint16Array(CLASSES * PATCH_VOXELS);
    let seed = 1;
    for (let i = 0; i < half.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      half[i] = (seed >>> 31 ? 0x8000 : 0) | ((11 + ((seed >>> 10) % 7)) << 10) | (seed & 0x3ff);
    }
    const logits = Float32Array.from(half, halfToFloat);

    const rows: { name: string; seconds: number; windows: number; logitBytes: number }[] = [];
    const runNative = (threads: number, label: string) => {
      const acc = new StitchAccumulator(GRID, CLASSES, PATCH, { threads });
      const cold = seconds(() => windows.forEach((w) => acc.add(logits, w)));
      const warm = best(2, () => windows.forEach((w) => acc.add(logits, w)));
      const f16 = best(1, () => windows.forEach((w) => acc.add(half, w)));
      const finalize = best(2, () => acc.finalize());
      rows.push({
        name: `native ${label}, cold (fresh 1 GiB accumulator)`,
        seconds: cold,
        windows: 18,
        logitBytes: 4,
      });
      rows.push({ name: `native ${label}, float32 logits`, seconds: warm, windows: 18, logitBytes: 4 });
      rows.push({ name: `native ${label}, float16 logits`, seconds: f16, windows: 18, logitBytes: 2 });
      return { acc, finalize };
    };
    const one = runNative(1, '1 thread');
    const many = info.defaultThreads > 1 ? runNative(0, `${info.defaultThreads} threads`) : null;

    // The TypeScript loop on the first 3 windows (it is slow), into the warm accumulator's buffers,
    // next to native on the same 3 windows.
    const tsWindows = windows.slice(0, 3);
    const acc = one.acc;
    const ts = best(1, () =>
      tsWindows.forEach((w) => tsAdd(acc.sums, acc.weights, logits, w, acc.importance)),
    );
    const nativeSame = best(2, () => tsWindows.forEach((w) => acc.add(logits, w)));
    rows.push({ name: 'TypeScript loop (Math.exp), 3 windows', seconds: ts, windows: 3, logitBytes: 4 });
    rows.push({
      name: 'native 1 thread, the same 3 windows',
      seconds: nativeSame,
      windows: 3,
      logitBytes: 4,
    });

    const gb = (bytesPerSecond: number) => (bytesPerSecond / 1e9).toFixed(1);
    const lines = [
      '',
      `Stitching ${CLASSES} classes into ${GRID.join(' x ')} from ${windows.length} windows of ${PATCH.join(' x ')}` +
        ` (vector loops: ${info.instructionSet}, ${info.defaultThreads} threads by default)`,
      `Memory bandwidth: memcpy ${gb(memcpy)} GB/s, JS copy loop ${gb(loopCopy)} GB/s; reference ${gb(bandwidth)} GB/s` +
        ' (single thread, read + write)',
      '',
      `${'case'.padEnd(52)}${'ms/window'.padStart(10)}${'GB/s'.padStart(8)}${'x copy bw'.padStart(11)}`,
    ];
    for (const r of rows) {
      const perWindow = r.seconds / r.windows;
      const rate = windowTraffic(r.logitBytes) / perWindow;
      lines.push(
        `${r.name.padEnd(52)}${(perWindow * 1e3).toFixed(1).padStart(10)}${gb(rate).padStart(8)}` +
          `${(rate / bandwidth).toFixed(2).padStart(11)}`,
      );
    }
    const finalizeBytes = GRID_VOXELS * (CLASSES * 4 + 4 + 1 + 4);
    lines.push(
      `${'finalize, 1 thread (labels + max probability)'.padEnd(52)}${(one.finalize * 1e3).toFixed(1).padStart(10)}` +
        `${gb(finalizeBytes / one.finalize).padStart(8)}${(finalizeBytes / one.finalize / bandwidth).toFixed(2).padStart(11)}`,
    );
    if (many) {
      lines.push(
        `${`finalize, ${info.defaultThreads} threads`.padEnd(52)}${(many.finalize * 1e3).toFixed(1).padStart(10)}` +
          `${gb(finalizeBytes / many.finalize).padStart(8)}${(finalizeBytes / many.finalize / bandwidth).toFixed(2).padStart(11)}`,
      );
    }
    const warm1 = rows[1].seconds / 18;
    const ratioTs = ts / nativeSame;
    const ratioBw = windowTraffic(4) / warm1 / bandwidth;
    lines.push(
      '',
      `native (1 thread) vs TypeScript loop: ${ratioTs.toFixed(1)}x faster (target >= 5x)`,
      `native (1 thread, float32) vs copy bandwidth: ${ratioBw.toFixed(2)} (target >= 0.5)`,
      '',
    );
    console.log(lines.join('\n'));
    expect(rows.every((r) => Number.isFinite(r.seconds) && r.seconds > 0)).toBe(true);
  });
});
