import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Vec3, Volume } from '../../../functions/lib/geometry/volume.js';
import { classNameOf } from '../../../functions/lib/metrics/outputs.js';
import { csvField } from '../../../functions/lib/core/csv.js';
import { generatePhantom } from '../../../functions/tools/phantom/phantom.js';
import {
  STATS_CSV_COLUMNS,
  parseStatsDocument,
  statsCsv,
  statsDocument,
  structureStats,
  writeStatsCsv,
  writeStatsJson,
} from '../../../functions/lib/stats/index.js';
import { components6 } from '../../helpers/components.js';
import { geometry } from '../../helpers/geometry.js';
import { tempDir } from '../../helpers/tmp.js';

/** Everything about one label value by brute force: plain loops over (i, j, k), flood-filled components. */
function bruteForce(labels: Volume, image: Volume, value: number) {
  const [X, Y, Z] = labels.size;
  const d = labels.direction;
  const sp = labels.spacing;
  const o = labels.origin;
  const values: number[] = [];
  const points: Vec3[] = [];
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++) {
        if (labels.get(i, j, k) !== value) continue;
        values.push(image.get(i, j, k));
        const idx = [i, j, k];
        // Physical point of the voxel centre, written out: origin + D * (spacing .* index).
        points.push(
          [0, 1, 2].map(
            (r) => o[r] + d[3 * r] * i * sp[0] + d[3 * r + 1] * j * sp[1] + d[3 * r + 2] * k * sp[2],
          ) as Vec3,
        );
        for (let a = 0; a < 3; a++) {
          min[a] = Math.min(min[a], idx[a]);
          max[a] = Math.max(max[a], idx[a]);
        }
      }
    }
  }
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  const centroid = [0, 1, 2].map((a) => points.reduce((s, p) => s + p[a], 0) / n);
  const { count: components } = components6(labels.data, labels.size, (v) => v === value);
  const border = min.some((v) => v === 0) || max.some((v, a) => v === labels.size[a] - 1);
  return {
    voxels: n,
    volumeMl: (n * sp[0] * sp[1] * sp[2]) / 1000,
    min,
    max,
    centroid,
    mean,
    std,
    lo: Math.min(...values),
    hi: Math.max(...values),
    components,
    border,
  };
}

describe('structureStats', () => {
  it('matches brute force on the oblique, anisotropic phantom', async () => {
    const p = generatePhantom({ size: [40, 36, 18], seed: 3 });
    const stats = await structureStats(p.labels, p.image, { names: p.prompts });
    expect(stats.structures.map((s) => s.value)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stats.voxelVolumeMl).toBeCloseTo((0.8 * 0.8 * 2.5) / 1000, 12);
    for (const s of stats.structures) {
      const b = bruteForce(p.labels, p.image, s.value);
      expect(s.name).toBe(p.prompts[String(s.value)] ?? null);
      expect(s.voxels).toBe(b.voxels);
      expect(s.volumeMl).toBeCloseTo(b.volumeMl, 10);
      expect(s.box).toEqual({ min: b.min, max: b.max });
      expect(s.boxSizeMm).toEqual([0, 1, 2].map((a) => (b.max[a] - b.min[a] + 1) * p.labels.spacing[a]));
      for (let a = 0; a < 3; a++) expect(s.centroidMm![a]).toBeCloseTo(b.centroid[a], 6);
      expect(s.intensity!.mean).toBeCloseTo(b.mean, 8);
      expect(s.intensity!.std).toBeCloseTo(b.std, 8);
      expect(s.intensity!.min).toBe(b.lo);
      expect(s.intensity!.max).toBe(b.hi);
      expect(s.components).toBe(b.components);
      expect(s.touchesBorder).toBe(b.border);
    }
  });

  it('counts components, flags border faces, reports asked-for absent values, works without an image', async () => {
    const labels = Volume.zeros('int16', geometry([6, 5, 4], [1, 2, 3], [10, 20, 30]));
    // Value 2: two blobs that touch only at an edge (not a face): two 6-components.
    labels.set(1, 1, 1, 2);
    labels.set(2, 2, 1, 2);
    // Value 300 (beyond uint8): one voxel on the +x and -z faces.
    labels.set(5, 3, 0, 300);
    const stats = await structureStats(labels, undefined, {
      values: [2, 7],
      names: new Map([[7, 'absent']]),
    });
    expect(stats.hasIntensity).toBe(false);
    const [two, seven, big] = stats.structures;
    expect(two).toMatchObject({
      value: 2,
      voxels: 2,
      components: 2,
      touchesBorder: false,
      borderFaces: [],
      intensity: null,
    });
    expect(two.box).toEqual({ min: [1, 1, 1], max: [2, 2, 1] });
    expect(two.centroidIndex).toEqual([1.5, 1.5, 1]);
    expect(two.centroidMm).toEqual([11.5, 23, 33]);
    expect(seven).toMatchObject({
      value: 7,
      name: 'absent',
      voxels: 0,
      components: 0,
      box: null,
      centroidMm: null,
    });
    expect(big).toMatchObject({
      value: 300,
      voxels: 1,
      components: 1,
      touchesBorder: true,
      borderFaces: ['+x', '-z'],
    });
    expect(big.volumeMl).toBeCloseTo(0.006, 12);
  });

  it('refuses an image on another grid and float labels (INVALID_INPUT)', async () => {
    const p = generatePhantom({ size: [16, 16, 8] });
    const moved = new Volume({ ...p.image.geometry, origin: [0, 0, 0] }, p.image.data);
    await expect(structureStats(p.labels, moved)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const float = new Volume(p.labels.geometry, Float32Array.from(p.labels.data));
    await expect(structureStats(float)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('stats.json and stats.csv', () => {
  it('write atomically through storage, read back, one CSV row per structure', async () => {
    const dir = tempDir();
    const p = generatePhantom({ size: [32, 30, 14], seed: 1 });
    const stats = await structureStats(p.labels, p.image, { names: p.prompts });
    const json = await writeStatsJson(path.join(dir, 'stats.json'), stats);
    const csv = await writeStatsCsv(path.join(dir, 'stats.csv'), stats);

    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc).toEqual(JSON.parse(JSON.stringify(statsDocument(stats))));
    expect(doc.format).toBe('medals-stats/1');
    expect(doc.structures[0]).toMatchObject({ value: 1, name: 'Liver', voxels: stats.structures[0].voxels });
    expect(parseStatsDocument(doc)).toEqual(stats);
    expect(() => parseStatsDocument({ ...doc, format: 'x' })).toThrow(/medals-stats\/1/);

    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(STATS_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + stats.structures.length);
    const row = lines[1].split(',');
    const col = (name: string) => row[STATS_CSV_COLUMNS.indexOf(name as (typeof STATS_CSV_COLUMNS)[number])];
    expect(col('name')).toBe('Liver');
    expect(Number(col('voxels'))).toBe(stats.structures[0].voxels);
    expect(Number(col('centroid_x_mm'))).toBe(stats.structures[0].centroidMm![0]);
    expect(Number(col('intensity_std'))).toBe(stats.structures[0].intensity!.std);
    expect(statsCsv(stats)).toBe(readFileSync(csv, 'utf8'));
  });

  it('quotes CSV fields as RFC 4180 and leaves undefined numbers empty', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(NaN)).toBe('');
    expect(csvField(null)).toBe('');
    expect(classNameOf({ '3': 'Left kidney' }, 3)).toBe('Left kidney');
  });
});
