/**
 * The case report: report.html (self-contained: summary table, slice overlays, NiiVue viewer)
 * and its rebuilding from a case folder (`medals report DIR`).
 */
export { REPORT_MAX_BYTES, VIEWER_MAX_VOXELS, buildReport, reportClasses, writeReport } from './report.js';
export type { ReportClass, ReportInput, ReportResult } from './report.js';
export { IMAGE_CANDIDATES, REPORT_CASE_FILES, loadCaseFolder, rebuildReport } from './case-folder.js';
export type { CaseFolderOptions, LoadedCaseFolder } from './case-folder.js';
export { PALETTE, colorOf, hexOf, niivueLabelColormap } from './colors.js';
export { VIEWS, defaultWindow, nearestPatientAxes, obliquity, renderSlice, viewPlanes } from './slices.js';
export type { SliceImage, SliceImageOptions, ViewName, ViewPlane } from './slices.js';
export { downsampleFactors, downsampleImage, downsampleLabels, encodeNifti } from './nifti.js';
export { VIEWER_BUNDLE, buildViewerBundle, viewerBundle, viewerBundleKey } from './viewer-bundle.js';
