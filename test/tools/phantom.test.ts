import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readVolumeFile } from '../../functions/lib/image/image-io.js';
import { type Vec3, indexToPoint } from '../../functions/lib/geometry/volume.js';
import { LABELS } from '../../functions/tools/phantom/anatomy.js';
import { generatePhantom } from '../../functions/tools/phantom/phantom.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { components6 } from '../helpers/components.js';
import { tempDir } from '../helpers/tmp.js';

const small = { size: [48, 48, 24] as Vec3, spacing: [1.6, 1.6, 5] as Vec3 };

function meanOver(image: Float64Array | Int16Array, labels: Uint8Array, value: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < labels.length; i++)
    if (labels[i] === value) {
      sum += image[i];
      n++;
    }
  return sum / n;
}

describe('phantom', () => {
  it('is deterministic: same seed same voxels, another seed other voxels', () => {
    const a = generatePhantom({ ...small, seed: 5 });
    const b = generatePhantom({ ...small, seed: 5 });
    const c = generatePhantom({ ...small, seed: 6 });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    expect(Buffer.from(a.lesions.data).equals(Buffer.from(b.lesions.data))).toBe(true);
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(c.image.data.buffer))).toBe(false);
  });

  it.each(['CT', 'MRI'] as const)('%s: every structure present, with distinct intensities', (modality) => {
    const p = generatePhantom({ ...small, seed: 1, modality });
    const means = Object.values(LABELS).map((value) => meanOver(p.image.data, p.labels.data, value));
    expect(means.every(Number.isFinite)).toBe(true);
    const organs = means.slice(0, 5).sort((x, y) => x - y);
    for (let i = 1; i < organs.length; i++) expect(organs[i] - organs[i - 1]).toBeGreaterThan(25);
    if (modality === 'CT') {
      expect(meanOver(p.image.data, p.labels.data, 0)).toBeLessThan(-900); // air
      expect(meanOver(p.image.data, p.labels.data, LABELS.liver)).toBeGreaterThan(30);
    } else {
      expect(Math.min(...p.image.data)).toBeGreaterThanOrEqual(0);
    }
  });

  it('has 5 to 15 separate lesions, numbered 1..K, all inside the liver', () => {
    for (const seed of [0, 1, 2, 3]) {
      const p = generatePhantom({ size: [64, 64, 32], spacing: [1.2, 1.2, 3.75], seed });
      expect(p.lesionCount).toBeGreaterThanOrEqual(5);
      expect(p.lesionCount).toBeLessThanOrEqual(15);
      const values = new Set<number>();
      for (let n = 0; n < p.lesions.data.length; n++) {
        if (!p.lesions.data[n]) continue;
        values.add(p.lesions.data[n]);
        expect(p.labels.data[n]).toBe(LABELS.liver);
      }
      expect([...values].sort((a, b) => a - b)).toEqual(
        Array.from({ length: p.lesionCount }, (_, i) => i + 1),
      );
      const cc = components6(p.lesions.data, p.lesions.size);
      expect(cc.count).toBe(p.lesionCount);
      // Each lesion is one component of one value.
      expect(cc.voxels.every((c) => new Set(c.map((n) => p.lesions.data[n])).size === 1)).toBe(true);
    }
  });

  it('puts the liver on the patient right and the left kidney on the patient left (LPS)', () => {
    const p = generatePhantom({ ...small, seed: 2 });
    const centroidX = (value: number) => {
      let sum = 0;
      let n = 0;
      const [X, Y, Z] = p.labels.size;
      for (let k = 0, m = 0; k < Z; k++)
        for (let j = 0; j < Y; j++)
          for (let i = 0; i < X; i++, m++)
            if (p.labels.data[m] === value) {
              sum += indexToPoint({ ...p.labels.geometry, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, [
                i,
                j,
                k,
              ])[0];
              n++;
            }
      return sum / n;
    };
    const mid = centroidX(LABELS.body);
    expect(centroidX(LABELS.liver)).toBeLessThan(mid);
    expect(centroidX(LABELS.rightKidney)).toBeLessThan(mid);
    expect(centroidX(LABELS.leftKidney)).toBeGreaterThan(mid);
    expect(centroidX(LABELS.spleen)).toBeGreaterThan(mid);
  });
});

describe('phantom files', () => {
  const dir = tempDir();

  it('same seed writes the same bytes', async () => {
    const a = await writePhantom(path.join(dir, 'a'), { ...small, seed: 9 });
    const b = await writePhantom(path.join(dir, 'b'), { ...small, seed: 9 });
    for (const key of Object.keys(a.files) as (keyof typeof a.files)[]) {
      expect(readFileSync(a.files[key]).equals(readFileSync(b.files[key])), key).toBe(true);
    }
    const request = JSON.parse(readFileSync(a.files.request, 'utf8'));
    expect(request.image).toBe('image.nii.gz');
    expect(request.groundTruth).toBe('labels.nii.gz');
    expect(JSON.parse(readFileSync(a.files.prompts, 'utf8'))['3']).toBe('Left kidney');
  });

  it('reads back in itk-wasm with the geometry and voxels it was written with', async () => {
    const w = await writePhantom(path.join(dir, 'c'), { ...small, seed: 3 });
    for (const [file, volume] of [
      [w.files.image, w.phantom.image],
      [w.files.labels, w.phantom.labels],
      [w.files.lesions, w.phantom.lesions],
    ] as const) {
      const back = await readVolumeFile(file);
      expect(back.type).toBe(volume.type);
      expect(back.size).toEqual(volume.size);
      // NIfTI stores spacing, origin and the rotation quaternion as float32.
      for (let a = 0; a < 3; a++) {
        expect(back.spacing[a]).toBeCloseTo(volume.spacing[a], 5);
        expect(back.origin[a]).toBeCloseTo(volume.origin[a], 4);
      }
      for (let i = 0; i < 9; i++) expect(back.direction[i]).toBeCloseTo(volume.direction[i], 5);
      expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(
        Buffer.from(volume.data.buffer, volume.data.byteOffset, volume.data.byteLength),
      );
    }
  });

  it('writes a NIfTI header whose sform is the LPS geometry turned to RAS (independent parse)', async () => {
    const w = await writePhantom(path.join(dir, 'd'), { ...small, seed: 4 });
    const header = gunzipSync(readFileSync(w.files.image)).subarray(0, 348);
    const view = new DataView(header.buffer, header.byteOffset, 348);
    expect(view.getInt32(0, true)).toBe(348);
    expect([1, 2, 3, 4].map((i) => view.getInt16(40 + 2 * i, true))).toEqual([48, 48, 24, 1]);
    expect(view.getInt16(70, true)).toBe(4); // DT_INT16
    expect(view.getInt16(254, true)).toBeGreaterThan(0); // sform_code
    const srow = [280, 296, 312].map((off) => [0, 1, 2, 3].map((c) => view.getFloat32(off + 4 * c, true)));
    const g = w.phantom.image.geometry;
    const flip = [-1, -1, 1]; // LPS -> RAS
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++)
        expect(srow[r][c]).toBeCloseTo(flip[r] * g.direction[r * 3 + c] * g.spacing[c], 4);
      expect(srow[r][3]).toBeCloseTo(flip[r] * g.origin[r], 3);
    }
  });
});
