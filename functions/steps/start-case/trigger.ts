/**
 * The S3 upload trigger, pure parts. Users upload a case's files first and its request last, as
 * `inbox/<case>/request.json`; the bucket's EventBridge notification of that object's creation
 * starts segment-case once. Relative references in the request are files beside it; the results
 * go to `outbox/<case>/` in the same bucket.
 *
 * The execution name makes the start idempotent: it is derived from the bucket, the key and the
 * object's ETag (or version id), so the same upload delivered twice (EventBridge delivers at
 * least once) maps to the same name and Step Functions refuses the second start
 * (ExecutionAlreadyExists), while a changed request re-uploaded runs again.
 */
import { type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { InvalidInputError } from '../../lib/core/errors.js';
import { sha256 } from '../../lib/core/hash.js';
import { joinUri, parseUri } from '../../lib/storage/index.js';

export const INBOX = 'inbox';
export const OUTBOX = 'outbox';
const REQUEST_FILE = 'request.json';
/** Step Functions execution names: at most 80 characters of [A-Za-z0-9_-]. */
const MAX_EXECUTION_NAME = 80;

export interface ObjectCreated {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
}

/**
 * The object of an EventBridge "Object Created" event from S3 (source aws.s3), or null for any
 * other event. EventBridge gives the key URL-decoded.
 */
export function objectCreated(event: unknown): ObjectCreated | null {
  const e = event as { source?: unknown; 'detail-type'?: unknown; detail?: Record<string, unknown> } | null;
  if (!e || e.source !== 'aws.s3' || e['detail-type'] !== 'Object Created' || !e.detail) return null;
  const bucket = (e.detail.bucket as { name?: unknown } | undefined)?.name;
  const object = e.detail.object as { key?: unknown; etag?: unknown; 'version-id'?: unknown } | undefined;
  if (typeof bucket !== 'string' || typeof object?.key !== 'string') return null;
  return {
    bucket,
    key: object.key,
    ...(typeof object.etag === 'string' ? { etag: object.etag } : {}),
    ...(typeof object['version-id'] === 'string' ? { versionId: object['version-id'] } : {}),
  };
}

/** The key whose upload starts case `caseName`: `inbox/<case>/request.json`. */
export function requestKey(caseName: string): string {
  return `${INBOX}/${caseName}/${REQUEST_FILE}`;
}

/** `<case>` of `inbox/<case>/request.json`, or null for any other key. */
export function caseOfKey(key: string): string | null {
  const parts = key.split('/');
  if (parts.length !== 3 || parts[0] !== INBOX || parts[2] !== REQUEST_FILE) return null;
  const name = parts[1];
  return /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..' ? name : null;
}

/** `<case>-<hash>`: readable, unique per (bucket, key, ETag or version), <= 80 characters. */
export function executionName(object: ObjectCreated, caseName: string): string {
  // EventBridge gives the ETag bare, HeadObject in quotes: the same object names the same run.
  const etag = (object.etag ?? '').replace(/"/g, '');
  const identity = [object.bucket, object.key, object.versionId ?? '', etag].join('\u0000');
  const hash = sha256(identity).slice(0, 32);
  const readable = caseName.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, MAX_EXECUTION_NAME - hash.length - 1);
  return `${readable}-${hash}`;
}

/**
 * The case request an uploaded request.json stands for: its file references resolved beside it
 * (a reference may not leave the case's inbox folder or name another bucket), its output set to
 * `outbox/<case>/` of the same bucket (a different one is refused).
 */
export function requestFromUpload(raw: unknown, object: ObjectCreated, caseName: string): CaseRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(`${object.key} must hold a JSON object (a case request)`);
  }
  const folder = `s3://${object.bucket}/${INBOX}/${caseName}`;
  const output = `s3://${object.bucket}/${OUTBOX}/${caseName}`;
  const request: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const field of ['image', 'groundTruth', 'mask'] as const) {
    const ref = request[field];
    if (typeof ref !== 'string') continue;
    if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(ref)) {
      const location = parseUri(ref);
      if (
        location.scheme !== 's3' ||
        location.bucket !== object.bucket ||
        !location.key.startsWith(`${INBOX}/${caseName}/`)
      ) {
        throw new InvalidInputError(
          `${field} ${ref} is outside this case's folder ${folder}/: upload the file beside request.json and name it relatively`,
        );
      }
      continue;
    }
    request[field] = joinUri(folder, ref); // joinUri refuses absolute paths and '..'
  }
  if (request.output !== undefined && request.output !== output && request.output !== `${output}/`) {
    throw new InvalidInputError(
      `output must be left out (results go to ${output}/), got ${String(request.output)}`,
    );
  }
  request.output = output;
  return parseCaseRequest(request);
}
