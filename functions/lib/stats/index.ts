/**
 * Statistics of a label map without ground truth (volumes, boxes, centroids, intensities,
 * components, border contact) and their files, stats.json and stats.csv.
 */
export { structureStats } from './structure-stats.js';
export type { BorderFace, CaseStats, StructureStats } from './structure-stats.js';
export { STATS_CSV_COLUMNS, parseStatsDocument, statsCsv, statsDocument } from './document.js';
export type { StatsDocument } from './document.js';
export { writeStatsCsv, writeStatsJson } from './outputs.js';
