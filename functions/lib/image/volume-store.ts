/**
 * Volumes read from and written to any storage URI. itk-wasm works on local files, so S3 objects
 * pass through a private temporary folder; local paths are used in place. Writes stay atomic:
 * a local file is renamed into place, an S3 object is one put or a completed multipart upload.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type CaseFile, caseFile, caseFileWriteOptions } from '../case/case-files.js';
import { type Sharing, readVolumeFile, writeVolumeFile } from './image-io.js';
import { imageExtension } from './input/extension.js';
import { type Storage, type WriteOptions, parseUri, storageFor } from '../storage/index.js';
import type { Volume } from '../geometry/volume.js';

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medals-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A local path for `uri`, downloading it first when it is remote; `work` runs with that path. */
export async function withLocalCopy<T>(
  uri: string,
  work: (file: string) => Promise<T>,
  storage: Storage = storageFor(uri),
): Promise<T> {
  const location = parseUri(uri);
  if (location.scheme === 'file') return work(location.path);
  return withTempDir(async (dir) => {
    const file = path.join(dir, `input${imageExtension(location.key)}`);
    await writeFile(file, await storage.read(uri));
    return work(file);
  });
}

/**
 * `shared` hands volumes between steps of one process through local files (image-io.ts Sharing,
 * shared-volumes.ts); it has no effect on S3 objects.
 */
export async function readVolume(
  uri: string,
  storage?: Storage,
  options: { shared?: Sharing } = {},
): Promise<Volume> {
  return withLocalCopy(
    uri,
    (file) => readVolumeFile(file, parseUri(uri).scheme === 'file' ? options : {}),
    storage,
  );
}

export async function writeVolume(
  volume: Volume,
  uri: string,
  storage: Storage = storageFor(uri),
  options: WriteOptions & { shared?: boolean } = {},
): Promise<void> {
  const location = parseUri(uri);
  const { shared, ...writeOptions } = options;
  if (location.scheme === 'file') return writeVolumeFile(volume, location.path, { shared });
  await withTempDir(async (dir) => {
    const file = path.join(dir, `output${imageExtension(location.key)}`);
    await writeVolumeFile(volume, file);
    await storage.write(uri, await readFile(file), writeOptions);
  });
}

/** Writes one of a case's volumes (CASE_FILES) under its output prefix, tagged as the file needs. */
export async function writeCaseVolume(
  volume: Volume,
  output: string,
  file: CaseFile,
  options: { shared?: boolean; variant?: string } = {},
): Promise<string> {
  const { variant, ...write } = options;
  const uri = caseFile(output, file, variant);
  await writeVolume(volume, uri, storageFor(uri), { ...caseFileWriteOptions(file), ...write });
  return uri;
}
