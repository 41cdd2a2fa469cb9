import path from 'node:path';
import { resampleNode } from '@itk-wasm/downsample';
import { describe, expect, it } from 'vitest';
import {
  itkImageFromVolume,
  readVolumeFile,
  volumeFromItkImage,
  writeVolumeFile,
} from '../../../functions/lib/image/image-io.js';
import { type Vec3, Volume, indexToPoint, pointToIndex } from '../../../functions/lib/geometry/volume.js';
import { generatePhantom, obliqueDirection } from '../../../functions/tools/phantom/phantom.js';
import { forEachVoxel, geometry } from '../../helpers/geometry.js';
import { tempDir } from '../../helpers/tmp.js';

const phantom = generatePhantom({ size: [40, 36, 20], spacing: [0.8, 0.8, 2.5], seed: 11 });

describe('itk-wasm image I/O', () => {
  const dir = tempDir();

  it.each(['.nrrd', '.mha', '.nii.gz', '.nii'])(
    'round-trips %s with geometry and voxels kept',
    async (ext) => {
      for (const volume of [phantom.image, phantom.labels]) {
        const file = path.join(dir, `${volume.type}${ext}`);
        await writeVolumeFile(volume, file);
        const back = await readVolumeFile(file);
        expect(back.type).toBe(volume.type);
        expect(back.size).toEqual(volume.size);
        expect(Array.from(back.data)).toEqual(Array.from(volume.data));
        // NRRD and MetaImage keep doubles exactly; NIfTI stores float32 fields and a quaternion.
        const digits = ext.startsWith('.nii') ? 5 : 12;
        for (let a = 0; a < 3; a++) {
          expect(back.spacing[a]).toBeCloseTo(volume.spacing[a], digits);
          expect(back.origin[a]).toBeCloseTo(volume.origin[a], digits - 1);
        }
        for (let i = 0; i < 9; i++) expect(back.direction[i]).toBeCloseTo(volume.direction[i], digits);
      }
    },
  );

  it('writes a volume whose voxels are a view into a larger buffer as those voxels (itk-wasm takes whole buffers)', async () => {
    for (const volume of [phantom.image, phantom.labels]) {
      const n = volume.data.length;
      const Ctor = volume.data.constructor as new (
        b: ArrayBuffer,
        o: number,
        n: number,
      ) => typeof volume.data;
      const bytes = volume.data.BYTES_PER_ELEMENT;
      const room = new ArrayBuffer((n + 24) * bytes);
      new Uint8Array(room).fill(0x5a);
      const view = new Ctor(room, 8 * bytes, n);
      view.set(volume.data);
      const file = path.join(dir, `view-${volume.type}.nii.gz`);
      await writeVolumeFile(new Volume(volume.geometry, view), file);
      expect(Array.from((await readVolumeFile(file)).data)).toEqual(Array.from(volume.data));
    }
  });

  it('refuses unreadable files with UNSUPPORTED_FORMAT and missing ones with NOT_FOUND', async () => {
    const bogus = path.join(dir, 'bogus.nrrd');
    await import('node:fs/promises').then((fs) => fs.writeFile(bogus, 'this is not an image'));
    await expect(readVolumeFile(bogus)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    await expect(readVolumeFile(path.join(dir, 'absent.nii.gz'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('itk-wasm resampling (@itk-wasm/downsample)', () => {
  it('nearest-neighbour resampling onto another oblique grid matches a brute-force lookup', async () => {
    const labels = phantom.labels;
    // A coarser grid, rotated differently and shifted, overlapping the phantom.
    const target = geometry(
      [17, 15, 11],
      [1.9, 2.1, 3.3],
      indexToPoint(labels.geometry, [3.3, 2.7, 1.2]),
      obliqueDirection(-13, 5),
    );
    const { output } = await resampleNode(itkImageFromVolume(labels), {
      size: target.size,
      outputSpacing: target.spacing,
      outputOrigin: target.origin,
      outputDirection: target.direction,
      interpolator: 'nearest_neighbor',
      defaultValue: 0,
    });
    const got = volumeFromItkImage(output);
    expect(got.size).toEqual(target.size);
    for (let a = 0; a < 3; a++) expect(got.origin[a]).toBeCloseTo(target.origin[a], 9);
    let compared = 0;
    let ambiguous = 0;
    const [X, Y, Z] = target.size;
    forEachVoxel(target.size, (i, j, k) => {
      const c = pointToIndex(labels.geometry, indexToPoint(target, [i, j, k]));
      // Skip points that sit almost half-way between voxels: rounding may go either way.
      if (c.some((v) => Math.abs(v - Math.round(v)) > 0.49)) {
        ambiguous++;
        return;
      }
      const r = c.map(Math.round) as Vec3;
      const inside = r.every((v, a) => v >= 0 && v < labels.size[a]);
      expect(got.get(i, j, k)).toBe(inside ? labels.get(...r) : 0);
      compared++;
    });
    expect(compared).toBeGreaterThan(0.9 * X * Y * Z);
    expect(ambiguous).toBeLessThan(0.1 * X * Y * Z);
  });

  it('linear resampling onto the same grid is the identity', async () => {
    const image = new Volume(phantom.image.geometry, Float32Array.from(phantom.image.data));
    const { output } = await resampleNode(itkImageFromVolume(image), { interpolator: 'linear' });
    const got = volumeFromItkImage(output);
    for (let n = 0; n < got.data.length; n += 7) expect(got.data[n]).toBeCloseTo(image.data[n], 3);
    // The same voxels as a view at an offset into a larger buffer resample the same.
    const room = new Float32Array(image.data.length + 16).fill(-7);
    room.set(image.data, 5);
    const view = new Volume(image.geometry, room.subarray(5, 5 + image.data.length));
    const fromView = volumeFromItkImage(
      (await resampleNode(itkImageFromVolume(view), { interpolator: 'linear' })).output,
    );
    expect(Array.from(fromView.data)).toEqual(Array.from(got.data));
  });
});
