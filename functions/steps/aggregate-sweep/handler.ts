/**
 * AggregateSweep step (Lambda `aggregateSweep`, after the Distributed Map): reads every case of
 * the sweep (run now or complete from before) from its own folder, writes the cohort tables
 * (cohort.json, cohort.csv, cohort.html; cohort-comparison.json against the previous sweep) and
 * sweep.json (which cases succeeded, which failed and why), and returns a short summary.
 *
 * A case's state is read from its outputs, not from the Map's results, so a case completed in an
 * earlier sweep and one just run count alike: report.html (written last) means done, else
 * error.json means failed (a stale error.json beside a report.html from a later success is
 * ignored), else the case never finished.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { joinUri, storageFor } from '../../lib/storage/index.js';
import {
  type CohortAggregate,
  type CohortCase,
  aggregateCohort,
  writeCohort,
} from '../../lib/cohort/index.js';
import type { MetricsDocument } from '../../lib/metrics/outputs.js';
import { parseRecord } from '../../lib/case/records.js';
import { SWEEP_FILES, preparedSweepSchema, readSweepCases } from '../prepare-sweep/record.js';
import { loggedStep } from '../../lib/core/step-log.js';

export interface SweepCaseResult {
  name: string;
  status: 'succeeded' | 'failed' | 'unfinished';
  /** Run in this sweep, or complete from an earlier one. */
  ranNow: boolean;
  output: string;
  error?: { code: string; message: string; failedState?: string };
  /** Case-level figures when the case had ground truth. */
  metrics?: Record<string, number | null>;
}

export interface SweepSummary {
  total: number;
  succeeded: number;
  failed: number;
  unfinished: number;
  /** Failed or unfinished cases, in percent of all the sweep's cases. */
  failedPercent: number;
  tolerance: number;
  withinTolerance: boolean;
  summary: string;
  cohort?: Record<string, string>;
}

const figure = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

async function aggregateSweepStep(event: { sweep: unknown }): Promise<SweepSummary> {
  const sweep = parseRecord(preparedSweepSchema, event?.sweep, 'the AggregateSweep step input');
  const storage = storageFor(sweep.out);
  const { cases } = await readSweepCases(sweep.cases);
  const results: SweepCaseResult[] = [];
  const cohortCases: CohortCase[] = [];
  for (const c of cases) {
    const base = { name: c.name, ranNow: c.status === 'run', output: c.output };
    if (await storage.exists(caseFile(c.output, 'report'))) {
      const metricsUri = caseFile(c.output, 'metrics');
      const result: SweepCaseResult = { ...base, status: 'succeeded' };
      if (await storage.exists(metricsUri)) {
        const metrics = await storage.readJson<MetricsDocument>(metricsUri);
        const preprocess = await storage
          .readJson<{ modality?: { modality?: string } }>(caseFile(c.output, 'preprocess'))
          .catch(() => ({}) as { modality?: { modality?: string } });
        const modality = preprocess.modality?.modality;
        cohortCases.push({
          id: c.name,
          ...(c.dataset ? { dataset: c.dataset } : {}),
          ...(modality ? { modality } : {}),
          metrics,
        });
        const doc = metrics as unknown as Record<string, unknown>;
        result.metrics =
          metrics.task === 'instance'
            ? { f1: figure(doc.f1), dsc_tp: figure(doc.dsc_tp) }
            : { dsc: figure(doc.dsc), nsd: figure(doc.nsd) };
      }
      results.push(result);
    } else if (await storage.exists(caseFile(c.output, 'error'))) {
      const error = await storage.readJson<{ code?: string; message?: string; failedState?: string }>(
        caseFile(c.output, 'error'),
      );
      results.push({
        ...base,
        status: 'failed',
        error: {
          code: error.code ?? 'INTERNAL',
          message: error.message ?? '',
          ...(error.failedState ? { failedState: error.failedState } : {}),
        },
      });
    } else {
      results.push({ ...base, status: 'unfinished' });
    }
  }

  let cohort: Record<string, string> | undefined;
  if (cohortCases.length > 0) {
    const aggregate = aggregateCohort(cohortCases);
    const previous = sweep.previous
      ? await storageFor(sweep.previous).readJson<CohortAggregate>(sweep.previous)
      : undefined;
    const written = await writeCohort(sweep.out, aggregate, {
      ...(previous ? { previous } : {}),
      delta: sweep.delta,
      title: `Sweep of ${sweep.source}`,
    });
    cohort = Object.fromEntries(Object.entries(written.files).filter((e): e is [string, string] => !!e[1]));
  }
  const bad = results.filter((r) => r.status !== 'succeeded').length;
  const failedPercent = results.length > 0 ? (100 * bad) / results.length : 0;
  const count = (s: SweepCaseResult['status']) => results.filter((r) => r.status === s).length;
  const summaryUri = joinUri(sweep.out, SWEEP_FILES.summary);
  const summary: SweepSummary = {
    total: results.length,
    succeeded: count('succeeded'),
    failed: count('failed'),
    unfinished: count('unfinished'),
    failedPercent,
    tolerance: sweep.tolerance,
    withinTolerance: failedPercent <= sweep.tolerance,
    summary: summaryUri,
    ...(cohort ? { cohort } : {}),
  };
  await storage.writeJson(summaryUri, { ...summary, source: sweep.source, cases: results });
  return summary;
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('AggregateSweep', aggregateSweepStep);
