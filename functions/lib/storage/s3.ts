/** S3 (or any S3-compatible server) behind `Storage`; bucket and key in, URIs only for errors. */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  InvalidInputError,
  MedalsError,
  NotFoundError,
  TransientError,
  UsageError,
  asMedalsError,
} from '../core/errors.js';
import type { WriteOptions } from './write-options.js';

const MiB = 1024 * 1024;
/** S3 rejects multipart parts under 5 MiB (except the last). */
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;

export interface S3DriverOptions {
  /** Any S3-compatible server; defaults to MEDALS_S3_ENDPOINT, else AWS itself. */
  endpoint?: string;
  /** Defaults to AWS_REGION, AWS_DEFAULT_REGION, then us-east-1. */
  region?: string;
  /** Defaults to the SDK's default chain (environment, profile, instance or task role). */
  credentials?: S3ClientConfig['credentials'];
  /** Defaults to true when an endpoint is given: local servers rarely resolve bucket subdomains. */
  forcePathStyle?: boolean;
  /** Bodies of this many bytes or more go up as a multipart upload (default 16 MiB). */
  multipartThreshold?: number;
  /** Multipart part size (default 8 MiB, at least 5 MiB). */
  partSize?: number;
  /** Page size for listing (S3 caps it at 1000); small values exercise pagination. */
  maxKeys?: number;
  /** SDK attempts per request, retries included. */
  maxAttempts?: number;
  /** A ready client; the connection options above are then ignored. */
  client?: S3Client;
}

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
]);
// ECONNREFUSED included: a local endpoint that is still starting refuses for a moment.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

interface SdkError {
  name?: string;
  code?: string;
  errors?: { code?: string }[];
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function mapS3Error(e: unknown, uri: string, action: string): MedalsError {
  if (e instanceof MedalsError) return e;
  const err = (e ?? {}) as SdkError;
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const details = { uri, s3Error: name, ...(status ? { httpStatus: status } : {}) };
  if (NOT_FOUND_NAMES.has(name) || status === 404) {
    return new NotFoundError(`${action} ${uri}: no such object or bucket (${name || status})`, {
      cause: e,
      details,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new UsageError(
      `${action} ${uri}: no AWS credentials found; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them`,
      { cause: e, details },
    );
  }
  const codes = [err.code, ...(err.errors ?? []).map((x) => x.code)];
  if (
    TRANSIENT_NAMES.has(name) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    Boolean(err.$retryable) ||
    codes.some((code) => code !== undefined && NETWORK_CODES.has(code))
  ) {
    const what = name && name !== 'Error' ? name : (codes.find(Boolean) ?? `HTTP ${status}`);
    return new TransientError(`${action} ${uri}: ${what}`, { cause: e, details });
  }
  return asMedalsError(e, 'INTERNAL', `${action} ${uri}`);
}

function isAccessDenied(e: unknown): boolean {
  const err = (e ?? {}) as SdkError;
  return err.name === 'AccessDenied' || err.$metadata?.httpStatusCode === 403;
}

function positive(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new InvalidInputError(`${name} must be an integer >= ${min}`);
  return value;
}

function createClient(options: S3DriverOptions): S3Client {
  const endpoint = options.endpoint ?? (process.env.MEDALS_S3_ENDPOINT || undefined);
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new InvalidInputError(`S3 endpoint is not a URL: ${endpoint}`);
  }
  return new S3Client({
    region: options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1'),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    // Newer SDKs add CRC32 checksums by default; s3rver and other S3 look-alikes reject them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export class S3Driver {
  readonly client: S3Client;
  private readonly threshold: number;
  private readonly partSize: number;
  private readonly maxKeys?: number;

  constructor(options: S3DriverOptions = {}) {
    this.threshold = positive(options.multipartThreshold, 'multipartThreshold', 16 * MiB);
    this.partSize = positive(options.partSize, 'partSize', 8 * MiB, MIN_PART_SIZE);
    if (options.maxKeys !== undefined) this.maxKeys = positive(options.maxKeys, 'maxKeys', 1000);
    this.client = options.client ?? createClient(options);
  }

  async read(bucket: string, key: string, uri: string): Promise<Uint8Array> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      // Inside the try: a connection dropped mid-body is as transient as one dropped before it.
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
    } catch (e) {
      const mapped = mapS3Error(e, uri, 'reading');
      // Without an unconditioned s3:ListBucket (the roles list only their own prefixes) S3
      // answers a missing key with 403; a listing tells the two apart.
      if (isAccessDenied(e) && (await this.exists(bucket, key, uri).catch(() => true)) === false) {
        throw new NotFoundError(`reading ${uri}: no such object`, { cause: e, details: { uri } });
      }
      throw mapped;
    }
  }

  /** PutObject is atomic; a multipart upload appears only when completed, and is aborted on error. */
  async write(
    bucket: string,
    key: string,
    body: Uint8Array,
    options: WriteOptions,
    uri: string,
  ): Promise<void> {
    // Tags go with the write itself (x-amz-tagging on PutObject and CreateMultipartUpload), so an
    // object never exists untagged: lifecycle rules select working files by tag.
    const tagging = Object.entries(options.tags ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    const params = {
      Bucket: bucket,
      Key: key,
      Body: body,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(tagging ? { Tagging: tagging } : {}),
    };
    try {
      if (body.byteLength < this.threshold) {
        await this.client.send(new PutObjectCommand(params));
        return;
      }
      const partSize = Math.max(this.partSize, Math.ceil(body.byteLength / MAX_PARTS));
      await new Upload({
        client: this.client,
        params,
        partSize,
        queueSize: 4,
        leavePartsOnError: false,
      }).done();
    } catch (e) {
      throw mapS3Error(e, uri, 'writing');
    }
  }

  /** Keys under `prefix`, following continuation tokens; folder markers (keys ending in /) skipped. */
  async list(bucket: string, prefix: string, uri: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: this.maxKeys,
          }),
        );
        for (const item of page.Contents ?? []) if (item.Key && !item.Key.endsWith('/')) keys.push(item.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw mapS3Error(e, uri, 'listing');
    }
    return keys;
  }

  async remove(bucket: string, key: string, uri: string): Promise<void> {
    try {
      // S3 answers a delete of a missing key with success too.
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      throw mapS3Error(e, uri, 'removing');
    }
  }

  /**
   * A one-key listing rather than HeadObject: HEAD of a missing key is 403 unless the role may
   * list the whole bucket, and our roles may list only their own prefixes. The key itself sorts
   * first among the keys it prefixes, so one key answers.
   */
  async exists(bucket: string, key: string, uri: string): Promise<boolean> {
    try {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }),
      );
      return page.Contents?.[0]?.Key === key;
    } catch (e) {
      const mapped = mapS3Error(e, uri, 'checking');
      if (mapped.code === 'NOT_FOUND') return false;
      throw mapped;
    }
  }
}
