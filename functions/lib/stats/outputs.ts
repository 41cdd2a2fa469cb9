/** stats.json and stats.csv, each written whole or not at all through storage. */
import { storageFor } from '../storage/index.js';
import { statsCsv, statsDocument } from './document.js';
import type { CaseStats } from './structure-stats.js';

/** Writes stats.json at `uri` (atomically); returns `uri`. */
export async function writeStatsJson(uri: string, stats: CaseStats): Promise<string> {
  await storageFor(uri).writeJson(uri, statsDocument(stats));
  return uri;
}

/** Writes stats.csv at `uri` (atomically); returns `uri`. */
export async function writeStatsCsv(uri: string, stats: CaseStats): Promise<string> {
  await storageFor(uri).writeText(uri, statsCsv(stats), { contentType: 'text/csv; charset=utf-8' });
  return uri;
}
