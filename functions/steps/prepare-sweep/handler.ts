/**
 * PrepareSweep step (Lambda `prepareSweep`, first state of benchmark-sweep): lists the sweep's
 * cases (manifest.ts), leaves out those already complete (their report.html exists: it is the
 * last output a case writes), and writes the items of the Distributed Map as JSONL. Returns the
 * parameters the next states read, references only.
 *
 * Files under the sweep's output: sweep/manifest.jsonl (the cases to run now: {name, request}),
 * sweep/cases.json (every case, run now or already complete) and sweep/previous-cohort.json (the
 * cohort.json of the sweep before, which the aggregate compares against).
 */
import { z } from 'zod';
import { caseFile } from '../../lib/case/case-files.js';
import { caseOptionsSchema } from '../../lib/case/case-request.js';
import { InvalidInputError } from '../../lib/core/errors.js';
import { joinUri, parseUri, storageFor } from '../../lib/storage/index.js';
import { COHORT_FILES } from '../../lib/cohort/index.js';
import { type SweepCase, casesFromFolder, casesFromManifest } from './manifest.js';
import { loggedStep } from '../../lib/core/step-log.js';
import { type PreparedSweep, SWEEP_FILES, type SweepCaseEntry, type SweepCases } from './record.js';

export const sweepInputSchema = z.strictObject({
  /** A JSONL manifest of case requests, or a folder of challenge npz files. */
  source: z.string().min(1),
  /** The sweep's output prefix: one folder per case, the cohort tables at its top. */
  out: z.string().min(1),
  /** Cases run at once (the Distributed Map's MaxConcurrency). */
  concurrency: z.number().int().min(1).max(10_000).default(4),
  /** Failed cases tolerated, in percent of all the sweep's cases (complete ones included). */
  tolerance: z.number().min(0).max(100).default(25),
  model: z.string().min(1).optional(),
  /** Options for every case (a case's own options win). */
  options: caseOptionsSchema.optional(),
  /** A cohort.json to compare with; default: the one a previous sweep left in `out`. */
  previous: z.string().min(1).optional(),
  /** Smallest change of a mean reported as a move in the comparison. */
  delta: z.number().min(0).default(0.02),
});
export type SweepInput = z.input<typeof sweepInputSchema>;

function s3Location(uri: string): { bucket: string; key: string } {
  const location = parseUri(uri);
  // Local URIs have no bucket: the local engine reads manifestUri and ignores these.
  return location.scheme === 's3' ? { bucket: location.bucket, key: location.key } : { bucket: '', key: '' };
}

async function isFolder(uri: string): Promise<boolean> {
  if (/\.jsonl?$/i.test(uri)) return false;
  const storage = storageFor(uri);
  if (await storage.exists(uri)) return false;
  return (await storage.list(uri)).length > 0;
}

export async function listSweepCases(input: z.output<typeof sweepInputSchema>): Promise<SweepCase[]> {
  const defaults = {
    out: input.out,
    ...(input.model ? { model: input.model } : {}),
    ...(input.options ? { options: input.options } : {}),
  };
  if (await isFolder(input.source)) return casesFromFolder(input.source, defaults);
  const storage = storageFor(input.source);
  if (!(await storage.exists(input.source))) {
    throw new InvalidInputError(`${input.source} is neither a manifest file nor a folder with .npz files`);
  }
  return casesFromManifest(await storage.readText(input.source), input.source, defaults);
}

async function prepareSweepStep(event: { sweep: unknown }): Promise<PreparedSweep> {
  const parsed = sweepInputSchema.safeParse(event?.sweep);
  if (!parsed.success) {
    throw new InvalidInputError(
      `invalid sweep input: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`,
    );
  }
  const input = parsed.data;
  const cases = await listSweepCases(input);
  const storage = storageFor(input.out);
  const entries: SweepCaseEntry[] = [];
  const lines: string[] = [];
  for (const c of cases) {
    const done = await storage.exists(caseFile(c.request.output, 'report'));
    entries.push({
      name: c.name,
      ...(c.dataset ? { dataset: c.dataset } : {}),
      output: c.request.output,
      status: done ? 'complete' : 'run',
    });
    if (!done) lines.push(JSON.stringify({ name: c.name, request: c.request }));
  }
  // The cohort of the sweep before is kept before this sweep's aggregate replaces it.
  let previous = input.previous ?? null;
  const lastCohort = joinUri(input.out, COHORT_FILES.json);
  if (previous === null && (await storage.exists(lastCohort))) {
    previous = joinUri(input.out, SWEEP_FILES.previousCohort);
    await storage.write(previous, await storage.read(lastCohort));
  }
  const manifestUri = joinUri(input.out, SWEEP_FILES.manifest);
  await storage.writeText(manifestUri, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  const casesUri = joinUri(input.out, SWEEP_FILES.cases);
  const casesRecord: SweepCases = { source: input.source, cases: entries };
  await storage.writeJson(casesUri, casesRecord);
  const results = joinUri(input.out, SWEEP_FILES.results);
  const resultsLocation = s3Location(results);
  return {
    source: input.source,
    out: input.out,
    concurrency: input.concurrency,
    tolerance: input.tolerance,
    // failed / total > t  <=>  failed / toRun > t * total / toRun.
    itemTolerance: lines.length > 0 ? Math.min(100, (input.tolerance * entries.length) / lines.length) : 100,
    delta: input.delta,
    previous,
    manifestUri,
    manifest: s3Location(manifestUri),
    results: { uri: results, bucket: resultsLocation.bucket, prefix: resultsLocation.key },
    cases: casesUri,
    total: entries.length,
    toRun: lines.length,
    complete: entries.length - lines.length,
  };
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('PrepareSweep', prepareSweepStep);
