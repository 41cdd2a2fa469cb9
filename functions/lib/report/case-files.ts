/** The files `medals report` reads from a case folder (no I/O here: the CLI's help names them). */
export const REPORT_CASE_FILES = {
  seg: 'seg.nii.gz',
  stats: 'stats.json',
  metrics: 'metrics.json',
  provenance: 'provenance.json',
  preprocess: 'preprocess.json',
  segment: 'segment.json',
  report: 'report.html',
} as const;

export const IMAGE_CANDIDATES = [
  'image.nii.gz',
  'image.nii',
  'image.nrrd',
  'image.mha',
  'image.npz',
] as const;
