/**
 * The case report: report.html (self-contained: summary table, slice overlays, NiiVue viewer)
 * and its rebuilding from a case folder (`medals report DIR`).
 */
export { buildReport, writeReport } from './report.js';
export type { ReportInput } from './report.js';
export { IMAGE_CANDIDATES, REPORT_CASE_FILES, rebuildReport } from './case-folder.js';
export { colorOf, hexOf, niivueLabelColormap } from './colors.js';
export { VIEWS, defaultWindow, obliquity, renderSlice, viewPlanes } from './slices.js';
export type { SliceImage } from './slices.js';
export { downsampleFactors, downsampleImage, downsampleLabels, encodeNifti } from './nifti.js';
export { VIEWER_BUNDLE, buildViewerBundle, viewerBundle } from './viewer-bundle.js';
