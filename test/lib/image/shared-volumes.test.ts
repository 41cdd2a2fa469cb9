/**
 * The in-process hand-over of volumes between steps (functions/lib/image/shared-volumes.ts): a
 * shared read or write is found again only while the file on disk is the one it came from.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Volume } from '../../../functions/lib/geometry/volume.js';
import { readVolumeFile, writeVolumeFile } from '../../../functions/lib/image/image-io.js';
import { readImageInput } from '../../../functions/lib/image/read-input.js';
import { sharedVolume } from '../../../functions/lib/image/shared-volumes.js';
import { geometry } from '../../helpers/geometry.js';
import { tempDir } from '../../helpers/tmp.js';

const volume = (fill: number) =>
  new Volume(geometry([6, 5, 4], [0.8, 0.8, 2.5]), new Int16Array(120).fill(fill));

describe('shared volumes', () => {
  const dir = tempDir('medals-shared-');

  it('hand a shared write to a shared read of the same file, and to nobody else', async () => {
    const file = path.join(dir, 'a.nii');
    const written = volume(7);
    await writeVolumeFile(written, file, { shared: true });
    expect(await readVolumeFile(file, { shared: true })).toBe(written);
    // A read that does not opt in decodes the file.
    const decoded = await readVolumeFile(file);
    expect(decoded).not.toBe(written);
    expect(Array.from(decoded.data)).toEqual(Array.from(written.data));
    // 'take' hands it over once; the next shared read decodes and shares what it decoded.
    expect(await readVolumeFile(file, { shared: 'take' })).toBe(written);
    const again = await readVolumeFile(file, { shared: true });
    expect(again).not.toBe(written);
    expect(await readVolumeFile(file, { shared: true })).toBe(again);
  });

  it('miss once the file is rewritten, touched or removed', async () => {
    const file = path.join(dir, 'b.nii');
    await writeVolumeFile(volume(1), file, { shared: true });
    await writeVolumeFile(volume(2), file);
    const read = await readVolumeFile(file, { shared: true });
    expect(read.data[0]).toBe(2);

    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(sharedVolume(file)).toBeUndefined();

    await writeVolumeFile(volume(3), file, { shared: true });
    writeFileSync(file, 'not an image any more');
    expect(sharedVolume(file)).toBeUndefined();
  });

  it('hand the case image from one readImageInput to the next (inspected and checked once)', async () => {
    const file = path.join(dir, 'image.nii.gz');
    const v = new Volume(
      geometry([6, 5, 4], [0.8, 0.8, 2.5]),
      Int16Array.from({ length: 120 }, (_, i) => i - 60),
    );
    await writeVolumeFile(v, file);
    const first = await readImageInput(file, { shared: true });
    expect(first.range).toEqual({ min: -60, max: 59 });
    const second = await readImageInput(file, { shared: 'take' });
    expect(second.volume).toBe(first.volume);
    expect(second.range).toBe(first.range);
    // Taken: the next read inspects and decodes the file again.
    const third = await readImageInput(file, { shared: 'take' });
    expect(third.volume).not.toBe(first.volume);
    expect(Array.from(third.volume.data)).toEqual(Array.from(v.data));
    // A damaged file is inspected (and refused) once nothing is shared for it.
    writeFileSync(file, 'not an image any more');
    await expect(readImageInput(file, { shared: true })).rejects.toThrow(
      /not a readable gzip-compressed NIfTI/,
    );
  });
});
