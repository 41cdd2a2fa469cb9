/**
 * Pay-per-case submission to the AWS deployment, through its S3 upload trigger: each image goes
 * to `inbox/<case>/` with its request uploaded last (the upload of request.json is what starts
 * the case, functions/steps/start-case), and results appear in `outbox/<case>/`. Status is read from
 * the outbox (report.html: done; error.json: failed), and from the execution itself when the
 * state machine is known; cancelling stops the execution the trigger started, whose name follows
 * from the request's ETag exactly as the trigger derives it.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { caseFile } from '../../lib/case/case-files.js';
import type { CaseOptions, CaseRequest } from '../../lib/case/case-request.js';
import { InvalidInputError, UnsupportedFormatError } from '../../lib/core/errors.js';
import { imageExtension } from '../../lib/image/input/extension.js';
import { readChallengeNpz } from '../../lib/image/npz/index.js';
import { S3Driver } from '../../lib/storage/s3.js';
import { storageFor } from '../../lib/storage/index.js';
import { declaredVoxels } from '../../lib/image/input/header.js';
import { inspectImageFile } from '../../lib/image/input/inspect.js';
import { INBOX, OUTBOX, executionName, requestKey } from '../../steps/start-case/trigger.js';
import { caseNameOf } from '../../steps/prepare-sweep/manifest.js';
import { type CaseEstimate, type PriceTable, estimateCase } from './pricing.js';

const IMAGE_EXTENSIONS = ['.nii', '.nii.gz', '.nrrd', '.nhdr', '.mha', '.mhd', '.npz'];

export interface SubmitCase {
  name: string;
  file: string;
  extension: string;
  estimate: CaseEstimate;
}

async function voxelsOf(file: string, extension: string): Promise<number> {
  if (extension === '.npz') {
    const c = readChallengeNpz(await storageFor(file).read(file));
    return c.imgs.shape.reduce((a, b) => a * b, 1);
  }
  const header = await inspectImageFile(file);
  if (!header)
    throw new UnsupportedFormatError(
      `${file}: DICOM folders are not submitted as they are; convert to NIfTI`,
    );
  return declaredVoxels(header) / header.components;
}

/** The cases of a local image file or folder of image files, each with its cost estimate. */
export async function planSubmission(source: string, prices: PriceTable): Promise<SubmitCase[]> {
  const info = await stat(source).catch(() => null);
  if (!info) throw new InvalidInputError(`${source} does not exist`);
  const files = info.isDirectory()
    ? (await readdir(source)).sort().map((n) => path.join(source, n))
    : [source];
  const cases: SubmitCase[] = [];
  const names = new Set<string>();
  for (const file of files) {
    const extension = imageExtension(file);
    if (!IMAGE_EXTENSIONS.includes(extension)) {
      if (info.isDirectory()) continue;
      throw new UnsupportedFormatError(`${file}: submit takes ${IMAGE_EXTENSIONS.join(', ')} files`);
    }
    let name = caseNameOf(file);
    for (let k = 2; names.has(name); k++) name = `${caseNameOf(file)}-${k}`;
    names.add(name);
    cases.push({ name, file, extension, estimate: estimateCase(await voxelsOf(file, extension), prices) });
  }
  if (cases.length === 0) throw new InvalidInputError(`${source} holds no image to submit`);
  return cases;
}

interface SubmitRequest {
  prompts?: CaseRequest['prompts'];
  model?: string;
  modality?: CaseRequest['modality'];
  options?: CaseOptions;
}

/** Uploads the image, then the request (which starts the case); returns where results will be. */
export async function uploadCase(bucket: string, c: SubmitCase, request: SubmitRequest): Promise<string> {
  const inbox = `s3://${bucket}/${INBOX}/${c.name}`;
  const image = `image${c.extension}`;
  const storage = storageFor(inbox);
  await storage.write(`${inbox}/${image}`, await storageFor(c.file).read(c.file));
  await storage.writeJson(`s3://${bucket}/${requestKey(c.name)}`, { image, ...request });
  return `s3://${bucket}/${OUTBOX}/${c.name}`;
}

type CaseState =
  | { state: 'done'; outbox: string }
  | { state: 'failed'; outbox: string; error: { code: string; message: string } }
  | { state: 'running'; outbox: string }
  | { state: 'unknown'; outbox: string };

/** What Step Functions' DescribeExecution says of an execution (undefined: no such execution). */
export interface ExecutionState {
  status: string;
  error?: string;
  cause?: string;
}

export interface StatusOptions {
  /** The segment-case state machine, so the execution itself can be asked about. */
  stateMachineArn?: string;
  describe?: (executionArn: string) => Promise<ExecutionState | undefined>;
}

const ENDED_BADLY = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * The outbox says done (report.html) or failed (error.json). A case with neither is running,
 * unless its execution (when the state machine is known) ended without writing error.json: an
 * execution stopped, timed out, or killed before its RecordFailure step.
 */
export async function caseStatus(
  bucket: string,
  name: string,
  options: StatusOptions = {},
): Promise<CaseState> {
  const outbox = `s3://${bucket}/${OUTBOX}/${name}`;
  const storage = storageFor(outbox);
  if (await storage.exists(caseFile(outbox, 'report'))) return { state: 'done', outbox };
  if (await storage.exists(caseFile(outbox, 'error'))) {
    const e = await storage.readJson<{ code?: string; message?: string }>(caseFile(outbox, 'error'));
    return { state: 'failed', outbox, error: { code: e.code ?? 'INTERNAL', message: e.message ?? '' } };
  }
  const submitted = await storage.exists(`s3://${bucket}/${requestKey(name)}`);
  if (!submitted) return { state: 'unknown', outbox };
  if (options.stateMachineArn && options.describe) {
    const arn = await executionArnOf(bucket, name, options.stateMachineArn);
    const execution = await options.describe(arn);
    if (execution && ENDED_BADLY.has(execution.status)) {
      const code = execution.error || `EXECUTION_${execution.status}`;
      const message =
        execution.cause || `its execution ended ${execution.status} before writing error.json (${arn})`;
      return { state: 'failed', outbox, error: { code, message } };
    }
  }
  return { state: 'running', outbox };
}

/** Copies a case's outputs (not its work/ files) into `dir`; returns the files written. */
export async function downloadCase(bucket: string, name: string, dir: string): Promise<string[]> {
  const outbox = `s3://${bucket}/${OUTBOX}/${name}`;
  const storage = storageFor(outbox);
  const written: string[] = [];
  for (const uri of await storage.list(outbox)) {
    const relative = uri.slice(outbox.length + 1);
    if (relative.startsWith('work/')) continue;
    const file = path.join(dir, ...relative.split('/'));
    await storageFor(file).write(file, await storage.read(uri));
    written.push(file);
  }
  return written;
}

/** The ARN of the execution the trigger started for `name` (its name follows from the request's ETag). */
async function executionArnOf(bucket: string, name: string, stateMachineArn: string): Promise<string> {
  const m = /^arn:(aws[a-z-]*):states:([^:]+):(\d+):stateMachine:([^:]+)$/.exec(stateMachineArn);
  if (!m) throw new InvalidInputError(`not a state machine ARN: ${stateMachineArn}`);
  const key = requestKey(name);
  let etag: string | undefined;
  try {
    const head = await new S3Driver().client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    etag = head.ETag;
  } catch (e) {
    throw new InvalidInputError(`no submitted case ${name} in ${bucket} (${key}: ${(e as Error).name})`, {
      cause: e,
    });
  }
  const execution = executionName({ bucket, key, ...(etag ? { etag } : {}) }, name);
  return `arn:${m[1]}:states:${m[2]}:${m[3]}:execution:${m[4]}:${execution}`;
}

/** Stops the execution the trigger started for `name`. */
export async function cancelCase(
  bucket: string,
  name: string,
  stateMachineArn: string,
  stop: (executionArn: string) => Promise<void>,
): Promise<string> {
  const arn = await executionArnOf(bucket, name, stateMachineArn);
  await stop(arn);
  return arn;
}
