/**
 * A model folder on S3 (issue 7): copied once into a local cache keyed by the manifest's hash,
 * every file verified; a warm container reuses the copy; a file that does not match the manifest
 * is MODEL_CONTRACT and leaves no cache entry; a missing folder is NOT_FOUND.
 */
import { statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { MedalsError } from '../../../functions/lib/core/errors.js';
import { storageFor } from '../../../functions/lib/storage/index.js';
import { localModelFolder } from '../../../functions/lib/model/index.js';
import { loadModel } from '../../../functions/steps/segment/model-loader.js';
import { ensureModel } from '../../../models/generate/index.js';
import { useS3rverStorage } from '../../helpers/s3rver.js';
import { tempDir } from '../../helpers/tmp.js';

async function upload(localDir: string, prefix: string, change?: (name: string, bytes: Buffer) => Buffer) {
  for (const name of await readdir(localDir, { recursive: true })) {
    const file = path.join(localDir, name);
    if (!statSync(file).isFile()) continue;
    const bytes = await readFile(file);
    const key = `${prefix}/${name.split(path.sep).join('/')}`;
    await storageFor(key).write(key, change ? change(name, bytes) : bytes);
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof MedalsError ? e.code : String(e);
  }
}

describe('model folders on S3', () => {
  const cache = tempDir('medals-model-cache-');
  const s3 = useS3rverStorage();
  let local: string;

  beforeAll(async () => {
    local = await ensureModel('phantom');
    await upload(local, `s3://${s3.bucket}/models/phantom`);
  });

  it('copies the folder once, verified, and the copy loads', async () => {
    const uri = `s3://${s3.bucket}/models/phantom`;
    const dir = await localModelFolder(uri, { cacheDir: cache });
    expect(path.dirname(dir)).toBe(cache);
    for (const name of await readdir(local)) {
      if (!statSync(path.join(local, name)).isFile()) continue;
      expect(
        (await readFile(path.join(dir, name))).equals(await readFile(path.join(local, name))),
        name,
      ).toBe(true);
    }
    const model = await loadModel(dir, { device: 'cpu' });
    expect(model.stages[1]).toBeDefined();
    await model.release();

    const gets = async () => (await s3.requests()).filter((r) => r.startsWith('GET')).length;
    const before = await gets();
    expect(await localModelFolder(uri, { cacheDir: cache })).toBe(dir);
    expect((await gets()) - before).toBe(1); // only manifest.json, to know the key
  });

  it('refuses a folder whose files do not match the manifest, leaving no cache entry', async () => {
    await upload(local, `s3://${s3.bucket}/models/tampered`, (name, bytes) => {
      if (!name.endsWith('.onnx') || !name.includes('stage1')) return bytes;
      const copy = Buffer.from(bytes);
      copy[copy.length - 1] ^= 0xff;
      return copy;
    });
    const other = tempDir('medals-model-cache-bad-');
    expect(await codeOf(localModelFolder(`s3://${s3.bucket}/models/tampered`, { cacheDir: other }))).toBe(
      'MODEL_CONTRACT',
    );
    expect(await readdir(other)).toEqual([]);
    expect(await codeOf(localModelFolder(`s3://${s3.bucket}/models/none`, { cacheDir: other }))).toBe(
      'NOT_FOUND',
    );
  });

  it('uses a local folder in place', async () => {
    expect(await localModelFolder(local)).toBe(local);
  });
});
