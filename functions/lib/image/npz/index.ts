/**
 * numpy `.npy` / `.npz` reading and writing, with the challenge npz on top. Hostile files give
 * INVALID_INPUT (malformed, truncated, over a limit) or UNSUPPORTED_FORMAT (valid but outside
 * what is read: big-endian, encryption, other compression, pickles other than text_prompts).
 */
export {
  DEFAULT_MAX_ELEMENTS,
  parseNpyHeader,
  readNpy,
  toNumbers,
  writeNpy,
  type NpyArray,
  type NpyDtype,
  type NpyPrompts,
} from './npy.js';
export { openNpz, readNpz, writeNpz, type NpzReadOptions, type NpzValue } from './npz.js';
export { readPickledPrompts, writePickledPrompts, type PromptDict } from './pickle.js';
export { listZip, peekZipEntry, readZipEntry, writeZip, type ZipEntry } from './zip.js';
export { arrayToVolume, readChallengeNpz, volumeToArray, writeChallengeNpz } from './challenge.js';
