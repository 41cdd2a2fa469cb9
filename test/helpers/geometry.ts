/**
 * Grids and volumes for tests: a Geometry from its parts (identity direction, zero origin and
 * 1 mm voxels unless given), a walk over every voxel in storage order (x fastest), volumes filled
 * from a function of the voxel index, and solid shapes painted into x-fastest buffers.
 */
import {
  type Geometry,
  IDENTITY,
  type Mat3,
  type Vec3,
  Volume,
  type VoxelArrays,
  type VoxelType,
  allocate,
} from '../../functions/lib/geometry/volume.js';

/** `size` voxels of `spacing` mm from `origin`, index axes along the columns of `direction`. */
export function geometry(
  size: Readonly<Vec3>,
  spacing: Readonly<Vec3> = [1, 1, 1],
  origin: Readonly<Vec3> = [0, 0, 0],
  direction: Readonly<Mat3> = IDENTITY,
): Geometry {
  return { size: [...size], spacing: [...spacing], origin: [...origin], direction: [...direction] };
}

/** Calls `visit(i, j, k, n)` for every voxel of `size`, in storage order (n = i + X * (j + Y * k)). */
export function forEachVoxel(
  size: readonly number[],
  visit: (i: number, j: number, k: number, n: number) => void,
): void {
  const [X, Y, Z] = size;
  for (let k = 0, n = 0; k < Z; k++)
    for (let j = 0; j < Y; j++) for (let i = 0; i < X; i++, n++) visit(i, j, k, n);
}

/** A volume of `type` on `g` whose voxel (i, j, k) holds `value(i, j, k, n)`. */
export function volumeOf<T extends VoxelType>(
  type: T,
  g: Geometry,
  value: (i: number, j: number, k: number, n: number) => number,
): Volume<T> {
  const data: VoxelArrays[T] = allocate(type, g.size[0] * g.size[1] * g.size[2]);
  forEachVoxel(g.size, (i, j, k, n) => (data[n] = value(i, j, k, n)));
  return new Volume(g, data);
}

/** Sets the voxels of `data` (x fastest, `size`) inside the ellipsoid of `center` and `radii` (voxels) to `value`. */
export function paintEllipsoid(
  data: { [n: number]: number },
  size: readonly number[],
  center: readonly number[],
  radii: readonly number[],
  value: number,
): void {
  forEachVoxel(size, (x, y, z, n) => {
    const q =
      ((x - center[0]) / radii[0]) ** 2 +
      ((y - center[1]) / radii[1]) ** 2 +
      ((z - center[2]) / radii[2]) ** 2;
    if (q <= 1) data[n] = value;
  });
}
