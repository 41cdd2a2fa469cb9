/** Prompt understanding: the Medal S class catalog, modality keywords and class resolution. */
export {
  BRANCHES,
  type Branch,
  type Catalog,
  type CatalogClass,
  type ClassEntry,
  catalogClasses,
  catalogPath,
  loadCatalog,
  parseCatalog,
} from './catalog.js';
export { MODALITY_KEYWORDS, detectModality, mostFrequentModality, textEncoderModality } from './modality.js';
export { matchTerm, sideWord, termTable } from './match.js';
export {
  type ResolvedCase,
  canonicalSentence,
  decideCaseModality,
  matchClass,
  resolveCase,
  resolvePrompts,
} from './resolve.js';
export { editDistance, suggestClasses } from './suggest.js';
