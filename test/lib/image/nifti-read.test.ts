/**
 * The NIfTI read of nifti-read.ts (geometry by itk-wasm from the header, voxels by Node) against
 * the oracle: itk-wasm's own full read of the same file. Files come from itk-wasm's writer, then
 * have their header fields and voxel bytes rewritten to reach the cases ITK decides differently:
 * sform only, qform only, neither, a sheared sform, an extension before the voxels, a misaligned
 * voxel offset, and every voxel type NIfTI and medals share. Where the fast read must step aside
 * (scaled voxels, non-finite floats, a fourth axis, a truncated file) it returns null and
 * readVolumeFile still gives what itk-wasm gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { niftiReadImageNode } from '@itk-wasm/image-io';
import { describe, expect, it } from 'vitest';
import { Volume } from '../../../functions/lib/geometry/volume.js';
import { readVolumeFile, writeVolumeFile } from '../../../functions/lib/image/image-io.js';
import { readNiftiImage } from '../../../functions/lib/image/nifti-read.js';
import { geometry } from '../../helpers/geometry.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir('medals-nifti-read-');
const SIZE: [number, number, number] = [7, 5, 4];
const COUNT = SIZE[0] * SIZE[1] * SIZE[2];

/** An oblique grid, so that every direction element and the origin's sign conventions count. */
const c = Math.cos(0.3);
const s = Math.sin(0.3);
const GRID = geometry(
  SIZE,
  [0.7, 1.3, 2.5],
  [-101.5, 33.25, -7.125],
  [c, -s, 0, s * 0.8, c * 0.8, -0.6, s * 0.6, c * 0.6, 0.8],
);

/** The header bytes (348 + 4 extension flag bytes) of an itk-wasm-written NIfTI-1 file of GRID. */
async function baseHeader(): Promise<Buffer> {
  const file = path.join(dir, 'base.nii');
  await writeVolumeFile(new Volume<'uint8'>(GRID, new Uint8Array(COUNT)), file, { compress: false });
  const bytes = readFileSync(file);
  expect(bytes.readInt32LE(0)).toBe(348);
  expect(bytes.readFloatLE(108)).toBe(352);
  return Buffer.from(bytes.subarray(0, 352));
}

interface Variant {
  name: string;
  /** NIfTI datatype code, bits per voxel and the voxels. */
  type: [number, number, ArrayBufferView & ArrayLike<number>];
  /** Changes to the header, by byte offset (int16 for codes, float32 otherwise). */
  edit?: (h: Buffer) => void;
  /** Bytes between the 352-byte header and the voxels (an extension, or padding). */
  gap?: Buffer;
}

type VoxelArray = Variant['type'][2];

/** A NIfTI datatype code, its bits per voxel, and COUNT voxels of f(index) in that type. */
const voxels = (
  code: number,
  bits: number,
  Ctor: { from(values: ArrayLike<number>): VoxelArray },
  f: (i: number) => number,
): Variant['type'] => [code, bits, Ctor.from(Array.from({ length: COUNT }, (_, i) => f(i)))];

const TYPES: Record<string, Variant['type']> = {
  uint8: voxels(2, 8, Uint8Array, (i) => (i * 37) % 256),
  int8: voxels(256, 8, Int8Array, (i) => ((i * 37) % 256) - 128),
  uint16: voxels(512, 16, Uint16Array, (i) => (i * 4099) % 65536),
  int16: voxels(4, 16, Int16Array, (i) => ((i * 4099) % 65536) - 32768),
  uint32: voxels(768, 32, Uint32Array, (i) => (i * 2654435761) % 2 ** 32),
  int32: voxels(8, 32, Int32Array, (i) => ((i * 2654435761) % 2 ** 32) - 2 ** 31),
  float32: voxels(16, 32, Float32Array, (i) => Math.fround((i - 60) * 1.37e-3)),
  float64: voxels(64, 64, Float64Array, (i) => (i - 60) * 1.37e-3 + 1e-12 * i),
};

/** A NIfTI-1 extension block: esize 32, ecode 6 (comment), text. */
function extension(): Buffer {
  const block = Buffer.alloc(32);
  block.writeInt32LE(32, 0);
  block.writeInt32LE(6, 4);
  block.write('written by the medals tests', 8);
  return block;
}

/** A .nii and a .nii.gz of the variant. */
function writeVariant(base: Buffer, v: Variant): string[] {
  const header = Buffer.from(base);
  const [code, bits, data] = v.type;
  header.writeInt16LE(code, 70);
  header.writeInt16LE(bits, 72);
  const gap = v.gap ?? Buffer.alloc(0);
  header.writeFloatLE(352 + gap.length, 108);
  if (v.gap && v.gap.length >= 8 && v.gap.readInt32LE(0) === v.gap.length) header[348] = 1;
  v.edit?.(header);
  const bytes = Buffer.concat([header, gap, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
  const stem = v.name.replace(/[^a-z0-9]+/gi, '-');
  const files = [path.join(dir, `${stem}.nii`), path.join(dir, `${stem}.nii.gz`)];
  writeFileSync(files[0], bytes);
  writeFileSync(files[1], gzipSync(bytes));
  return files;
}

/** itk-wasm's full read of the file, the oracle. */
async function oracle(file: string) {
  const { couldRead, image } = await niftiReadImageNode(file);
  expect(couldRead).toBe(true);
  return image;
}

const plain = (image: {
  imageType: unknown;
  size: unknown;
  spacing: unknown;
  origin: unknown;
  direction: unknown;
}) => ({
  imageType: image.imageType,
  size: [...(image.size as number[])],
  spacing: [...(image.spacing as number[])],
  origin: [...(image.origin as number[])],
  direction: [...(image.direction as ArrayLike<number> as number[])],
});

const SHEARED_SFORM = (h: Buffer) => {
  // srow_x gains a shear term: not a rotation times spacing any more.
  h.writeFloatLE(h.readFloatLE(284) + 0.4, 284);
};

const FAST: Variant[] = [
  ...Object.entries(TYPES).map(([name, type]) => ({ name: `${name} voxels`, type })),
  { name: 'sform only', type: TYPES.int16, edit: (h) => h.writeInt16LE(0, 252) },
  { name: 'qform only', type: TYPES.int16, edit: (h) => h.writeInt16LE(0, 254) },
  {
    name: 'neither form (Analyze orientation)',
    type: TYPES.int16,
    edit: (h) => {
      h.writeInt16LE(0, 252);
      h.writeInt16LE(0, 254);
    },
  },
  { name: 'a sheared sform', type: TYPES.float32, edit: SHEARED_SFORM },
  { name: 'an extension before the voxels', type: TYPES.int16, gap: extension() },
  { name: 'voxels at a misaligned offset', type: TYPES.float32, gap: Buffer.alloc(2) },
  { name: 'slope 0 (unscaled by the standard)', type: TYPES.int16, edit: (h) => h.writeFloatLE(0, 112) },
];

describe('readNiftiImage', () => {
  for (const variant of FAST) {
    it(`reads ${variant.name} as itk-wasm does, .nii and .nii.gz`, async () => {
      for (const file of writeVariant(await baseHeader(), variant)) {
        const ours = await readNiftiImage(file);
        expect(ours, `${file}: the fast read stepped aside`).not.toBeNull();
        const theirs = await oracle(file);
        expect(plain(ours!)).toEqual(plain(theirs));
        expect(ours!.data!.constructor).toBe(theirs.data!.constructor);
        expect(Array.from(ours!.data as ArrayLike<number>)).toEqual(
          Array.from(theirs.data as ArrayLike<number>),
        );
        // And the volume every step sees is the same either way.
        const volume = await readVolumeFile(file);
        expect(Array.from(volume.data)).toEqual(
          Array.from((await oracle(file)).data as ArrayLike<number>, (v) =>
            volume.type === 'float32' ? Math.fround(v) : v,
          ),
        );
      }
    });
  }

  const withNaN = Float32Array.from(TYPES.float32[2] as Float32Array);
  withNaN[11] = NaN;
  withNaN[12] = -Infinity;
  const ASIDE: Variant[] = [
    {
      name: 'scaled voxels',
      type: TYPES.int16,
      edit: (h) => {
        h.writeFloatLE(2, 112);
        h.writeFloatLE(-3, 116);
      },
    },
    { name: 'an intercept alone', type: TYPES.int16, edit: (h) => h.writeFloatLE(5, 116) },
    { name: 'non-finite floats', type: [16, 32, withNaN] },
    {
      name: 'a fourth axis of length 1',
      type: TYPES.uint8,
      edit: (h) => {
        h.writeInt16LE(4, 40);
        h.writeInt16LE(1, 48);
      },
    },
  ];
  for (const variant of ASIDE) {
    it(`leaves ${variant.name} to itk-wasm, and reads them as it does`, async () => {
      for (const file of writeVariant(await baseHeader(), variant)) {
        expect(await readNiftiImage(file)).toBeNull();
        const theirs = await oracle(file);
        const volume = await readVolumeFile(file);
        expect(volume.geometry).toEqual({
          size: [...theirs.size],
          spacing: [...theirs.spacing],
          origin: [...theirs.origin],
          direction: Array.from(theirs.direction as ArrayLike<number>, (v) => v + 0),
        });
      }
    });
  }

  // itk-wasm's NIfTI reader takes no NIfTI-2 (nibabel reads this one), so neither does the fast
  // read: the file goes to itk-wasm, and what it says of it stands.
  it('leaves a NIfTI-2 file (the same fields, 64-bit, at their own offsets) to itk-wasm', async () => {
    const one = await baseHeader();
    const two = Buffer.alloc(544);
    two.writeInt32LE(540, 0);
    Buffer.from('n+2\0\r\n\x1a\n', 'latin1').copy(two, 4);
    two.writeInt16LE(4, 12); // int16
    two.writeInt16LE(16, 14);
    for (let i = 0; i < 8; i++) {
      two.writeBigInt64LE(BigInt(one.readInt16LE(40 + 2 * i)), 16 + 8 * i);
      two.writeDoubleLE(one.readFloatLE(76 + 4 * i), 104 + 8 * i);
    }
    two.writeBigInt64LE(544n, 168);
    two.writeDoubleLE(1, 176);
    two.writeInt32LE(one.readInt16LE(252), 344); // qform_code
    two.writeInt32LE(one.readInt16LE(254), 348); // sform_code
    // quatern_b, c, d, qoffset_x, y, z, then srow_x, srow_y, srow_z.
    for (let i = 0; i < 18; i++) two.writeDoubleLE(one.readFloatLE(256 + 4 * i), 352 + 8 * i);
    two.writeInt32LE(one[123], 500); // xyzt_units, a char in NIfTI-1
    const data = TYPES.int16[2];
    const bytes = Buffer.concat([two, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
    for (const [name, content] of [
      ['nifti2.nii', bytes],
      ['nifti2.nii.gz', gzipSync(bytes)],
    ] as const) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      expect(await readNiftiImage(file)).toBeNull();
      expect((await niftiReadImageNode(file)).couldRead).not.toBe(true);
      await expect(readVolumeFile(file)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    }
  });

  it('leaves a truncated .nii.gz to itk-wasm', async () => {
    const [, gz] = writeVariant(await baseHeader(), { name: 'truncated', type: TYPES.int16 });
    const bytes = readFileSync(gz);
    writeFileSync(gz, bytes.subarray(0, bytes.length - 12));
    expect(await readNiftiImage(gz)).toBeNull();
  });

  it('leaves a .nii.gz that inflates to far more than its header declares to itk-wasm, which reads the declared voxels', async () => {
    const [plainFile] = writeVariant(await baseHeader(), { name: 'bomb', type: TYPES.int16 });
    const bomb = path.join(dir, 'bomb.nii.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat([readFileSync(plainFile), Buffer.alloc(64 * 2 ** 20)])));
    expect(await readNiftiImage(bomb)).toBeNull();
    expect(Array.from((await readVolumeFile(bomb)).data)).toEqual(Array.from(TYPES.int16[2]));
  });

  it('a 512 x 512 x 4 label map: the voxels are viewed in the inflated file, not copied', async () => {
    const file = path.join(dir, 'big.nii.gz');
    const size: [number, number, number] = [512, 512, 4];
    const data = Uint8Array.from({ length: COUNT }, (_, i) => (i >> 12) % 7);
    const labels = new Uint8Array(size[0] * size[1] * size[2]);
    for (let i = 0; i < labels.length; i++) labels[i] = data[i % COUNT] ^ ((i >> 14) & 3);
    await writeVolumeFile(new Volume<'uint8'>(geometry(size, [0.8, 0.8, 2.5]), labels), file);
    const ours = await readNiftiImage(file);
    expect(ours).not.toBeNull();
    const view = ours!.data as Uint8Array;
    expect(view.byteOffset).toBe(352);
    expect(Buffer.compare(Buffer.from(view), Buffer.from(labels))).toBe(0);
  });
});
