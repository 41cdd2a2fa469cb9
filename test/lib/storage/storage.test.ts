import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  joinUri,
  openStorage,
  parentUri,
  parseUri,
  storageFor,
  type Storage,
  type StorageOptions,
} from '../../../functions/lib/storage/index.js';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../../helpers/s3rver.js';
import { tempDir } from '../../helpers/tmp.js';

const MiB = 1024 * 1024;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as { code?: string }).code ?? `uncoded ${String(e)}`;
  }
  return 'resolved';
}

function codeOfSync(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `uncoded ${String(e)}`;
  }
  return 'returned';
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

function s3Options(extra: StorageOptions = {}): StorageOptions {
  return { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, ...extra };
}

function s3Client(): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

describe('storage URIs', () => {
  it('parses paths, file:// URLs (percent-decoded) and s3://bucket/key', () => {
    expect(parseUri('out/a.json')).toEqual({ scheme: 'file', path: 'out/a.json', form: 'path' });
    expect(parseUri('file:///tmp/with%20space/%23x.nii.gz')).toEqual({
      scheme: 'file',
      path: '/tmp/with space/#x.nii.gz',
      form: 'url',
    });
    expect(parseUri('s3://bucket/cases/c1/case.nii.gz')).toEqual({
      scheme: 's3',
      bucket: 'bucket',
      key: 'cases/c1/case.nii.gz',
    });
    expect(parseUri('s3://bucket')).toEqual({ scheme: 's3', bucket: 'bucket', key: '' });
  });

  it('rejects malformed URIs with INVALID_INPUT', async () => {
    for (const bad of [
      '',
      's3://',
      's3:///key',
      's3:/bucket/key',
      'http://host/x',
      'gs://b/k',
      'file://remote/x',
    ]) {
      expect(
        codeOfSync(() => parseUri(bad)),
        bad,
      ).toBe('INVALID_INPUT');
      expect(
        codeOfSync(() => openStorage(bad)),
        bad,
      ).toBe('INVALID_INPUT');
    }
    const storage = openStorage('s3://bkt/k', s3Options());
    expect(await codeOf(storage.read('http://example.com/a'))).toBe('INVALID_INPUT');
    expect(await codeOf(storage.write(`s3://${s3.bucket}/folder/`, new Uint8Array(1)))).toBe('INVALID_INPUT');
    expect(await codeOf(storage.read(`s3://${s3.bucket}`))).toBe('INVALID_INPUT');
  });

  it('joins keys under a prefix and finds the parent', () => {
    expect(joinUri('s3://bkt/out/', 'c1', 'mask.nii.gz')).toBe('s3://bkt/out/c1/mask.nii.gz');
    expect(joinUri('s3://bkt', 'a/b.json')).toBe('s3://bkt/a/b.json');
    expect(joinUri('/data/out', 'c1/x.json')).toBe('/data/out/c1/x.json');
    expect(joinUri('file:///data/my%20out', 'a b.json')).toBe('file:///data/my%20out/a%20b.json');
    expect(codeOfSync(() => joinUri('s3://bkt/out', '../secret'))).toBe('INVALID_INPUT');
    expect(codeOfSync(() => joinUri('/data', '/etc/passwd'))).toBe('INVALID_INPUT');
    expect(parentUri('s3://bkt/out/c1/mask.nii.gz')).toBe('s3://bkt/out/c1');
    expect(parentUri('s3://bkt/out/c1/')).toBe('s3://bkt/out');
    expect(parentUri('s3://bkt/top.json')).toBe('s3://bkt');
    expect(parentUri('/data/out/x.json')).toBe('/data/out');
    expect(parentUri('file:///data/my%20out/x.json')).toBe('file:///data/my%20out');
  });
});

const localRoot = path.join(tempDir('medals-storage-'), 'with space');
const backends: { name: string; root: () => string; open: () => Storage }[] = [
  { name: 'local path', root: () => localRoot, open: () => openStorage(localRoot) },
  {
    name: 'file:// URL',
    root: () => pathToFileURL(localRoot).href + '/url',
    open: () => openStorage('file:///'),
  },
  {
    name: 's3',
    root: () => `s3://${s3.bucket}/suite`,
    open: () => openStorage(`s3://${s3.bucket}`, s3Options()),
  },
];
describe.each(backends)('storage on $name', ({ root, open }) => {
  it('round-trips text, JSON and binary bodies', async () => {
    const storage = open();
    const text = 'ünïcode ✓\nline 2';
    await storage.writeText(joinUri(root(), 'rt/a.txt'), text);
    expect(await storage.readText(joinUri(root(), 'rt/a.txt'))).toBe(text);

    const value = { classes: ['liver', 'spleen'], spacing: [0.8, 0.8, 2.5], nested: { ok: true } };
    await storage.writeJson(joinUri(root(), 'rt/b.json'), value);
    expect(await storage.readJson(joinUri(root(), 'rt/b.json'))).toEqual(value);

    const binary = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      randomBytes(100_000),
    ]);
    await storage.write(joinUri(root(), 'rt/c.bin'), binary, { contentType: 'application/octet-stream' });
    expect(Buffer.from(await storage.read(joinUri(root(), 'rt/c.bin'))).equals(binary)).toBe(true);

    await storage.write(joinUri(root(), 'rt/empty'), new Uint8Array(0));
    expect((await storage.read(joinUri(root(), 'rt/empty'))).byteLength).toBe(0);
  });

  it('lists nested objects recursively, sorted, as full URIs', async () => {
    const storage = open();
    const keys = ['ls/b/2.txt', 'ls/a.txt', 'ls/b/1/x.txt', 'ls/c.txt', 'ls2/not-me.txt'];
    for (const key of keys) await storage.writeText(joinUri(root(), key), key);
    const expected = keys.filter((k) => k.startsWith('ls/')).map((k) => joinUri(root(), k));
    expect(await storage.list(joinUri(root(), 'ls'))).toEqual([...expected].sort());
    expect(await storage.list(joinUri(root(), 'ls') + '/')).toEqual([...expected].sort());
    expect(await storage.list(joinUri(root(), 'nothing-here'))).toEqual([]);
  });

  it('tells whether an object exists', async () => {
    const storage = open();
    await storage.writeText(joinUri(root(), 'ex/here.txt'), 'x');
    expect(await storage.exists(joinUri(root(), 'ex/here.txt'))).toBe(true);
    expect(await storage.exists(joinUri(root(), 'ex/gone.txt'))).toBe(false);
    expect(await storage.exists(joinUri(root(), 'no-folder/gone.txt'))).toBe(false);
  });

  it('removes an object, and removing nothing is no error', async () => {
    const storage = open();
    const uri = joinUri(root(), 'rm/here.txt');
    await storage.writeText(uri, 'x');
    await storage.remove(uri);
    expect(await storage.exists(uri)).toBe(false);
    await storage.remove(uri);
    await storage.remove(joinUri(root(), 'rm-none/gone.txt'));
  });

  it('throws NOT_FOUND naming the URI for a missing object', async () => {
    const storage = open();
    const uri = joinUri(root(), 'missing/none.json');
    const error = await storage.readJson(uri).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', name: 'NOT_FOUND' });
    expect((error as Error).message).toContain(uri);
  });

  it('throws INVALID_INPUT for a body that is not JSON', async () => {
    const storage = open();
    await storage.writeText(joinUri(root(), 'bad/x.json'), '{ not json');
    expect(await codeOf(storage.readJson(joinUri(root(), 'bad/x.json')))).toBe('INVALID_INPUT');
  });
});

describe('local storage', () => {
  it('decodes file:// escapes to the same file a plain path names', async () => {
    const storage = openStorage(localRoot);
    await storage.writeText(joinUri(pathToFileURL(localRoot).href, 'esc/a b#1.txt'), 'same');
    expect(await storage.readText(path.join(localRoot, 'esc', 'a b#1.txt'))).toBe('same');
  });

  it('leaves no temp files after writes and hides a write in progress from list', async () => {
    const storage = openStorage(localRoot);
    const dir = path.join(localRoot, 'atomic');
    for (let i = 0; i < 5; i++) await storage.writeText(path.join(dir, 'out.json'), `{"i":${i}}`);
    await storage.write(path.join(dir, 'big.bin'), randomBytes(2 * MiB));
    expect(readdirSync(dir).sort()).toEqual(['big.bin', 'out.json']);
    writeFileSync(path.join(dir, '.out.json.0123456789abcdef.medals-tmp'), 'half');
    expect(await storage.list(dir)).toEqual([path.join(dir, 'big.bin'), path.join(dir, 'out.json')]);
  });

  it('lets readers see the old or the new body, never a torn one', async () => {
    const storage = openStorage(localRoot);
    const file = path.join(localRoot, 'torn', 'v.bin');
    const a = Buffer.alloc(4 * MiB, 0xaa);
    const b = Buffer.alloc(4 * MiB, 0xbb);
    await storage.write(file, a);
    const writes = (async () => {
      for (let i = 0; i < 6; i++) await storage.write(file, i % 2 ? a : b);
    })();
    let reads = 0;
    let done = false;
    void writes.finally(() => (done = true));
    while (!done || reads === 0) {
      const body = Buffer.from(await storage.read(file));
      expect(body.length).toBe(4 * MiB);
      expect(body.equals(a) || body.equals(b)).toBe(true);
      reads++;
    }
    await writes;
  });

  it('a failed write leaves nothing behind', async () => {
    const storage = openStorage(localRoot);
    const dir = path.join(localRoot, 'fail');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'plain-file'), 'x');
    // Parent is a file: fails before any temp file exists.
    expect(await codeOf(storage.writeText(path.join(dir, 'plain-file', 'child.txt'), 'x'))).toBe(
      'INVALID_INPUT',
    );
    // Target is a folder: the temp file is written, the rename fails, the temp file must go.
    mkdirSync(path.join(dir, 'a-folder'));
    expect(await codeOf(storage.write(path.join(dir, 'a-folder'), randomBytes(1000)))).toBe('INVALID_INPUT');
    expect(readdirSync(dir).sort()).toEqual(['a-folder', 'plain-file']);
    expect(readdirSync(path.join(dir, 'a-folder'))).toEqual([]);
    expect(existsSync(path.join(dir, 'plain-file', 'child.txt'))).toBe(false);
  });
});

describe('S3 storage', () => {
  it('follows continuation tokens when listing', async () => {
    const storage = openStorage(`s3://${s3.bucket}`, s3Options({ maxKeys: 2 }));
    const keys = Array.from({ length: 7 }, (_, i) => `s3://${s3.bucket}/paged/k${i}/obj.json`);
    for (const key of keys) await storage.writeJson(key, { key });
    const before = (await s3.requests()).filter((r) => r.includes('list-type=2')).length;
    expect(await storage.list(`s3://${s3.bucket}/paged`)).toEqual(keys);
    const pages = (await s3.requests()).filter((r) => r.includes('list-type=2')).length - before;
    expect(pages).toBe(4);
  });

  it('uses one PutObject below the threshold and a multipart upload above it', async () => {
    const storage = openStorage(
      `s3://${s3.bucket}`,
      s3Options({ multipartThreshold: 5 * MiB, partSize: 5 * MiB }),
    );
    const small = `s3://${s3.bucket}/mp/small.bin`;
    const big = `s3://${s3.bucket}/mp/big.bin`;
    const smallBody = randomBytes(MiB);
    const bigBody = randomBytes(11 * MiB);

    let from = (await s3.requests()).length;
    await storage.write(small, smallBody);
    expect((await s3.requests()).slice(from)).toEqual([`PUT /${s3.bucket}/mp/small.bin?x-id=PutObject`]);

    from = (await s3.requests()).length;
    await storage.write(big, bigBody, { contentType: 'application/x-nifti' });
    const calls = (await s3.requests()).slice(from);
    expect(calls.filter((r) => r.startsWith('POST') && r.includes('uploads'))).toHaveLength(1);
    expect(calls.filter((r) => r.includes('partNumber='))).toHaveLength(3);
    expect(calls.filter((r) => r.startsWith('POST') && r.includes('uploadId='))).toHaveLength(1);

    expect(Buffer.from(await storage.read(big)).equals(bigBody)).toBe(true);
    expect(Buffer.from(await storage.read(small)).equals(smallBody)).toBe(true);

    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'mp/big.bin' }));
    expect(head.ContentType).toBe('application/x-nifti');
    expect(head.ContentLength).toBe(11 * MiB);
    client.destroy();
  });

  it('sends tags with the write itself: x-amz-tagging on PutObject and CreateMultipartUpload', async () => {
    const client = s3Client();
    const sent: { command: string; tagging: string | undefined }[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        sent.push({ command: String(context.commandName), tagging: headers['x-amz-tagging'] });
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    const storage = openStorage(`s3://${s3.bucket}`, {
      client,
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
    });
    const tags = { 'medals-retention': 'working', note: 'a b&c=d' };
    const expected = 'medals-retention=working&note=a%20b%26c%3Dd';
    const big = randomBytes(6 * MiB);
    await storage.write(`s3://${s3.bucket}/tags/small.bin`, randomBytes(1000), { tags });
    await storage.write(`s3://${s3.bucket}/tags/big.bin`, big, { tags });
    await storage.write(`s3://${s3.bucket}/tags/plain.bin`, randomBytes(10));
    expect(sent.filter((s) => s.tagging !== undefined)).toEqual([
      { command: 'PutObjectCommand', tagging: expected },
      { command: 'CreateMultipartUploadCommand', tagging: expected },
    ]);
    expect(sent.map((s) => s.command)).toEqual([
      'PutObjectCommand',
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'PutObjectCommand',
    ]);
    expect(Buffer.from(await storage.read(`s3://${s3.bucket}/tags/big.bin`)).equals(big)).toBe(true);
    client.destroy();
  });

  it('answers exists with a one-key listing, and a 403 on a missing key reads as NOT_FOUND', async () => {
    // Roles that may list only their own prefixes get 403, not 404, for a missing key: S3's
    // answer is simulated for GetObject (s3rver has no IAM); the listing is real.
    const client = s3Client();
    const calls: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName));
        if (
          context.commandName === 'GetObjectCommand' &&
          (args.input as { Key: string }).Key.includes('/gone')
        ) {
          throw Object.assign(new Error('Access Denied'), {
            name: 'AccessDenied',
            $metadata: { httpStatusCode: 403 },
          });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const storage = openStorage(`s3://${s3.bucket}`, { client });
    const here = `s3://${s3.bucket}/ls403/here.json`;
    await storage.writeJson(here, { ok: 1 });
    // Keys that extend the key sort after it, so they never answer for it.
    await storage.writeJson(`s3://${s3.bucket}/ls403/gone.json.bak`, {});
    await storage.writeJson(`s3://${s3.bucket}/ls403/gone.json/child`, {});
    calls.length = 0;
    expect(await storage.exists(here)).toBe(true);
    expect(await storage.exists(`s3://${s3.bucket}/ls403/gone.json`)).toBe(false);
    expect(await storage.exists(`s3://${s3.bucket}/ls403/her`)).toBe(false);
    expect(calls).toEqual(['ListObjectsV2Command', 'ListObjectsV2Command', 'ListObjectsV2Command']);

    const missing = await storage.read(`s3://${s3.bucket}/ls403/gone.json`).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect((missing as Error).message).toContain(`s3://${s3.bucket}/ls403/gone.json`);
    // Denied for a key that is there: the refusal stands.
    const denied = await storage.read(`s3://${s3.bucket}/ls403/gone.json.bak`).catch((e: unknown) => e);
    expect((denied as { code?: string }).code).not.toBe('NOT_FOUND');
    expect((denied as Error).message).toMatch(/Access Denied/);
    client.destroy();
  });

  it('says how to provide AWS credentials when there are none (USAGE, not INTERNAL)', async () => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
    });
    const error = await openStorage(`s3://${s3.bucket}`, { client })
      .read(`s3://${s3.bucket}/x.json`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'USAGE' });
    expect((error as Error).message).toMatch(/no AWS credentials found; set AWS_PROFILE/);
    client.destroy();
  });

  it('maps a missing bucket to NOT_FOUND and a refused connection to TRANSIENT', async () => {
    const storage = openStorage('s3://bkt', s3Options());
    expect(await codeOf(storage.read('s3://no-such-bucket/x.json'))).toBe('NOT_FOUND');
    expect(await storage.exists('s3://no-such-bucket/x.json')).toBe(false);

    const port = await closedPort();
    const down = openStorage('s3://bkt', s3Options({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }));
    expect(await codeOf(down.read(`s3://${s3.bucket}/x`))).toBe('TRANSIENT');
    expect(await codeOf(down.writeText(`s3://${s3.bucket}/x`, 'x'))).toBe('TRANSIENT');
    expect(await codeOf(down.list(`s3://${s3.bucket}/`))).toBe('TRANSIENT');
  });

  it('storageFor takes its endpoint from MEDALS_S3_ENDPOINT and credentials from the default chain', async () => {
    vi.stubEnv('MEDALS_S3_ENDPOINT', s3.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    try {
      const uri = `s3://${s3.bucket}/env/x.json`;
      await storageFor(uri).writeJson(uri, { via: 'env' });
      expect(await storageFor(uri).readJson(uri)).toEqual({ via: 'env' });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
