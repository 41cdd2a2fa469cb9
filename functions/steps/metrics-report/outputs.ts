/**
 * What the MetricsReport step writes under the case's output prefix, each file whole or not at
 * all: stats.json and stats.csv, metrics.json when there is ground truth, and provenance.json
 * (written last, once the report is written too).
 */
import { type CaseFile, caseFile } from '../../lib/case/case-files.js';
import { type MetricsDocument, writeMetricsJson } from '../../lib/metrics/outputs.js';
import { type CaseStats, writeStatsCsv, writeStatsJson } from '../../lib/stats/index.js';
import { storageFor } from '../../lib/storage/index.js';
import type { Provenance } from './provenance.js';

/** Writes provenance.json at `uri` (atomically); returns `uri`. */
export async function writeProvenanceJson(uri: string, provenance: Provenance): Promise<string> {
  await storageFor(uri).writeJson(uri, provenance);
  return uri;
}

type Written = Partial<Record<Extract<CaseFile, 'stats' | 'statsCsv' | 'metrics'>, string>>;

/** Writes the step's files under `output`; returns their URIs keyed as in CASE_FILES. */
export async function writeCaseResults(
  output: string,
  results: { stats: CaseStats; metrics?: MetricsDocument },
): Promise<Written> {
  const written: Written = {};
  written.stats = await writeStatsJson(caseFile(output, 'stats'), results.stats);
  written.statsCsv = await writeStatsCsv(caseFile(output, 'statsCsv'), results.stats);
  if (results.metrics) written.metrics = await writeMetricsJson(caseFile(output, 'metrics'), results.metrics);
  return written;
}
