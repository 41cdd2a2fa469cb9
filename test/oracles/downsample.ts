/**
 * Brute-force block downsampling: the oracle of native/downsample.ts. Each output voxel gathers
 * its block's voxels one by one in (z, y, x) order, then takes their mean (a double sum, divided;
 * Math.round for integer types, float32 rounding for float32) or their most frequent value (ties:
 * the smaller).
 */
import type { Size3 } from '../../native/index.js';

function blocks(data: ArrayLike<number>, size: Size3, f: Size3, each: (block: number[]) => number): number[] {
  const [X, Y, Z] = size;
  const out: number[] = [];
  for (let k0 = 0; k0 < Z; k0 += f[2])
    for (let j0 = 0; j0 < Y; j0 += f[1])
      for (let i0 = 0; i0 < X; i0 += f[0]) {
        const block: number[] = [];
        for (let k = k0; k < Math.min(Z, k0 + f[2]); k++)
          for (let j = j0; j < Math.min(Y, j0 + f[1]); j++)
            for (let i = i0; i < Math.min(X, i0 + f[0]); i++) block.push(data[i + X * (j + Y * k)]);
        out.push(each(block));
      }
  return out;
}

export function blockMean(data: ArrayLike<number>, size: Size3, f: Size3, float: boolean): number[] {
  return blocks(data, size, f, (block) => {
    const mean = block.reduce((a, x) => a + x, 0) / block.length;
    // + 0: an integer array holds no -0 (Math.round(-0.4) is -0).
    return float ? Math.fround(mean) : Math.round(mean) + 0;
  });
}

export function blockMode(data: ArrayLike<number>, size: Size3, f: Size3): number[] {
  return blocks(data, size, f, (block) => {
    const counts = new Map<number, number>();
    for (const x of block) counts.set(x, (counts.get(x) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  });
}
