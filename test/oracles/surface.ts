/**
 * Plain TypeScript versions of the distance transform and the surface-distance kernels: the test
 * oracle for native/surface.ts. Written from the definitions, not from the C++: distances by a
 * brute-force search over every feature (O(voxels x features), small volumes only), neighbour
 * codes by summing the kernel's weights, surfel areas from functions/lib/metrics/surfel-normals.json.
 */
import { surfelAreas as tableSurfelAreas } from '../../functions/lib/metrics/surfel-table.js';
import type * as native from '../../native/index.js';
import type {
  BoundingBox,
  MaskOptions,
  NeighbourCodeMap,
  Size3,
  Spacing3,
  VoxelArray,
} from '../../native/index.js';

/** The evaluator's kernel, KERNEL[a][b][c] for numpy offsets (axis 0, 1, 2) = (z, y, x). */
const KERNEL = [
  [
    [128, 64],
    [32, 16],
  ],
  [
    [8, 4],
    [2, 1],
  ],
] as const;

type Point = [number, number, number];

/** scipy's squared distance of an offset, summed over numpy axes 0, 1, 2 = (z, y, x). */
function squared(dx: number, dy: number, dz: number, spacing: Spacing3): number {
  const a0 = dz * spacing[2];
  const a1 = dy * spacing[1];
  const a2 = dx * spacing[0];
  return a0 * a0 + a1 * a1 + a2 * a2;
}

function nearestSquared(p: Point, features: Point[], spacing: Spacing3): number {
  let best = Infinity;
  for (const f of features) {
    const d = squared(f[0] - p[0], f[1] - p[1], f[2] - p[2], spacing);
    if (d < best) best = d;
  }
  return best;
}

function onTest(options: MaskOptions): (v: number) => boolean {
  const { label } = options;
  return label === undefined ? (v) => v !== 0 : (v) => v === label;
}

/** Distance (mm, float32) to the nearest voxel with mask !== 0, by brute force. */
export function distanceTransform(mask: VoxelArray, size: Size3, spacing: Spacing3): Float32Array {
  const [nx, ny, nz] = size;
  const features: Point[] = [];
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) if (mask[x + nx * (y + ny * z)] !== 0) features.push([x, y, z]);
    }
  }
  const out = new Float32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        out[x + nx * (y + ny * z)] = Math.sqrt(nearestSquared([x, y, z], features, spacing));
      }
    }
  }
  return out;
}

/** Neighbour codes on the corner grid of `box` (default: the whole volume), by definition. */
export const neighbourCodes: typeof native.neighbourCodes = (mask, size, options = {}) => {
  const [nx, ny] = size;
  const box = options.box ?? { min: [0, 0, 0], max: [size[0] - 1, size[1] - 1, size[2] - 1] };
  const on = onTest(options);
  const inBox = (x: number, y: number, z: number) =>
    x >= box.min[0] &&
    x <= box.max[0] &&
    y >= box.min[1] &&
    y <= box.max[1] &&
    z >= box.min[2] &&
    z <= box.max[2];
  const grid: [number, number, number] = [
    box.max[0] - box.min[0] + 2,
    box.max[1] - box.min[1] + 2,
    box.max[2] - box.min[2] + 2,
  ];
  const codes = new Uint8Array(grid[0] * grid[1] * grid[2]);
  let borderCount = 0;
  let g = 0;
  for (let z = 0; z < grid[2]; z++) {
    for (let y = 0; y < grid[1]; y++) {
      for (let x = 0; x < grid[0]; x++, g++) {
        let code = 0;
        for (let a = 0; a < 2; a++) {
          for (let b = 0; b < 2; b++) {
            for (let c = 0; c < 2; c++) {
              const vx = box.min[0] + x - 1 + c;
              const vy = box.min[1] + y - 1 + b;
              const vz = box.min[2] + z - 1 + a;
              if (inBox(vx, vy, vz) && on(mask[vx + nx * (vy + ny * vz)])) code += KERNEL[a][b][c];
            }
          }
        }
        codes[g] = code;
        if (code !== 0 && code !== 255) borderCount++;
      }
    }
  }
  return { codes, size: grid, offset: [box.min[0], box.min[1], box.min[2]], borderCount };
};

/** Surfel areas per code from the JSON table, spacing [sx, sy, sz]. */
export function surfelAreas(spacing: Spacing3): Float64Array {
  return tableSurfelAreas(spacing);
}

function unionBox(
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  on: (v: number) => boolean,
): BoundingBox | null {
  const [nx, ny, nz] = size;
  let box: BoundingBox | null = null;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (y + ny * z);
        if (!on(gt[i]) && !on(pred[i])) continue;
        if (!box) box = { min: [x, y, z], max: [x, y, z] };
        for (const [axis, v] of [x, y, z].entries()) {
          box.min[axis] = Math.min(box.min[axis], v);
          box.max[axis] = Math.max(box.max[axis], v);
        }
      }
    }
  }
  return box;
}

/** The evaluator's compute_surface_distances, unsorted (raster order of the corner grid). */
export const surfaceDistances: typeof native.surfaceDistances = (gt, pred, size, spacing, options = {}) => {
  const box = unionBox(gt, pred, size, onTest(options));
  if (!box) {
    const empty = () => new Float64Array(0);
    return {
      box: null,
      distancesGtToPred: empty(),
      areasGt: empty(),
      distancesPredToGt: empty(),
      areasPred: empty(),
    };
  }
  const areas = surfelAreas(spacing);
  const codesGt = neighbourCodes(gt, size, { ...options, box });
  const codesPred = neighbourCodes(pred, size, { ...options, box });
  const border = (map: NeighbourCodeMap) => {
    const points: Point[] = [];
    const codes: number[] = [];
    const [gx, gy, gz] = map.size;
    for (let z = 0; z < gz; z++) {
      for (let y = 0; y < gy; y++) {
        for (let x = 0; x < gx; x++) {
          const code = map.codes[x + gx * (y + gy * z)];
          if (code === 0 || code === 255) continue;
          points.push([x, y, z]);
          codes.push(code);
        }
      }
    }
    return { points, codes };
  };
  const a = border(codesGt);
  const b = border(codesPred);
  const distances = (from: Point[], to: Point[]) =>
    Float64Array.from(from, (p) => Math.sqrt(nearestSquared(p, to, spacing)));
  return {
    box,
    distancesGtToPred: distances(a.points, b.points),
    areasGt: Float64Array.from(a.codes, (c) => areas[c]),
    distancesPredToGt: distances(b.points, a.points),
    areasPred: Float64Array.from(b.codes, (c) => areas[c]),
  };
};

/** The evaluator's compute_surface_dice_at_tolerance over surfaceDistances. */
export const surfaceDice: typeof native.surfaceDice = (
  gt,
  pred,
  size,
  spacing,
  toleranceMm,
  options = {},
) => {
  const s = surfaceDistances(gt, pred, size, spacing, options);
  const sum = (areas: Float64Array, distances?: Float64Array) =>
    areas.reduce(
      (acc, area, i) => (distances === undefined || distances[i] <= toleranceMm ? acc + area : acc),
      0,
    );
  const gtArea = sum(s.areasGt);
  const predArea = sum(s.areasPred);
  const gtAreaWithin = sum(s.areasGt, s.distancesGtToPred);
  const predAreaWithin = sum(s.areasPred, s.distancesPredToGt);
  return {
    nsd: (gtAreaWithin + predAreaWithin) / (gtArea + predArea),
    gtArea,
    predArea,
    gtAreaWithin,
    predAreaWithin,
    gtSurfels: s.areasGt.length,
    predSurfels: s.areasPred.length,
  };
};
