/** Volumes written and read back through storage (functions/lib/image/volume-store.ts): a local path and S3. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../../functions/lib/storage/index.js';
import { readVolume, writeVolume } from '../../../functions/lib/image/volume-store.js';
import { generatePhantom } from '../../../functions/tools/phantom/phantom.js';
import { S3RVER_CREDENTIALS, type TestS3, startS3rver } from '../../helpers/s3rver.js';
import { tempDir } from '../../helpers/tmp.js';

const phantom = generatePhantom({ size: [48, 48, 20], spacing: [0.8, 0.8, 2.5], seed: 6 });

describe('volumes in storage', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3rver('volumes');
  });
  afterAll(async () => s3.stop());

  it('round-trips a volume through a local path and through S3 with its geometry', async () => {
    const local = path.join(tempDir(), 'nested', 'labels.nii.gz');
    await writeVolume(phantom.labels, local);
    const storage = openStorage('s3://volumes/x', { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    await writeVolume(phantom.labels, 's3://volumes/case/labels.nrrd', storage);
    for (const back of [
      await readVolume(local),
      await readVolume('s3://volumes/case/labels.nrrd', storage),
    ]) {
      expect(back.size).toEqual(phantom.labels.size);
      for (let a = 0; a < 3; a++) expect(back.origin[a]).toBeCloseTo(phantom.labels.origin[a], 4);
      for (let i = 0; i < 9; i++) expect(back.direction[i]).toBeCloseTo(phantom.labels.direction[i], 5);
      expect(Array.from(back.data)).toEqual(Array.from(phantom.labels.data));
    }
  });
});
