/**
 * One storage interface over local paths, `file://` URLs and `s3://bucket/key`. Workflow state
 * carries these references, never data, so every step reads and writes through here and runs the
 * same on a laptop and on AWS.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidInputError } from '../core/errors.js';
import { LocalDriver } from './local.js';
import type { S3Driver, S3DriverOptions } from './s3.js';
import type { WriteOptions } from './write-options.js';

type StorageLocation =
  { scheme: 'file'; path: string; form: 'path' | 'url' } | { scheme: 's3'; bucket: string; key: string };

export type { WriteOptions };

export interface Storage {
  read(uri: string): Promise<Uint8Array>;
  /** The object appears whole or not at all. */
  write(uri: string, body: Uint8Array, options?: WriteOptions): Promise<void>;
  /** Every object under `prefixUri` taken as a folder, recursively, as full URIs, sorted. */
  list(prefixUri: string): Promise<string[]>;
  /** Whether an object (a file, never a folder) is at `uri`. */
  exists(uri: string): Promise<boolean>;
  /** Removes the object at `uri`; nothing there is not an error. */
  remove(uri: string): Promise<void>;
  readText(uri: string): Promise<string>;
  writeText(uri: string, text: string, options?: WriteOptions): Promise<void>;
  readJson<T = unknown>(uri: string): Promise<T>;
  writeJson(uri: string, value: unknown, options?: WriteOptions): Promise<void>;
}

export type StorageOptions = S3DriverOptions;

// Two characters at least, so a Windows drive letter stays a path; `./a:b` names such a file.
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;
// Lenient about legacy names (upper case, underscores) but never empty or containing a slash.
const BUCKET = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,253}[a-zA-Z0-9]$/;

export function parseUri(uri: string): StorageLocation {
  if (typeof uri !== 'string' || uri.length === 0) throw new InvalidInputError('storage URI is empty');
  if (uri.includes('\0'))
    throw new InvalidInputError(`storage URI contains a NUL byte: ${JSON.stringify(uri)}`);
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return { scheme: 'file', path: uri, form: 'path' };
  if (scheme === 'file') {
    try {
      return { scheme: 'file', path: fileURLToPath(uri), form: 'url' };
    } catch (e) {
      throw new InvalidInputError(`malformed file URL ${uri}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (scheme === 's3') {
    if (!/^s3:\/\//i.test(uri))
      throw new InvalidInputError(`malformed S3 URI ${uri}: expected s3://bucket/key`);
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (!BUCKET.test(bucket))
      throw new InvalidInputError(`malformed S3 URI ${uri}: bad or missing bucket name`);
    return { scheme: 's3', bucket, key: slash < 0 ? '' : rest.slice(slash + 1) };
  }
  throw new InvalidInputError(
    `unsupported storage URI scheme "${scheme}:" in ${uri} (use a path, file:// or s3://)`,
  );
}

function formatUri(location: StorageLocation): string {
  if (location.scheme === 's3') return `s3://${location.bucket}/${location.key}`;
  return location.form === 'url' ? pathToFileURL(location.path).href : location.path;
}

/** `prefix` joined with relative key parts; parts may not climb out of the prefix. */
export function joinUri(prefix: string, ...parts: string[]): string {
  const location = parseUri(prefix);
  const segments = parts.flatMap((part) => part.split('/')).filter((s) => s !== '' && s !== '.');
  if (parts.some((part) => part.startsWith('/')) || segments.includes('..')) {
    throw new InvalidInputError(
      `cannot join ${JSON.stringify(parts)} under ${prefix}: parts must stay under it`,
    );
  }
  if (location.scheme === 's3') {
    const base = location.key.replace(/\/+$/, '');
    return formatUri({ ...location, key: [base, ...segments].filter((s) => s !== '').join('/') });
  }
  return formatUri({ ...location, path: path.join(location.path, ...segments) });
}

/** Like `path.dirname`: the folder holding `uri`; a bucket root is its own parent. */
export function parentUri(uri: string): string {
  const location = parseUri(uri);
  if (location.scheme === 's3') {
    const key = location.key.replace(/\/+$/, '');
    const slash = key.lastIndexOf('/');
    return slash < 0 ? `s3://${location.bucket}` : formatUri({ ...location, key: key.slice(0, slash) });
  }
  return formatUri({ ...location, path: path.dirname(location.path) });
}

class UriStorage implements Storage {
  private readonly local = new LocalDriver();
  private s3?: Promise<S3Driver>;

  constructor(private readonly options: StorageOptions) {}

  // The S3 client is loaded and built on first use: local-only runs never need AWS
  // configuration, and a command that touches no s3:// URI never loads the AWS SDK.
  private s3Driver(): Promise<S3Driver> {
    this.s3 ??= import('./s3.js').then(({ S3Driver }) => new S3Driver(this.options));
    return this.s3;
  }

  private objectLocation(uri: string): StorageLocation {
    const location = parseUri(uri);
    if (location.scheme === 's3' && (location.key === '' || location.key.endsWith('/'))) {
      throw new InvalidInputError(`S3 URI ${uri} names a folder, not an object`);
    }
    return location;
  }

  async read(uri: string): Promise<Uint8Array> {
    const loc = this.objectLocation(uri);
    return loc.scheme === 's3'
      ? (await this.s3Driver()).read(loc.bucket, loc.key, uri)
      : this.local.read(loc.path, uri);
  }

  async write(uri: string, body: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const loc = this.objectLocation(uri);
    if (loc.scheme === 's3') return (await this.s3Driver()).write(loc.bucket, loc.key, body, options, uri);
    return this.local.write(loc.path, body, uri);
  }

  async list(prefixUri: string): Promise<string[]> {
    const loc = parseUri(prefixUri);
    if (loc.scheme === 's3') {
      const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
      const keys = await (await this.s3Driver()).list(loc.bucket, prefix, prefixUri);
      return keys.map((key) => formatUri({ ...loc, key })).sort();
    }
    const files = await this.local.list(loc.path, prefixUri);
    return files.map((file) => formatUri({ ...loc, path: path.join(loc.path, file) })).sort();
  }

  async exists(uri: string): Promise<boolean> {
    const loc = this.objectLocation(uri);
    return loc.scheme === 's3'
      ? (await this.s3Driver()).exists(loc.bucket, loc.key, uri)
      : this.local.exists(loc.path);
  }

  async remove(uri: string): Promise<void> {
    const loc = this.objectLocation(uri);
    return loc.scheme === 's3'
      ? (await this.s3Driver()).remove(loc.bucket, loc.key, uri)
      : this.local.remove(loc.path, uri);
  }

  async readText(uri: string): Promise<string> {
    return new TextDecoder('utf-8').decode(await this.read(uri));
  }

  async writeText(uri: string, text: string, options: WriteOptions = {}): Promise<void> {
    const contentType = options.contentType ?? 'text/plain; charset=utf-8';
    await this.write(uri, new TextEncoder().encode(text), { contentType });
  }

  async readJson<T = unknown>(uri: string): Promise<T> {
    const text = await this.readText(uri);
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new InvalidInputError(`${uri} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }

  async writeJson(uri: string, value: unknown, options: WriteOptions = {}): Promise<void> {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    await this.writeText(uri, text, { contentType: options.contentType ?? 'application/json' });
  }
}

/**
 * A storage for `uri` (validated now, so a bad reference fails before any work is done). Every
 * storage serves all schemes; `options` configure S3 (endpoint, region, credentials, limits).
 */
export function openStorage(uri: string, options: StorageOptions = {}): Storage {
  parseUri(uri);
  return new UriStorage(options);
}

const shared = new Map<string, Storage>();

/** The default storage for `uri`, configured from the environment and shared between calls. */
export function storageFor(uri: string): Storage {
  parseUri(uri);
  // Keyed by the environment so tests that change MEDALS_S3_ENDPOINT get a fresh client.
  const key = [process.env.MEDALS_S3_ENDPOINT, process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION].join(
    '|',
  );
  let storage = shared.get(key);
  if (!storage) {
    storage = new UriStorage({});
    shared.set(key, storage);
  }
  return storage;
}
