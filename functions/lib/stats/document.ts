/**
 * The files of the statistics: stats.json (the whole record, nested) and stats.csv (a header
 * and one row per structure, flat), and the reverse of stats.json for `medals report`.
 *
 * Conventions of both files: snake_case keys; lengths in mm, volumes in ml; indices are voxel
 * indices [i, j, k] of the label map's grid (i fastest); physical points are LPS mm (ITK's);
 * a number that is not defined (an empty structure's centroid, an intensity without image) is
 * null in JSON and an empty cell in CSV.
 */
import { z } from 'zod';
import { csvText } from '../core/csv.js';
import { InvalidInputError } from '../core/errors.js';
import type { Vec3 } from '../geometry/volume.js';
import type { BorderFace, CaseStats, StructureStats } from './structure-stats.js';

const STATS_FORMAT = 'medals-stats/1';

interface StructureStatsDocument {
  value: number;
  name: string | null;
  voxels: number;
  volume_ml: number;
  components: number;
  touches_border: boolean;
  border_faces: BorderFace[];
  bbox_min: Vec3 | null;
  bbox_max: Vec3 | null;
  bbox_size_mm: Vec3 | null;
  centroid_index: Vec3 | null;
  centroid_mm: Vec3 | null;
  intensity: { mean: number; std: number; min: number; max: number } | null;
}

export interface StatsDocument {
  format: typeof STATS_FORMAT;
  coordinate_system: 'LPS';
  geometry: { size: Vec3; spacing_mm: Vec3; origin_mm: Vec3; direction: number[] };
  voxel_volume_ml: number;
  connectivity: number;
  has_intensity: boolean;
  structures: StructureStatsDocument[];
}

/** stats.json's content. */
export function statsDocument(stats: CaseStats): StatsDocument {
  return {
    format: STATS_FORMAT,
    coordinate_system: 'LPS',
    geometry: {
      size: stats.size,
      spacing_mm: stats.spacing,
      origin_mm: stats.origin,
      direction: stats.direction,
    },
    voxel_volume_ml: stats.voxelVolumeMl,
    connectivity: stats.connectivity,
    has_intensity: stats.hasIntensity,
    structures: stats.structures.map((s) => ({
      value: s.value,
      name: s.name,
      voxels: s.voxels,
      volume_ml: s.volumeMl,
      components: s.components,
      touches_border: s.touchesBorder,
      border_faces: s.borderFaces,
      bbox_min: s.box?.min ?? null,
      bbox_max: s.box?.max ?? null,
      bbox_size_mm: s.boxSizeMm,
      centroid_index: s.centroidIndex,
      centroid_mm: s.centroidMm,
      intensity: s.intensity,
    })),
  };
}

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const number = z.number().nullable();
const documentSchema = z.object({
  format: z.literal(STATS_FORMAT),
  geometry: z.object({
    size: vec3,
    spacing_mm: vec3,
    origin_mm: vec3,
    direction: z.array(z.number()).length(9),
  }),
  voxel_volume_ml: z.number(),
  connectivity: z.literal(6),
  has_intensity: z.boolean(),
  structures: z.array(
    z.object({
      value: z.number().int(),
      name: z.string().nullable(),
      voxels: z.number(),
      volume_ml: z.number(),
      components: z.number(),
      touches_border: z.boolean(),
      border_faces: z.array(z.enum(['-x', '+x', '-y', '+y', '-z', '+z'])),
      bbox_min: vec3.nullable(),
      bbox_max: vec3.nullable(),
      bbox_size_mm: vec3.nullable(),
      centroid_index: vec3.nullable(),
      centroid_mm: vec3.nullable(),
      intensity: z.object({ mean: number, std: number, min: number, max: number }).nullable(),
    }),
  ),
});

const orNaN = (v: number | null) => (v === null ? NaN : v);

/** A stats.json read back as CaseStats (INVALID_INPUT naming the field when it is not one). */
export function parseStatsDocument(json: unknown, source = 'stats.json'): CaseStats {
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `${source} is not a ${STATS_FORMAT} document: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    );
  }
  const d = parsed.data;
  return {
    size: d.geometry.size,
    spacing: d.geometry.spacing_mm,
    origin: d.geometry.origin_mm,
    direction: d.geometry.direction,
    voxelVolumeMl: d.voxel_volume_ml,
    connectivity: 6,
    hasIntensity: d.has_intensity,
    structures: d.structures.map((s): StructureStats => ({
      value: s.value,
      name: s.name,
      voxels: s.voxels,
      volumeMl: s.volume_ml,
      box: s.bbox_min && s.bbox_max ? { min: s.bbox_min, max: s.bbox_max } : null,
      boxSizeMm: s.bbox_size_mm,
      centroidIndex: s.centroid_index,
      centroidMm: s.centroid_mm,
      intensity: s.intensity
        ? {
            mean: orNaN(s.intensity.mean),
            std: orNaN(s.intensity.std),
            min: orNaN(s.intensity.min),
            max: orNaN(s.intensity.max),
          }
        : null,
      components: s.components,
      touchesBorder: s.touches_border,
      borderFaces: s.border_faces,
    })),
  };
}

/** The columns of stats.csv, in order. */
export const STATS_CSV_COLUMNS = [
  'value',
  'name',
  'voxels',
  'volume_ml',
  'components',
  'touches_border',
  'border_faces',
  'bbox_min_i',
  'bbox_min_j',
  'bbox_min_k',
  'bbox_max_i',
  'bbox_max_j',
  'bbox_max_k',
  'bbox_size_i_mm',
  'bbox_size_j_mm',
  'bbox_size_k_mm',
  'centroid_i',
  'centroid_j',
  'centroid_k',
  'centroid_x_mm',
  'centroid_y_mm',
  'centroid_z_mm',
  'intensity_mean',
  'intensity_std',
  'intensity_min',
  'intensity_max',
] as const;

/** stats.csv's content (core/csv.ts): the header and one row per structure. */
export function statsCsv(stats: CaseStats): string {
  const rows: (string | number | boolean | null)[][] = [[...STATS_CSV_COLUMNS]];
  const three = (v: Vec3 | null | undefined) => (v ? v : [null, null, null]);
  for (const s of stats.structures) {
    rows.push([
      s.value,
      s.name,
      s.voxels,
      s.volumeMl,
      s.components,
      s.touchesBorder,
      s.borderFaces.join(' '),
      ...three(s.box?.min),
      ...three(s.box?.max),
      ...three(s.boxSizeMm),
      ...three(s.centroidIndex),
      ...three(s.centroidMm),
      s.intensity?.mean ?? null,
      s.intensity?.std ?? null,
      s.intensity?.min ?? null,
      s.intensity?.max ?? null,
    ]);
  }
  return csvText(rows);
}
