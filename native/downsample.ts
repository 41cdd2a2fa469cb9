/**
 * Block downsampling for the report's viewer copies (src/downsample.*, bindings in
 * src/downsample_binding.cc): block means of an image, block modes of a label map.
 */
import { loadNative } from './addon.js';
import type { LabelArray, Size3, VoxelArray } from './addon.js';

/** The raw downsampling functions of the addon. */
export interface DownsampleAddon {
  blockMean(data: VoxelArray, size: Size3, factors: Size3, out: VoxelArray): void;
  blockMode(data: LabelArray, size: Size3, factors: Size3, out: LabelArray): void;
}

/** The output extent: ceil(size / factors) per axis. */
export function blockGridSize(size: Size3, factors: Size3): [number, number, number] {
  return [Math.ceil(size[0] / factors[0]), Math.ceil(size[1] / factors[1]), Math.ceil(size[2] / factors[2])];
}

function like<T extends VoxelArray>(data: T, length: number): T {
  return new (data.constructor as new (n: number) => T)(length);
}

/**
 * Means of the blocks of `factors` voxels (the last block of an axis cut at the edge), x fastest,
 * in data's type: integer voxels summed exactly and rounded as Math.round, float32 voxels added in
 * (z, y, x) order in a double. Blocks of at most 2^21 voxels.
 */
export function blockMean<T extends VoxelArray>(data: T, size: Size3, factors: Size3): T {
  const g = blockGridSize(size, factors);
  const out = like(data, g[0] * g[1] * g[2]);
  loadNative<DownsampleAddon>().blockMean(data, size, factors, out);
  return out;
}

/** The most frequent value of each block (ties: the smaller value), as blockMean lays them out. */
export function blockMode<T extends LabelArray>(data: T, size: Size3, factors: Size3): T {
  const g = blockGridSize(size, factors);
  const out = like(data, g[0] * g[1] * g[2]);
  loadNative<DownsampleAddon>().blockMode(data, size, factors, out);
  return out;
}
