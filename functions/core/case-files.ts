/**
 * Where each step reads and writes a case's files under the request's output prefix. One table,
 * so the steps, the CLI and the report agree on names; Step Functions state carries only these
 * references, never voxels.
 */
import { joinUri } from './storage/index.js';

export const CASE_FILES = {
  /** Final outputs, what users look at. */
  seg: 'seg.nii.gz',
  segNpz: 'seg.npz',
  preprocess: 'preprocess.json',
  segment: 'segment.json',
  stats: 'stats.json',
  statsCsv: 'stats.csv',
  metrics: 'metrics.json',
  provenance: 'provenance.json',
  report: 'report.html',
  error: 'error.json',
  /** Intermediate volumes, kept for inspection and re-runs. */
  scaled: 'work/scaled.nii.gz',
  stage1: 'work/stage1.nii.gz',
  working: 'work/seg-working.nii.gz',
  /** Highest class probability per voxel on the working grid (the improved-classes rule needs it). */
  maxProbability: 'work/max-probability.nii.gz',
  /** Stage 1's labels on the image grid, written on request (options.stage1Labels). */
  stage1Labels: 'work/stage1-seg.nii.gz',
} as const;

export type CaseFile = keyof typeof CASE_FILES;

export function caseFile(output: string, file: CaseFile): string {
  return joinUri(output, CASE_FILES[file]);
}
