import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readVolumeFile, writeVolumeFile } from '../../../functions/lib/image/image-io.js';
import { Volume } from '../../../functions/lib/geometry/volume.js';
import { generatePhantom } from '../../../functions/tools/phantom/phantom.js';
import { checkCtRange, checkVoxels } from '../../../functions/lib/image/input/check-volume.js';
import { inspectImageFile } from '../../../functions/lib/image/input/inspect.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir();
const phantom = generatePhantom({ size: [24, 20, 12], spacing: [0.8, 0.8, 2.5], seed: 2 });
const file = (name: string) => path.join(dir, name);

/** A copy of the phantom's .nii.gz with its (decompressed) header edited. */
function editedNifti(name: string, edit: (view: DataView) => void): string {
  const raw = gunzipSync(readFileSync(file('base.nii.gz')));
  edit(new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
  writeFileSync(file(name), gzipSync(raw));
  return file(name);
}

async function refusal(target: string, options = {}): Promise<{ code: string; message: string }> {
  try {
    await inspectImageFile(target, options);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error(`expected ${target} to be refused`);
}

beforeAll(async () => {
  await writeVolumeFile(phantom.image, file('base.nii.gz'));
  await writeVolumeFile(phantom.image, file('base.nii'));
  await writeVolumeFile(phantom.image, file('base.nrrd'), { compress: false });
  await writeVolumeFile(phantom.image, file('base-gz.nrrd'), { compress: true });
  await writeVolumeFile(phantom.image, file('base.mha'), { compress: false });
  await writeVolumeFile(phantom.image, file('base-z.mha'), { compress: true });
});

describe('image header checks', () => {
  it.each(['base.nii.gz', 'base.nii', 'base.nrrd', 'base-gz.nrrd', 'base.mha', 'base-z.mha'])(
    'accepts a good %s and reports what it declares',
    async (name) => {
      const h = await inspectImageFile(file(name));
      expect(h?.dims.slice(0, 3)).toEqual([24, 20, 12]);
      expect(h?.elementType).toBe('int16');
      for (let a = 0; a < 3; a++) expect(h!.spacing[a]).toBeCloseTo(phantom.image.spacing[a], 5);
    },
  );

  it('refuses a 2D image', async () => {
    const target = editedNifti('2d.nii.gz', (v) => {
      v.setInt16(40, 2, true);
      v.setInt16(46, 1, true);
    });
    const e = await refusal(target);
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/is 2D \(24x20\); medals needs a 3D volume/);
  });

  it('refuses a 4D image with several volumes but accepts a single-volume 4D one', async () => {
    const multi = editedNifti('4d.nii.gz', (v) => {
      v.setInt16(40, 4, true);
      v.setInt16(48, 3, true);
    });
    expect((await refusal(multi)).message).toMatch(/4D with 3 volumes/);
    const single = editedNifti('4d1.nii.gz', (v) => {
      v.setInt16(40, 4, true);
      v.setInt16(48, 1, true);
    });
    expect((await inspectImageFile(single))?.dims).toEqual([24, 20, 12, 1]);
  });

  it.each([
    ['zero', 0],
    ['negative', -1.5],
    ['NaN', NaN],
  ])('refuses a %s spacing (itk-wasm would read a zero pixdim as 1.0)', async (label, value) => {
    const target = editedNifti(`spacing-${label}.nii.gz`, (v) => v.setFloat32(80 + 4, value, true));
    const e = await refusal(target);
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/spacing .*positive, finite spacing/);
  });

  it('refuses truncated files, raw and compressed, instead of zero-filling them', async () => {
    const gz = readFileSync(file('base.nii.gz'));
    writeFileSync(file('cut.nii.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    expect(await refusal(file('cut.nii.gz'))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/truncated/),
    });
    const raw = readFileSync(file('base.nii'));
    writeFileSync(file('cut.nii'), raw.subarray(0, raw.length - 100));
    expect((await refusal(file('cut.nii'))).message).toMatch(
      /truncated: it holds 11420 bytes .* declares 11520/,
    );
    for (const name of ['base.nrrd', 'base-gz.nrrd', 'base-z.mha']) {
      const bytes = readFileSync(file(name));
      writeFileSync(file(`cut-${name}`), bytes.subarray(0, bytes.length - 200));
      expect((await refusal(file(`cut-${name}`))).message, name).toMatch(/truncated/);
    }
  });

  it('refuses corrupt compressed data', async () => {
    const gz = Buffer.from(readFileSync(file('base.nii.gz')));
    for (let i = 200; i < 260; i++) gz[i] ^= 0x5a;
    writeFileSync(file('corrupt.nii.gz'), gz);
    const e = await refusal(file('corrupt.nii.gz'));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/corrupt|truncated/);
  });

  it('refuses volumes over the size limit from the header alone, before decompressing', async () => {
    expect((await refusal(file('base.nii.gz'), { maxVoxels: 1000 })).message).toMatch(
      /over the limit of 1\.000e\+3/,
    );
    // 32767^3 voxels declared in a tiny file: refused at once, nothing allocated.
    const huge = editedNifti('huge.nii.gz', (v) =>
      [1, 2, 3].forEach((i) => v.setInt16(40 + 2 * i, 32767, true)),
    );
    const before = process.memoryUsage().rss;
    expect((await refusal(huge)).message).toMatch(/3\.518e\+13 voxels, over the limit/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200e6);
  });

  it('refuses unknown data types and multi-component voxels with UNSUPPORTED_FORMAT', async () => {
    expect(await refusal(editedNifti('dt.nii.gz', (v) => v.setInt16(70, 77, true)))).toMatchObject({
      code: 'UNSUPPORTED_FORMAT',
      message: expect.stringMatching(/unknown NIfTI datatype 77/),
    });
    expect((await refusal(editedNifti('rgb.nii.gz', (v) => v.setInt16(70, 128, true)))).message).toMatch(
      /3 components/,
    );
  });

  it('refuses a corrupt header and a missing file with named errors', async () => {
    expect((await refusal(editedNifti('magic.nii.gz', (v) => v.setInt32(0, 1234, true)))).message).toMatch(
      /not a NIfTI/,
    );
    expect((await refusal(file('absent.nii.gz'))).code).toBe('NOT_FOUND');
    writeFileSync(file('empty.nrrd'), '');
    expect((await refusal(file('empty.nrrd'))).message).toMatch(/empty/);
  });

  it('refuses an NRRD whose space directions give a zero spacing', async () => {
    const text = readFileSync(file('base.nrrd'));
    const at = text.indexOf('space directions:');
    const end = text.indexOf('\n', at);
    const edited = Buffer.concat([
      text.subarray(0, at),
      Buffer.from('space directions: (0,0,0) (0,0.8,0) (0,0,2.5)'),
      text.subarray(end),
    ]);
    writeFileSync(file('zero.nrrd'), edited);
    expect((await refusal(file('zero.nrrd'))).message).toMatch(/spacing 0 x 0\.8 x 2\.5/);
  });
});

describe('voxel checks', () => {
  const g = phantom.image.geometry;
  it('refuses NaN and infinite voxels, counting them', () => {
    const data = new Float32Array(phantom.image.data);
    data[3] = NaN;
    data[10] = Infinity;
    expect(() => checkVoxels(new Volume(g, data), 'x.nii')).toThrow(/x\.nii has 2 NaN or infinite voxels/);
  });

  it('refuses a constant image and returns the range otherwise', () => {
    expect(() => checkVoxels(new Volume(g, new Int16Array(phantom.image.data.length).fill(7)), 'c')).toThrow(
      /constant image/,
    );
    const range = checkVoxels(phantom.image, 'p');
    expect(range.min).toBe(Math.min(...phantom.image.data));
    expect(range.max).toBe(Math.max(...phantom.image.data));
  });

  it('refuses implausible CT ranges', () => {
    expect(() => checkCtRange({ min: -1000, max: -5 }, 'a')).toThrow(/does not look like CT/);
    expect(() => checkCtRange({ min: 600, max: 3000 }, 'b')).toThrow(/does not look like CT/);
    expect(() => checkCtRange({ min: 0, max: 255 }, 'c')).not.toThrow();
  });

  it('a singular direction read through itk-wasm is refused, not passed on', async () => {
    const text = readFileSync(file('base.nrrd'));
    const at = text.indexOf('space directions:');
    const end = text.indexOf('\n', at);
    writeFileSync(
      file('singular.nrrd'),
      Buffer.concat([
        text.subarray(0, at),
        Buffer.from('space directions: (0.8,0,0) (0.8,0,0) (0,0,2.5)'),
        text.subarray(end),
      ]),
    );
    await expect(readVolumeFile(file('singular.nrrd'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('what itk-wasm prints', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  /** A .nii.gz whose sform rows are NaN (sform_code 1): itk-wasm reads it with NaN geometry. */
  const nanSform = () =>
    editedNifti('nan-sform.nii.gz', (v) => {
      v.setInt16(254, 1, true); // sform_code
      for (let i = 0; i < 12; i++) v.setFloat32(280 + 4 * i, Number.NaN, true);
    });

  it('holds back ITK warnings and names the file and the NaN fields in the error', async () => {
    vi.stubEnv('MEDALS_LOG_LEVEL', '');
    const target = nanSform();
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const logged = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = await readVolumeFile(target).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((error as Error).message).toContain(target);
    expect((error as Error).message).toContain('got NaN, NaN, NaN');
    expect(printed).not.toHaveBeenCalled();
    expect(logged).not.toHaveBeenCalled();
  });

  it('lets them through with MEDALS_LOG_LEVEL=debug (so there is something to hold back)', async () => {
    vi.stubEnv('MEDALS_LOG_LEVEL', 'debug');
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    await readVolumeFile(nanSform()).catch(() => undefined);
    expect(printed.mock.calls.flat().join('\n')).toMatch(/vnl_svd|SVD/);
  });
});
