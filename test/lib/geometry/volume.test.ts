import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/lib/core/errors.js';
import { SeededRandom } from '../../../functions/lib/core/random.js';
import {
  type Geometry,
  type Mat3,
  type Vec3,
  Volume,
  crop,
  indexToPoint,
  invert3,
  pad,
  pointToIndex,
} from '../../../functions/lib/geometry/volume.js';
import { obliqueDirection } from '../../../functions/tools/phantom/phantom.js';
import { forEachVoxel, geometry, volumeOf } from '../../helpers/geometry.js';

const oblique = geometry([7, 5, 4], [0.8, 0.9, 2.5], [-10.5, 3.25, 100], obliqueDirection(20, 8));

function randomVolume(seed: number, g: Geometry, density = 0.1): Volume<'int16'> {
  const rng = new SeededRandom(seed);
  return volumeOf('int16', g, () => (rng.next() < density ? rng.int(1, 300) : 0));
}

describe('Volume geometry', () => {
  it('maps index to point as origin + D * diag(spacing) * index', () => {
    // Analytic: a 90-degree rotation about z sends index axis x to physical +y, y to -x.
    const g = geometry([2, 2, 2], [2, 3, 4], [1, 2, 3], [0, -1, 0, 1, 0, 0, 0, 0, 1]);
    expect(indexToPoint(g, [1, 0, 0])).toEqual([1, 4, 3]);
    expect(indexToPoint(g, [0, 1, 0])).toEqual([-2, 2, 3]);
    expect(indexToPoint(g, [0, 0, 1])).toEqual([1, 2, 7]);
  });

  it('pointToIndex inverts indexToPoint for an oblique direction', () => {
    const rng = new SeededRandom(1);
    for (let t = 0; t < 50; t++) {
      const idx: Vec3 = [rng.uniform(-3, 9), rng.uniform(-3, 9), rng.uniform(-3, 9)];
      const back = pointToIndex(oblique, indexToPoint(oblique, idx));
      for (let a = 0; a < 3; a++) expect(back[a]).toBeCloseTo(idx[a], 10);
    }
  });

  it('the oblique direction is a proper rotation that no axis permutation or flip equals', () => {
    const d = oblique.direction;
    const inv = invert3(d);
    // R^-1 = R^T for a rotation.
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++) expect(inv[r * 3 + c]).toBeCloseTo(d[c * 3 + r], 12);
    expect(d.filter((v) => Math.abs(Math.abs(v) - 1) < 1e-6 || Math.abs(v) < 1e-6).length).toBeLessThan(9);
  });

  it('refuses buffers of the wrong length and bad geometry with INVALID_INPUT', () => {
    expect(() => new Volume(oblique, new Int16Array(3))).toThrow(InvalidInputError);
    expect(() => new Volume({ ...oblique, spacing: [0, 1, 1] }, new Int16Array(140))).toThrow(/spacing/);
    const singular: Mat3 = [1, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(() => new Volume({ ...oblique, direction: singular }, new Int16Array(140))).toThrow(/singular/);
  });
});

describe('crop and pad', () => {
  it('crop keeps every voxel at its physical point', () => {
    const v = randomVolume(3, oblique, 0.5);
    const box = { min: [2, 1, 1] as Vec3, max: [5, 3, 2] as Vec3 };
    const c = crop(v, box);
    expect(c.size).toEqual([4, 3, 2]);
    forEachVoxel(c.size, (i, j, k) => {
      const src: Vec3 = [i + 2, j + 1, k + 1];
      expect(c.get(i, j, k)).toBe(v.get(...src));
      const p = indexToPoint(c.geometry, [i, j, k]);
      const q = indexToPoint(v.geometry, src);
      for (let a = 0; a < 3; a++) expect(p[a]).toBeCloseTo(q[a], 10);
    });
    expect(() => crop(v, { min: [0, 0, 0], max: [7, 0, 0] })).toThrow(/outside/);
  });

  it('pad then crop is the identity, with geometry restored', () => {
    const v = randomVolume(4, oblique, 0.5);
    const p = pad(v, [1, 2, 3], [2, 0, 1], -7);
    expect(p.size).toEqual([10, 7, 8]);
    expect(p.get(0, 0, 0)).toBe(-7);
    const back = crop(p, { min: [1, 2, 3], max: [7, 6, 6] });
    expect(Array.from(back.data)).toEqual(Array.from(v.data));
    for (let a = 0; a < 3; a++) expect(back.origin[a]).toBeCloseTo(v.origin[a], 10);
    expect(back.direction).toEqual(v.direction);
    expect(back.spacing).toEqual(v.spacing);
  });
});
