/**
 * The cases of a benchmark sweep, from a manifest (JSONL: one case per line) or a folder of
 * challenge npz files, each with the output folder it gets under the sweep's output prefix.
 *
 * A manifest line is either a case request (`{"image": ..., "prompts": ..., "groundTruth": ...}`)
 * or `{"name"?, "dataset"?, "request": {...}}`. A request's own `output` is replaced by
 * `<out>/<name>`: one folder per case, named after `name` (or `id`), else its image file.
 * A folder source gives every `*.npz` under it, with its own `text_prompts` as prompts and
 * itself as the ground truth when it holds `gts`.
 */
import { InvalidInputError } from '../../lib/core/errors.js';
import { type CaseOptions, type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { listZip } from '../../lib/image/npz/index.js';
import { joinUri, parseUri, storageFor } from '../../lib/storage/index.js';

export interface SweepCase {
  /** Folder name under the sweep's output, unique within the sweep. */
  name: string;
  dataset?: string;
  request: CaseRequest;
}

/** A file or folder name without its image extension(s), safe as one path segment. */
export function caseNameOf(uri: string): string {
  const location = parseUri(uri);
  const path = (location.scheme === 's3' ? location.key : location.path).replace(/\/+$/, '');
  const base = path.slice(path.lastIndexOf('/') + 1).replace(/(\.nii\.gz|\.[a-z0-9]+)$/i, '');
  return safeName(base);
}

function safeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return safe || 'case';
}

/** Names made unique in order: a second "a" becomes "a-2". */
function uniqueNames<T extends { name: string }>(cases: T[]): T[] {
  const seen = new Map<string, number>();
  return cases.map((c) => {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    return n === 1 ? c : { ...c, name: `${c.name}-${n}` };
  });
}

interface Defaults {
  out: string;
  model?: string;
  options?: CaseOptions;
}

function withDefaults(request: Record<string, unknown>, name: string, d: Defaults): CaseRequest {
  return parseCaseRequest({
    ...(d.model ? { model: d.model } : {}),
    ...request,
    ...(d.options ? { options: { ...d.options, ...((request.options as object | undefined) ?? {}) } } : {}),
    output: joinUri(d.out, name),
  });
}

/** The cases of a JSONL manifest (relative image paths are relative to the manifest). */
export function casesFromManifest(text: string, manifestUri: string, d: Defaults): SweepCase[] {
  const cases: { name: string; dataset?: string; raw: Record<string, unknown> }[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, k) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new InvalidInputError(`${manifestUri} line ${k + 1} is not JSON: ${(e as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidInputError(`${manifestUri} line ${k + 1} must be a JSON object (a case request)`);
    }
    const entry = value as Record<string, unknown>;
    const wrapped = typeof entry.request === 'object' && entry.request !== null;
    // A bare request may also carry the sweep's own fields; they are not request fields.
    const { id, name: given, dataset: set, ...bare } = entry;
    const raw = (wrapped ? { ...(entry.request as object) } : bare) as Record<string, unknown>;
    if (typeof raw.image !== 'string') {
      throw new InvalidInputError(`${manifestUri} line ${k + 1} has no image`);
    }
    const image = resolveBeside(manifestUri, raw.image);
    raw.image = image;
    for (const key of ['groundTruth', 'mask'] as const) {
      const ref = raw[key];
      if (typeof ref === 'string') raw[key] = resolveBeside(manifestUri, ref);
    }
    const label = given ?? id;
    const name =
      typeof label === 'string' || typeof label === 'number' ? safeName(String(label)) : caseNameOf(image);
    const dataset = typeof set === 'string' ? set : undefined;
    cases.push({ name, ...(dataset ? { dataset } : {}), raw });
  });
  if (cases.length === 0) throw new InvalidInputError(`${manifestUri} lists no case`);
  return uniqueNames(cases).map((c, k) => {
    try {
      return {
        name: c.name,
        ...(c.dataset ? { dataset: c.dataset } : {}),
        request: withDefaults(c.raw, c.name, d),
      };
    } catch (e) {
      throw new InvalidInputError(`${manifestUri} case ${k + 1} (${c.name}): ${(e as Error).message}`);
    }
  });
}

/** A relative path in a manifest, taken relative to the manifest's folder. */
function resolveBeside(manifestUri: string, ref: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(ref) || ref.startsWith('/')) return ref;
  return joinUri(manifestUri.slice(0, manifestUri.lastIndexOf('/') + 1) || '.', ref);
}

/**
 * Every challenge npz under `folder`. Only the zip directory of each is parsed (to see whether
 * it holds `gts`); a file that is not a readable zip still becomes a case, which then fails in
 * its own Preprocess with a named error and error.json, as any bad input does.
 */
export async function casesFromFolder(folder: string, d: Defaults): Promise<SweepCase[]> {
  const storage = storageFor(folder);
  const files = (await storage.list(folder)).filter((uri) => uri.toLowerCase().endsWith('.npz'));
  if (files.length === 0) throw new InvalidInputError(`${folder} holds no .npz file`);
  const dataset = caseNameOf(folder);
  const named = uniqueNames(files.map((uri) => ({ name: caseNameOf(uri), uri })));
  const cases: SweepCase[] = [];
  for (const { name, uri } of named) {
    let hasGts = false;
    try {
      hasGts = listZip(await storage.read(uri)).some((e) => e.name === 'gts.npy');
    } catch {
      hasGts = false; // unreadable: Preprocess reports it for this case
    }
    cases.push({
      name,
      dataset,
      request: withDefaults({ image: uri, ...(hasGts ? { groundTruth: uri } : {}) }, name, d),
    });
  }
  return cases;
}
