/**
 * A model folder given by any storage URI, as a local folder ONNX Runtime can open. A local path
 * is used in place. An s3:// folder is copied once into a cache keyed by the sha256 of its
 * manifest.json, every file checked against the manifest's sha256 while it is copied; the copy
 * is made in a scratch folder and renamed into place whole, so a cache entry is complete or
 * absent, and a warm container reuses it across cases. A changed model (a new manifest) gets a
 * new entry.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MedalsError, ModelContractError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { joinUri, parseUri, storageFor } from '../storage/index.js';
import { readModelManifest } from './folder.js';
import { MANIFEST_FILE, manifestFiles } from './manifest.js';

/** Where s3:// models are cached: MEDALS_MODEL_CACHE, else medals-models in the temp folder. */
export function modelCacheDir(): string {
  return process.env.MEDALS_MODEL_CACHE || path.join(os.tmpdir(), 'medals-models');
}

async function isFolder(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

/** The local folder of the model at `uri` (see the module comment). */
export async function localModelFolder(uri: string, options: { cacheDir?: string } = {}): Promise<string> {
  const location = parseUri(uri);
  if (location.scheme === 'file') return location.path;
  const storage = storageFor(uri);
  const { manifest, bytes: manifestBytes } = await readModelManifest(uri);
  const cache = options.cacheDir ?? modelCacheDir();
  const final = path.join(cache, sha256(manifestBytes));
  if (await isFolder(final)) return final;

  const scratch = `${final}.partial-${randomBytes(6).toString('hex')}`;
  try {
    await mkdir(scratch, { recursive: true });
    await writeFile(path.join(scratch, MANIFEST_FILE), manifestBytes);
    const problems: string[] = [];
    for (const [role, ref] of manifestFiles(manifest)) {
      const bytes = await storage.read(joinUri(uri, ref.path));
      const actual = sha256(bytes);
      if (actual !== ref.sha256) {
        problems.push(`${ref.path} (${role}) has sha256 ${actual}, the manifest says ${ref.sha256}`);
        continue;
      }
      const file = path.join(scratch, ...ref.path.split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
    if (problems.length > 0) {
      throw new ModelContractError(`model folder ${uri} does not match its manifest: ${problems.join('; ')}`);
    }
    try {
      await rename(scratch, final);
    } catch (e) {
      // Another process finished the same entry first: theirs is as good as ours.
      if (!(await isFolder(final))) throw e;
    }
    return final;
  } catch (e) {
    if (e instanceof MedalsError) throw e;
    throw new MedalsError('INTERNAL', `caching model ${uri} in ${cache}: ${(e as Error).message}`, {
      cause: e,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
