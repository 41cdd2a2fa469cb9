/**
 * The surfel table of the normalised surface Dice: for each of the 256 neighbour codes of a
 * 2x2x2 neighbourhood, the normals of its surface elements (lengths = areas). The numbers are the
 * CVPR 2025 evaluator's (from the MSD notebook and DeepMind's surface-distance; see NOTICE), kept
 * in surfel-normals.json next to this file and read from the package root, so the same file
 * serves the sources and dist/. The native addon embeds the same numbers (native/src/
 * surface_normals.h); the tests check that both give the same areas.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/package-info.js';

/** A normal (n0, n1, n2) in numpy axis order of a C-order (Z, Y, X) array, i.e. (z, y, x). */
type SurfelNormal = readonly [number, number, number];

const SURFEL_TABLE_PATH = path.join('functions', 'lib', 'metrics', 'surfel-normals.json');

let table: readonly (readonly SurfelNormal[])[] | undefined;

/** The 256 lists of normals, checked on first load. */
function surfelNormals(): readonly (readonly SurfelNormal[])[] {
  if (table) return table;
  const file = path.join(packageRoot(), SURFEL_TABLE_PATH);
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const ok =
    Array.isArray(parsed) &&
    parsed.length === 256 &&
    parsed.every(
      (normals) =>
        Array.isArray(normals) &&
        normals.length >= 1 &&
        normals.every(
          (n) =>
            Array.isArray(n) && n.length === 3 && n.every((v) => typeof v === 'number' && Number.isFinite(v)),
        ),
    );
  if (!ok) throw new Error(`${file}: expected 256 lists of [n0, n1, n2] normals`);
  table = parsed as SurfelNormal[][];
  return table;
}

/**
 * Surfel area (mm^2) of each code for a volume spacing [sx, sy, sz]: the sum over the code's
 * normals of |(n0 * s1 * s2, n1 * s0 * s2, n2 * s0 * s1)| with the numpy-order spacing
 * (s0, s1, s2) = (sz, sy, sx).
 */
export function surfelAreas(spacing: readonly [number, number, number]): Float64Array {
  const [s2, s1, s0] = spacing;
  const normals = surfelNormals();
  const areas = new Float64Array(256);
  for (let code = 0; code < 256; code++) {
    let sum = 0;
    for (const n of normals[code]) {
      const a = n[0] * s1 * s2;
      const b = n[1] * s0 * s2;
      const c = n[2] * s0 * s1;
      sum += Math.sqrt(a * a + b * b + c * c);
    }
    areas[code] = sum;
  }
  return areas;
}
