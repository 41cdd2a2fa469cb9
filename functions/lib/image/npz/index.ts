/**
 * numpy `.npy` / `.npz` reading and writing, with the challenge npz on top. Hostile files give
 * INVALID_INPUT (malformed, truncated, over a limit) or UNSUPPORTED_FORMAT (valid but outside
 * what is read: big-endian, encryption, other compression, pickles other than text_prompts).
 */
export {
  DEFAULT_MAX_ELEMENTS,
  checkArray,
  itemSize,
  parseNpyHeader,
  readNpy,
  toNumbers,
  writeNpy,
  type NpyArray,
  type NpyDataMap,
  type NpyDtype,
  type NpyHeader,
  type NpyPrompts,
  type NpyReadOptions,
} from './npy.js';
export {
  openNpz,
  readNpz,
  writeNpz,
  type NpzFile,
  type NpzReadOptions,
  type NpzValue,
  type NpzWriteOptions,
} from './npz.js';
export { readPickledPrompts, writePickledPrompts, type PromptDict, type PromptValue } from './pickle.js';
export { listZip, peekZipEntry, readZipEntry, writeZip, type ZipEntry } from './zip.js';
export {
  arrayToVolume,
  readChallengeNpz,
  volumeToArray,
  writeChallengeNpz,
  type ChallengeCase,
  type ChallengeOutput,
} from './challenge.js';
