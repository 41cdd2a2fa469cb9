/**
 * The case request: what one run of the segment-case workflow is asked to do. It travels in
 * Step Functions state, so it holds references (paths, file:// or s3:// URIs), never voxels.
 */
import { z } from 'zod';
import { CASE_FILES, type CaseFile, caseFile } from './case-files.js';
import { InvalidInputError } from '../core/errors.js';
import { joinUri, parseUri } from '../storage/index.js';

import { MODALITIES, type Modality } from './modalities.js';

export { MODALITIES, type Modality };

const uri = z.string().trim().min(1, 'must be a non-empty path or URI');

/** A label value as the challenge writes it: a positive integer in a string key. */
const labelKey = z.string().regex(/^[1-9][0-9]*$/, 'label values must be positive integers');

/**
 * The challenge `text_prompts` object: {"1": "sentence", ..., "instance_label": 0 | 1}.
 * Also accepted without `instance_label` as a plain value -> prompt map.
 */
const promptMap = z.record(z.string(), z.union([z.string(), z.number()])).superRefine((obj, ctx) => {
  let count = 0;
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'instance_label') {
      if (value !== 0 && value !== 1)
        ctx.addIssue({ code: 'custom', path: [key], message: 'must be 0 or 1' });
      continue;
    }
    if (!labelKey.safeParse(key).success) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'keys must be label values (1, 2, ...)' });
    } else if (typeof value !== 'string' || value.trim() === '') {
      ctx.addIssue({ code: 'custom', path: [key], message: 'must be a non-empty class name or sentence' });
    }
    count++;
  }
  if (count === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one class' });
});

const promptList = z
  .array(z.string().trim().min(1, 'must be a non-empty class name'))
  .min(1, 'must name at least one class');

export const caseOptionsSchema = z.strictObject({
  device: z.enum(['cpu', 'cuda']).optional(),
  /** NSD tolerance in millimetres. */
  tolerance: z.number().positive().finite().optional(),
  /** Refuse volumes with more voxels than this, decided from the header. */
  maxVoxels: z.number().int().positive().optional(),
  /** Seed of the self-refinement block mask, so runs are reproducible. */
  seed: z.number().int().nonnegative().optional(),
  /** Treat the prompts as an instance (lesion) task. */
  instance: z.boolean().optional(),
  /** Also write stage 1's label map on the image grid (work/stage1-seg.nii.gz), e.g. to edit it into a mask. */
  stage1Labels: z.boolean().optional(),
  /**
   * A raw CT only: this window (HU) for every prompt, instead of one per tissue group of the
   * prompts (lib/medal-s ct-windows.ts).
   */
  window: z
    .strictObject({
      level: z.number().finite(),
      width: z.number().finite().positive('must be a positive number of HU'),
    })
    .optional(),
});

const caseRequestSchema = z.strictObject({
  image: uri,
  /** Optional for a challenge npz image that carries text_prompts (used when absent). */
  prompts: z.union([promptList, promptMap]).optional(),
  modality: z.enum(MODALITIES).optional(),
  mask: uri.optional(),
  groundTruth: uri.optional(),
  output: uri,
  model: uri.optional(),
  options: caseOptionsSchema.optional(),
});

export type CaseRequest = z.infer<typeof caseRequestSchema>;
export type CaseOptions = z.infer<typeof caseOptionsSchema>;

export interface Prompt {
  /** Label value written in the output label map for this class. */
  value: number;
  text: string;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(request)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? ` in ${path}` : '';
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}${where}`;
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return `missing required field '${path}'`;
  }
  if (issue.code === 'invalid_union') {
    return `field '${path}' must be a list of class names or an object mapping label values to prompts`;
  }
  return `field '${path}': ${issue.message}`;
}

/** Parse and check a case request; throws INVALID_INPUT naming the first bad field. */
export function parseCaseRequest(input: unknown): CaseRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError('case request must be a JSON object');
  }
  const result = caseRequestSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues;
    const fields = issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys.join(',') : i.path.join('.')));
    throw new InvalidInputError(`invalid case request: ${issues.map(describeIssue).join('; ')}`, {
      details: { fields },
    });
  }
  checkInputsApartFromOutputs(result.data);
  return result.data;
}

/** A URI compared as text: a file:// URL as its path, no trailing slash. */
function comparable(uri: string): string {
  try {
    const location = parseUri(uri);
    const text = location.scheme === 'file' ? location.path : `s3://${location.bucket}/${location.key}`;
    return text.replace(/\/+$/, '');
  } catch {
    return uri;
  }
}

/**
 * The case's outputs have fixed names under its output prefix (case-files.ts): an input that is
 * one of them, or lies under work/, would be overwritten while the case runs. Refused here,
 * before any work.
 */
function checkInputsApartFromOutputs(request: CaseRequest): void {
  const outputs = new Set(
    Object.keys(CASE_FILES).map((f) => comparable(caseFile(request.output, f as CaseFile))),
  );
  const work = `${comparable(joinUri(request.output, 'work'))}/`;
  for (const field of ['image', 'mask', 'groundTruth'] as const) {
    const ref = request[field];
    if (ref === undefined) continue;
    const uri = comparable(ref);
    if (outputs.has(uri) || uri.startsWith(work)) {
      throw new InvalidInputError(
        `${field} ${ref} would be overwritten by the case's own outputs under ${request.output}: choose another output folder`,
        { details: { fields: [field, 'output'] } },
      );
    }
  }
}

/** Prompts as (value, text) pairs: a list gets values 1..N in order; a map keeps its values. */
export function normalizePrompts(prompts: NonNullable<CaseRequest['prompts']>): {
  prompts: Prompt[];
  instance?: boolean;
} {
  if (Array.isArray(prompts)) return { prompts: prompts.map((text, i) => ({ value: i + 1, text })) };
  const out: Prompt[] = [];
  let instance: boolean | undefined;
  for (const [key, value] of Object.entries(prompts)) {
    if (key === 'instance_label') instance = value === 1;
    else out.push({ value: Number(key), text: String(value) });
  }
  out.sort((a, b) => a.value - b.value);
  return instance === undefined ? { prompts: out } : { prompts: out, instance };
}
