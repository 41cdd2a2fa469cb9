/**
 * The case image, whatever it is: an ITK file (NIfTI, NRRD, MetaImage and the other formats
 * itk-wasm reads), a DICOM series folder, or a challenge npz. Headers are checked before any
 * voxel is decoded (input/inspect.ts); voxels are checked after.
 */
import { stat } from 'node:fs/promises';
import { InvalidInputError, UnsupportedFormatError } from '../core/errors.js';
import { type Sharing, readVolumeFile } from './image-io.js';
import { imageExtension } from './input/extension.js';
import { type PromptDict, arrayToVolume, readChallengeNpz } from './npz/index.js';
import { type Storage, parseUri, storageFor } from '../storage/index.js';
import type { Volume } from '../geometry/volume.js';
import { withLocalCopy } from './volume-store.js';
import { sharedVolume } from './shared-volumes.js';
import { checkVoxels, type IntensityRange } from './input/check-volume.js';
import { readDicomSeries } from './dicom.js';
import { DEFAULT_MAX_VOXELS, inspectImageFile } from './input/inspect.js';
import { type NpzSpacing, readNpzSpacing } from '../medal-s/npz-spacing.js';
import { xyzFromHwd } from '../medal-s/plan-spacing.js';

type InputFormat = 'itk' | 'dicom' | 'npz';

export interface ImageInput {
  volume: Volume;
  format: InputFormat;
  /** File extension or 'dicom'. */
  kind: string;
  range: IntensityRange;
  /** Challenge npz only: the spacing as stored and how Medal S read it, and the prompts it carries. */
  npz?: { spacing: NpzSpacing; textPrompts?: PromptDict; shape: [number, number, number] };
}

interface ReadInputOptions {
  maxVoxels?: number;
  storage?: Storage;
  /** A local image file is shared with later steps of this process (image-io.ts Sharing). */
  shared?: Sharing;
}

async function readNpz(uri: string, name: string, options: ReadInputOptions): Promise<ImageInput> {
  const storage = options.storage ?? storageFor(uri);
  const maxVoxels = options.maxVoxels ?? DEFAULT_MAX_VOXELS;
  const c = readChallengeNpz(await storage.read(uri), { maxElements: maxVoxels });
  const shape = c.imgs.shape as [number, number, number];
  const spacing = readNpzSpacing(c.spacing, shape);
  // Medal S's reading of the spacing, in (H, W, D), becomes the volume's (x, y, z) spacing.
  const volume = arrayToVolume(c.imgs, xyzFromHwd(spacing.hwd));
  return {
    volume,
    format: 'npz',
    kind: '.npz',
    range: checkVoxels(volume, name),
    npz: { spacing, shape, ...(c.textPrompts ? { textPrompts: c.textPrompts } : {}) },
  };
}

/** Ranges of shared volumes, which nobody modifies (shared-volumes.ts): checked once. */
const sharedRanges = new WeakMap<Volume, IntensityRange>();

function checkedRange(volume: Volume, name: string): IntensityRange {
  let range = sharedRanges.get(volume);
  if (!range) sharedRanges.set(volume, (range = checkVoxels(volume, name)));
  return range;
}

export async function readImageInput(uri: string, options: ReadInputOptions = {}): Promise<ImageInput> {
  const location = parseUri(uri);
  const name = location.scheme === 's3' ? location.key.split('/').pop() || uri : uri;
  const ext = imageExtension(location.scheme === 's3' ? location.key : location.path);
  if (ext === '.npz') return readNpz(uri, name, options);
  if (location.scheme === 'file' && (await stat(location.path).catch(() => null))?.isDirectory()) {
    const volume = await readDicomSeries(location.path);
    return { volume, format: 'dicom', kind: 'dicom', range: checkVoxels(volume, name) };
  }
  if (location.scheme === 's3' && (location.key === '' || location.key.endsWith('/'))) {
    throw new UnsupportedFormatError(`${uri} is a folder; DICOM series are read from local folders only`);
  }
  if (!ext) throw new InvalidInputError(`cannot tell the format of ${uri}: give the file its extension`);
  return withLocalCopy(
    uri,
    async (file) => {
      const shared = location.scheme === 'file' ? options.shared : false;
      // A volume an earlier step of this process read from this very file was inspected then:
      // inspecting again would decompress the whole file for nothing.
      let volume = shared ? sharedVolume(file, { take: shared === 'take' }) : undefined;
      if (!volume) {
        await inspectImageFile(file, { maxVoxels: options.maxVoxels });
        volume = await readVolumeFile(file, { shared });
      }
      return { volume, format: 'itk' as const, kind: ext, range: checkedRange(volume, name) };
    },
    options.storage,
  );
}
