/**
 * Where each step reads and writes a case's files under the request's output prefix. One table,
 * so the steps, the CLI and the report agree on names; Step Functions state carries only these
 * references, never voxels.
 */
import { joinUri, type WriteOptions } from '../storage/index.js';

export const CASE_FILES = {
  /** Final outputs, what users look at. */
  seg: 'seg.nii.gz',
  segNpz: 'seg.npz',
  preprocess: 'preprocess.json',
  segment: 'segment.json',
  restore: 'restore.json',
  stats: 'stats.json',
  statsCsv: 'stats.csv',
  metrics: 'metrics.json',
  provenance: 'provenance.json',
  report: 'report.html',
  error: 'error.json',
  /**
   * Intermediate volumes, kept for inspection and re-runs. Uncompressed NIfTI: they only pass
   * between steps, and gzip inside WebAssembly costs more than the rest of a step (the scaled
   * float32 image of a 512x512x240 CT: 10.7 s to write gzipped, 1 s plain; issue 16).
   */
  scaled: 'work/scaled.nii',
  stage1: 'work/stage1.nii',
  working: 'work/seg-working.nii',
  /** Highest class probability per voxel on the working grid (the improved-classes rule needs it). */
  maxProbability: 'work/max-probability.nii',
  /** Stage 1's labels on the image grid, written on request (options.stage1Labels). */
  stage1Labels: 'work/stage1-seg.nii.gz',
} as const;

export type CaseFile = keyof typeof CASE_FILES;

/**
 * `variant` names one of several volumes of the same kind, e.g. the scaled image of each CT
 * window pass after the first: `work/scaled.nii` -> `work/scaled-lung.nii`.
 */
export function caseFile(output: string, file: CaseFile, variant?: string): string {
  const name = CASE_FILES[file];
  return joinUri(output, variant ? name.replace(/(\.nii(\.gz)?)$/, `-${variant}$1`) : name);
}

/**
 * S3 tag of the intermediate volumes: the deployment's lifecycle rule expires objects carrying it
 * (a lifecycle filter takes a key prefix or tags, and these live inside each case's folder).
 */
export const WORKING_FILE_TAG = { key: 'medals-retention', value: 'working' } as const;

/** How a case file is written: working files carry WORKING_FILE_TAG. */
export function caseFileWriteOptions(file: CaseFile): WriteOptions {
  return CASE_FILES[file].startsWith('work/')
    ? { tags: { [WORKING_FILE_TAG.key]: WORKING_FILE_TAG.value } }
    : {};
}
