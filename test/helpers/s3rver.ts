/**
 * A real s3rver on 127.0.0.1 (free port, temp folder) for tests that talk S3 without AWS.
 *
 * It runs in a child process started with --openssl-legacy-provider: s3rver 3.7 encrypts
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) disables, so any
 * truncated listing otherwise fails with a 500 InternalError.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';

/** s3rver only accepts its built-in key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** `METHOD /path?query` of every request served so far, to tell which S3 calls a client made. */
  requests(): Promise<string[]>;
  /** S3-style notification events s3rver emitted so far. */
  events(): Promise<unknown[]>;
  stop(): Promise<void>;
}

const CHILD = `
const S3rver = require(process.argv[1]);
const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const requests = [];
const events = [];
server.on('event', (e) => events.push(e));
server.run().then((address) => {
  server.httpServer.on('request', (req) => requests.push(req.method + ' ' + req.url));
  process.send({ type: 'ready', port: address.port });
}, (error) => { console.error(error); process.exit(1); });
process.on('message', (m) => {
  if (m.type === 'log') process.send({ type: 'log', id: m.id, requests, events });
  if (m.type === 'stop') { server.httpServer.closeAllConnections(); server.close(() => process.exit(0)); }
});
process.on('disconnect', () => process.exit(0));
`;

interface Message {
  type: 'ready' | 'log';
  port?: number;
  id?: number;
  requests?: string[];
  events?: unknown[];
}

function once(child: ChildProcess, accept: (m: Message) => boolean): Promise<Message> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Message) => {
      if (!accept(m)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`s3rver child exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startS3rver(bucket = 'medals-test'): Promise<TestS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'medals-s3rver-'));
  const entry = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD, entry, directory, bucket],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ready = await once(child, (m) => m.type === 'ready');
  let nextId = 0;
  const log = async () => {
    const id = nextId++;
    const reply = once(child, (m) => m.type === 'log' && m.id === id);
    child.send({ type: 'log', id });
    return reply;
  };
  return {
    endpoint: `http://127.0.0.1:${ready.port}`,
    bucket,
    requests: async () => (await log()).requests ?? [],
    events: async () => (await log()).events ?? [],
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'stop' });
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Points the process's default storage (storageFor) at `s3`, as a deployment's environment
 * would: MEDALS_S3_ENDPOINT and the default credential chain. Undo with vi.unstubAllEnvs().
 */
export function useS3rverEnvironment(s3: TestS3, stubEnv: (name: string, value: string) => unknown): void {
  stubEnv('MEDALS_S3_ENDPOINT', s3.endpoint);
  stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  stubEnv('AWS_REGION', 'us-east-1');
}

/**
 * An s3rver for the enclosing suite (or file) with the process's default storage pointed at it:
 * started in beforeAll (then useS3rverEnvironment), stopped after vi.unstubAllEnvs() in
 * afterAll. The returned object stands for the running server inside tests and later hooks.
 */
export function useS3rverStorage(bucket = 'medals-test'): TestS3 {
  let s3: TestS3 | undefined;
  beforeAll(async () => {
    s3 = await startS3rver(bucket);
    useS3rverEnvironment(s3, vi.stubEnv);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await s3?.stop();
  });
  const running = (): TestS3 => {
    if (!s3) throw new Error('s3rver starts in beforeAll');
    return s3;
  };
  return {
    get endpoint() {
      return running().endpoint;
    },
    bucket,
    requests: () => running().requests(),
    events: () => running().events(),
    stop: () => running().stop(),
  };
}
