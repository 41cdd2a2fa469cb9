/**
 * `medals report DIR`: (re)build report.html from a case folder (a local path, file:// or
 * s3:// prefix). What the folder must hold, and where each thing comes from:
 *
 * | what | file | needed |
 * |---|---|---|
 * | label map | seg.nii.gz (or `seg` given) | yes |
 * | image | `image` given, else provenance.json `input.uri`, else image.nii.gz, image.nii, image.nrrd, image.mha, image.npz in DIR | yes |
 * | statistics | stats.json (computed from image + seg when absent or of another grid) | no |
 * | metrics | metrics.json (DSC/NSD or F1/DSC TP columns) | no |
 * | class names | stats.json, metrics.json, then preprocess.json / segment.json prompts | no |
 * | header facts | provenance.json | no |
 *
 * A relative `input.uri` in provenance.json is taken relative to DIR. The image is read as the
 * workflow reads it (functions/lib/image/read-input.ts), so a challenge npz gets the same grid.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { joinUri, parseUri, storageFor } from '../storage/index.js';
import { readVolume } from '../image/volume-store.js';
import type { Volume } from '../geometry/volume.js';
import { IMAGE_CANDIDATES, REPORT_CASE_FILES } from './case-files.js';
import type { MetricsDocument } from '../metrics/outputs.js';
import { readImageInput } from '../image/read-input.js';
import { type CaseStats, parseStatsDocument, structureStats } from '../stats/index.js';
import { type ReportInput, writeReport } from './report.js';

export { IMAGE_CANDIDATES, REPORT_CASE_FILES };

interface CaseFolderOptions {
  /** The image (default: see the module comment). */
  image?: string;
  /** The label map (default DIR/seg.nii.gz). */
  seg?: string;
  /** Where to write the report (default DIR/report.html). */
  out?: string;
  title?: string;
}

async function readJsonIfThere<T>(uri: string): Promise<T | undefined> {
  const storage = storageFor(uri);
  if (!(await storage.exists(uri))) return undefined;
  return storage.readJson<T>(uri);
}

/** A path relative to the case folder, or a URI / absolute path as is. */
function relativeTo(dir: string, ref: string): string {
  const location = parseUri(ref);
  if (location.scheme === 's3' || location.form === 'url' || path.isAbsolute(location.path)) return ref;
  return joinUri(dir, ref);
}

async function findImage(
  dir: string,
  given: string | undefined,
  provenance: { input?: { uri?: string } | null } | undefined,
) {
  const tried: string[] = [];
  const candidates = [
    ...(given !== undefined ? [given] : []),
    ...(provenance?.input?.uri ? [relativeTo(dir, provenance.input.uri)] : []),
    ...IMAGE_CANDIDATES.map((name) => joinUri(dir, name)),
  ];
  for (const uri of candidates) {
    tried.push(uri);
    const location = parseUri(uri);
    // A DICOM series is a folder: exists() is for objects, so let the reader decide.
    if (location.scheme === 'file') {
      if (
        await stat(location.path).then(
          () => true,
          () => false,
        )
      )
        return uri;
    } else if (await storageFor(uri).exists(uri)) return uri;
    if (given !== undefined && uri === given) {
      throw new NotFoundError(`image not found: ${given}`);
    }
  }
  throw new NotFoundError(
    `no image for the report of ${dir}: give --image, or put the image in the folder as ${IMAGE_CANDIDATES.join(', ')} (tried ${tried.join(', ')})`,
  );
}

/** Label value -> name from the workflow's JSON records ({ prompts | classes: [{ value, name }] }). */
function namesFrom(...records: unknown[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const record of records) {
    if (!record || typeof record !== 'object') continue;
    const r = record as Record<string, unknown>;
    for (const key of ['classes', 'prompts']) {
      const list = r[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const { value, name } = (item ?? {}) as { value?: unknown; name?: unknown };
        if (typeof value === 'number' && typeof name === 'string' && !names.has(value))
          names.set(value, name);
      }
    }
  }
  return names;
}

/** The folder's last path segment (its case name). */
function caseName(dir: string): string {
  const location = parseUri(dir);
  const p = location.scheme === 's3' ? location.key : path.resolve(location.path);
  return p.replace(/\/+$/, '').split(/[\\/]/).pop() || dir;
}

interface LoadedCaseFolder {
  input: ReportInput;
  files: { seg: string; image: string; stats?: string; metrics?: string; provenance?: string };
  statsComputed: boolean;
}

/** Reads what the report of a case folder needs (NOT_FOUND naming what is missing). */
async function loadCaseFolder(dir: string, options: CaseFolderOptions = {}): Promise<LoadedCaseFolder> {
  const f = (name: string) => joinUri(dir, name);
  const segUri = options.seg ?? f(REPORT_CASE_FILES.seg);
  if (!(await storageFor(segUri).exists(segUri))) {
    throw new NotFoundError(
      `no label map at ${segUri}: a case folder holds the workflow's ${REPORT_CASE_FILES.seg}`,
    );
  }
  const [statsJson, metrics, provenance, preprocess, segment] = await Promise.all([
    readJsonIfThere<unknown>(f(REPORT_CASE_FILES.stats)),
    readJsonIfThere<MetricsDocument>(f(REPORT_CASE_FILES.metrics)),
    readJsonIfThere<ReportInput['provenance'] & { input?: { uri?: string } | null }>(
      f(REPORT_CASE_FILES.provenance),
    ),
    readJsonIfThere<unknown>(f(REPORT_CASE_FILES.preprocess)),
    readJsonIfThere<unknown>(f(REPORT_CASE_FILES.segment)),
  ]);
  const imageUri = await findImage(dir, options.image, provenance ?? undefined);
  const [labels, imageInput] = await Promise.all([readVolume(segUri), readImageInput(imageUri)]);
  const image: Volume = imageInput.volume;

  let stats: CaseStats | undefined;
  if (statsJson !== undefined) {
    const parsed = parseStatsDocument(statsJson, f(REPORT_CASE_FILES.stats));
    if (parsed.size.every((s, a) => s === labels.size[a])) stats = parsed;
  }
  const statsComputed = stats === undefined;
  if (!stats) {
    const names = namesFrom(metrics, segment, preprocess);
    stats = await structureStats(labels, image, { names, values: [...names.keys()] });
  }
  const metricsOk = metrics && (metrics.task === 'semantic' || metrics.task === 'instance') ? metrics : null;
  return {
    input: {
      image,
      labels,
      stats,
      metrics: metricsOk,
      provenance: provenance ?? null,
      title: options.title ?? `medals report: ${caseName(dir)}`,
    },
    files: {
      seg: segUri,
      image: imageUri,
      ...(statsJson !== undefined ? { stats: f(REPORT_CASE_FILES.stats) } : {}),
      ...(metrics !== undefined ? { metrics: f(REPORT_CASE_FILES.metrics) } : {}),
      ...(provenance !== undefined ? { provenance: f(REPORT_CASE_FILES.provenance) } : {}),
    },
    statsComputed,
  };
}

/** Rebuilds DIR/report.html (or options.out); returns where it went and what it holds. */
export async function rebuildReport(dir: string, options: CaseFolderOptions = {}) {
  const loaded = await loadCaseFolder(dir, options);
  const out = options.out ?? joinUri(dir, REPORT_CASE_FILES.report);
  const result = await writeReport(out, loaded.input);
  return { ...result, files: loaded.files, statsComputed: loaded.statsComputed };
}
