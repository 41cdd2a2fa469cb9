/**
 * Statistics of a label map without ground truth (volumes, boxes, centroids, intensities,
 * components, border contact) and their files, stats.json and stats.csv.
 */
export { STATS_CONNECTIVITY, STATS_GEOMETRY_TOLERANCE, structureStats } from './structure-stats.js';
export type {
  BorderFace,
  CaseStats,
  IntensityStats,
  StructureStats,
  StructureStatsOptions,
} from './structure-stats.js';
export { STATS_CSV_COLUMNS, STATS_FORMAT, parseStatsDocument, statsCsv, statsDocument } from './document.js';
export type { StatsDocument, StructureStatsDocument } from './document.js';
