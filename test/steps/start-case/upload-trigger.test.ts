/**
 * The S3 upload trigger end to end on this machine (issue 8): a real s3rver, a phantom and its
 * request uploaded into inbox/, the server's own S3 notification turned into the EventBridge
 * "Object Created" event AWS would deliver, the same start function, and the results found
 * under outbox/. The same request delivered or uploaded twice runs once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { caseFile } from '../../../functions/lib/case/case-files.js';
import { storageFor } from '../../../functions/lib/storage/index.js';
import { writePhantom } from '../../../functions/tools/phantom/write-phantom.js';
import { ensureModel } from '../../../models/generate/index.js';
import { startCase } from '../../../functions/steps/start-case/handler.js';
import { caseOfKey, executionName, requestFromUpload } from '../../../functions/steps/start-case/trigger.js';
import { LocalCaseStarter } from '../../../workflows/local-starter.js';
import { type TestS3, useS3rverStorage } from '../../helpers/s3rver.js';
import { tempDir } from '../../helpers/tmp.js';

interface S3Record {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; eTag?: string; size?: number } };
}

/** What EventBridge delivers for an S3 notification record (key URL-decoded, as EventBridge gives it). */
function toEventBridge(record: S3Record) {
  return {
    version: '0',
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: {
      bucket: { name: record.s3.bucket.name },
      object: {
        key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
        ...(record.s3.object.eTag ? { etag: record.s3.object.eTag } : {}),
        ...(record.s3.object.size !== undefined ? { size: record.s3.object.size } : {}),
      },
      reason: 'PutObject',
    },
  };
}

async function createdEvents(s3: TestS3, key: string) {
  const log = (await s3.events()) as { Records: S3Record[] }[];
  return log
    .flatMap((e) => e.Records)
    .filter((r) => r.eventName.startsWith('ObjectCreated') && decodeURIComponent(r.s3.object.key) === key)
    .map(toEventBridge);
}

describe('trigger rules', () => {
  const object = { bucket: 'bkt', key: 'inbox/c1/request.json', etag: '"abc"' };
  it('takes only inbox/<case>/request.json', () => {
    expect(caseOfKey('inbox/c1/request.json')).toBe('c1');
    for (const key of [
      'inbox/c1/image.nii.gz',
      'inbox/request.json',
      'inbox/a/b/request.json',
      'outbox/c1/request.json',
    ])
      expect(caseOfKey(key), key).toBeNull();
  });
  it('names executions from bucket, key and ETag, within 80 characters', () => {
    const a = executionName(object, 'c1');
    expect(a).toMatch(/^c1-[0-9a-f]{32}$/);
    expect(executionName({ ...object }, 'c1')).toBe(a);
    expect(executionName({ ...object, etag: '"def"' }, 'c1')).not.toBe(a);
    const long = executionName(object, 'x'.repeat(200));
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
  });
  it('resolves references beside the request and confines them to the case folder', () => {
    const r = requestFromUpload({ image: 'image.nii.gz', prompts: ['liver'] }, object, 'c1');
    expect(r.image).toBe('s3://bkt/inbox/c1/image.nii.gz');
    expect(r.output).toBe('s3://bkt/outbox/c1');
    const refused = [
      { image: '../c2/image.nii.gz', prompts: ['liver'] },
      { image: '/etc/passwd', prompts: ['liver'] },
      { image: 's3://other/inbox/c1/image.nii.gz', prompts: ['liver'] },
      { image: 's3://bkt/inbox/c2/image.nii.gz', prompts: ['liver'] },
      { image: 'image.nii.gz', prompts: ['liver'], output: 's3://bkt/elsewhere' },
    ];
    for (const raw of refused)
      expect(() => requestFromUpload(raw, object, 'c1'), JSON.stringify(raw)).toThrow(
        /INVALID_INPUT|outside|must/,
      );
  });
});

describe('upload trigger on s3rver', () => {
  const dir = tempDir('medals-upload-');
  const s3 = useS3rverStorage();
  const bucket = s3.bucket;

  it('runs an uploaded case once, results under outbox/', async () => {
    const w = await writePhantom(path.join(dir, 'phantom'), { seed: 3 });
    const put = async (key: string, body: Uint8Array) =>
      storageFor(`s3://${bucket}/${key}`).write(`s3://${bucket}/${key}`, body);
    await put('inbox/c1/image.nii.gz', await readFile(w.files.image));
    await put('inbox/c1/labels.nii.gz', await readFile(w.files.labels));
    const request = {
      image: 'image.nii.gz',
      groundTruth: 'labels.nii.gz',
      prompts: w.phantom.prompts,
      model: await ensureModel('phantom'),
    };
    const body = new TextEncoder().encode(JSON.stringify(request));
    await put('inbox/c1/request.json', body);

    const starter = new LocalCaseStarter();
    const [imageEvent] = await createdEvents(s3, 'inbox/c1/image.nii.gz');
    expect(await startCase(imageEvent, starter)).toMatchObject({ status: 'ignored' });
    const [event] = await createdEvents(s3, 'inbox/c1/request.json');
    const first = await startCase(event, starter);
    expect(first).toMatchObject({ status: 'started', output: `s3://${bucket}/outbox/c1` });
    if (first.status !== 'started') return;
    const run = await starter.execution(first.executionName)!;
    expect(run.status, JSON.stringify(run)).toBe('SUCCEEDED');
    const out = `s3://${bucket}/outbox/c1`;
    for (const f of ['seg', 'metrics', 'stats', 'report'] as const) {
      expect(await storageFor(out).exists(caseFile(out, f)), f).toBe(true);
    }
    const metrics = await storageFor(out).readJson<{ dsc: number }>(caseFile(out, 'metrics'));
    expect(metrics.dsc).toBeGreaterThan(0.85);

    // The same notification again (EventBridge delivers at least once), then the same request
    // uploaded again: one execution name, one run.
    expect(await startCase(event, starter)).toMatchObject({
      status: 'already-started',
      executionName: first.executionName,
    });
    await put('inbox/c1/request.json', body);
    const uploads = await createdEvents(s3, 'inbox/c1/request.json');
    expect(uploads).toHaveLength(2);
    expect(await startCase(uploads[1], starter)).toMatchObject({ status: 'already-started' });
    expect(starter.started).toBe(1);
  });

  it('rejects a request that reaches outside its folder, with error.json in its outbox', async () => {
    const key = 'inbox/c2/request.json';
    await storageFor(`s3://${bucket}/${key}`).writeJson(`s3://${bucket}/${key}`, {
      image: '../c1/image.nii.gz',
      prompts: ['liver'],
    });
    const [event] = await createdEvents(s3, key);
    const starter = new LocalCaseStarter();
    const result = await startCase(event, starter);
    expect(result).toMatchObject({ status: 'rejected', error: { code: 'INVALID_INPUT' } });
    expect(starter.started).toBe(0);
    const error = await storageFor(`s3://${bucket}/x`).readJson<{ code: string; failedState: string }>(
      `s3://${bucket}/outbox/c2/error.json`,
    );
    expect(error).toMatchObject({ code: 'INVALID_INPUT', failedState: 'StartCase' });
  });
});
