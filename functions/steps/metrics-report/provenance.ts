/**
 * provenance.json: what produced a case's results, so that they can be traced and reproduced:
 * the input's sha256, the model (manifest, its sha256 and every file's sha256), the versions of
 * medals, Node.js and the packages medals depends on, the options, the execution provider and
 * how long each step took.
 *
 * buildProvenance takes what the workflow hands it and fills in only what it can find out
 * itself: hashes it was not given (reading the files through storage) and the package versions
 * (from medals' package.json and the installed packages' own package.json files).
 */
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../../lib/core/errors.js';
import { fileChunks, sha256, sha256Stream } from '../../lib/core/hash.js';
import { packageRoot, packageVersion } from '../../lib/core/package-info.js';
import { joinUri, parseUri, storageFor } from '../../lib/storage/index.js';

const PROVENANCE_FORMAT = 'medals-provenance/1';

interface ProvenanceFile {
  /** Where it came from (a path, file:// or s3:// URI). */
  uri: string;
  sha256: string;
  bytes: number;
}

interface ProvenanceModelFile {
  /** Where the manifest names it, e.g. 'stages.1.onnx', when known. */
  role?: string;
  /** Path relative to the model folder. */
  path: string;
  sha256: string;
  bytes?: number;
  /** Whether the hash was computed from the file and equals the manifest's (when both are known). */
  verified?: boolean;
}

interface ProvenanceTiming {
  step: string;
  seconds: number;
}

export interface Provenance {
  format: typeof PROVENANCE_FORMAT;
  created_at: string;
  medals: { version: string };
  runtime: { node: string; platform: string; arch: string };
  input: ProvenanceFile | null;
  ground_truth?: ProvenanceFile;
  model: {
    name: string | null;
    license: string | null;
    dir: string | null;
    manifest_sha256: string | null;
    manifest: unknown;
    files: ProvenanceModelFile[];
  } | null;
  /** Dependency name -> installed version (null when not installed where medals runs). */
  packages: Record<string, string | null>;
  options: Record<string, unknown>;
  execution_provider: string | null;
  provider_notes?: string[];
  timings: ProvenanceTiming[];
  total_seconds: number;
}

/** A file to record: its URI, and its hash and size when the caller already has them. */
type FileInput = string | { uri: string; sha256?: string; bytes?: number };

interface ProvenanceInput {
  /** The case image (a DICOM series folder: its files are hashed in name order as one stream). */
  input?: FileInput;
  groundTruth?: FileInput;
  model?: {
    /** The model folder, to hash the files the manifest names when `files` are not given. */
    dir?: string;
    /** manifest.json's parsed content (recorded as is). */
    manifest?: unknown;
    /** The files with their hashes, e.g. LoadedModel.files (already hashed when loaded). */
    files?: readonly { role?: string; path: string; sha256: string; bytes?: number }[];
  };
  options?: Record<string, unknown>;
  executionProvider?: string;
  providerNotes?: readonly string[];
  /** Seconds per step, in order: [{ step, seconds }] or { Preprocess: 1.2, ... }. */
  timings?: readonly ProvenanceTiming[] | Readonly<Record<string, number>>;
  /** Defaults to now. */
  createdAt?: Date;
}

/**
 * sha256 and size of the object at `uri` (a local file is streamed; an S3 object is read). A
 * local folder (a DICOM series) hashes its files, sorted by relative path, as one stream of
 * `path\0bytes` records; its size is that of the files alone.
 */
export async function hashUri(uri: string): Promise<{ sha256: string; bytes: number }> {
  const location = parseUri(uri);
  if (location.scheme === 'file') {
    const info = await stat(location.path).catch(() => null);
    if (info?.isDirectory()) {
      const files = (await readdir(location.path, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(location.path, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
        .sort();
      let bytes = 0;
      const records = async function* () {
        for (const rel of files) {
          yield `${rel}\0`;
          for await (const chunk of fileChunks(path.join(location.path, rel))) {
            bytes += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
        }
      };
      return { sha256: (await sha256Stream(records())).sha256, bytes };
    }
    if (info?.isFile()) return sha256Stream(fileChunks(location.path));
  }
  const body = await storageFor(uri).read(uri);
  return { sha256: sha256(body), bytes: body.length };
}

async function fileRecord(file: FileInput): Promise<ProvenanceFile> {
  const f = typeof file === 'string' ? { uri: file } : file;
  if (f.sha256 !== undefined && f.bytes !== undefined)
    return { uri: f.uri, sha256: f.sha256, bytes: f.bytes };
  const h = await hashUri(f.uri);
  if (f.sha256 !== undefined && f.sha256 !== h.sha256) {
    throw new InvalidInputError(`${f.uri} changed: its sha256 is ${h.sha256}, not the ${f.sha256} given`);
  }
  return { uri: f.uri, ...h };
}

/**
 * Versions of medals' runtime dependencies as installed: name -> version from
 * node_modules/<name>/package.json, null where the package is not installed (a Lambda bundles
 * only what its step needs).
 */
function packageVersions(root: string = packageRoot()): Record<string, string | null> {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const out: Record<string, string | null> = {};
  for (const name of Object.keys(manifest.dependencies ?? {}).sort()) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
        version?: unknown;
      };
      out[name] = typeof pkg.version === 'string' ? pkg.version : null;
    } catch {
      out[name] = null;
    }
  }
  return out;
}

/** The files a model manifest names ({ path, sha256 } objects anywhere in it), with where. */
function manifestFileRefs(manifest: unknown): { role: string; path: string; sha256: string }[] {
  const out: { role: string; path: string; sha256: string }[] = [];
  const walk = (node: unknown, where: string[]) => {
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.path === 'string' && typeof o.sha256 === 'string') {
      out.push({ role: where.join('.'), path: o.path, sha256: o.sha256 });
      return;
    }
    for (const [k, v] of Object.entries(o)) walk(v, [...where, k]);
  };
  walk(manifest, []);
  return out;
}

async function modelRecord(model: NonNullable<ProvenanceInput['model']>): Promise<Provenance['model']> {
  const manifest = model.manifest ?? null;
  const m = (manifest ?? {}) as { name?: unknown; license?: unknown };
  let files: ProvenanceModelFile[];
  if (model.files) {
    files = model.files.map((f) => ({ ...f }));
  } else if (model.dir !== undefined) {
    // Hash what the manifest names and say whether each file still matches it.
    const dir = model.dir;
    const seen = new Set<string>();
    files = [];
    for (const ref of manifestFileRefs(manifest)) {
      if (seen.has(ref.path)) continue;
      seen.add(ref.path);
      const h = await hashUri(joinUri(dir, ref.path));
      files.push({
        role: ref.role,
        path: ref.path,
        sha256: h.sha256,
        bytes: h.bytes,
        verified: h.sha256 === ref.sha256,
      });
    }
  } else {
    files = manifestFileRefs(manifest).map((r) => ({ role: r.role, path: r.path, sha256: r.sha256 }));
  }
  const manifestSha256 = manifest === null ? null : sha256(JSON.stringify(manifest));
  return {
    name: typeof m.name === 'string' ? m.name : null,
    license: typeof m.license === 'string' ? m.license : null,
    dir: model.dir ?? null,
    manifest_sha256: manifestSha256,
    manifest,
    files,
  };
}

function timingList(t: ProvenanceInput['timings']): ProvenanceTiming[] {
  if (!t) return [];
  const list = Array.isArray(t)
    ? (t as readonly ProvenanceTiming[]).map((x) => ({ step: x.step, seconds: x.seconds }))
    : Object.entries(t as Record<string, number>).map(([step, seconds]) => ({ step, seconds }));
  for (const x of list) {
    if (typeof x.step !== 'string' || !Number.isFinite(x.seconds) || x.seconds < 0) {
      throw new InvalidInputError(
        `provenance: timing ${JSON.stringify(x)} needs a step name and seconds >= 0`,
      );
    }
  }
  return list;
}

/**
 * The provenance record of a case. Hashes not given are computed (INVALID_INPUT if a given hash
 * does not match the file). `manifest_sha256` hashes the manifest's JSON text as recorded here
 * (JSON.stringify of the parsed object), not the bytes of manifest.json.
 */
export async function buildProvenance(input: ProvenanceInput = {}): Promise<Provenance> {
  const timings = timingList(input.timings);
  return {
    format: PROVENANCE_FORMAT,
    created_at: (input.createdAt ?? new Date()).toISOString(),
    medals: { version: packageVersion() },
    runtime: { node: process.version, platform: process.platform, arch: process.arch },
    input: input.input === undefined ? null : await fileRecord(input.input),
    ...(input.groundTruth !== undefined ? { ground_truth: await fileRecord(input.groundTruth) } : {}),
    model: input.model ? await modelRecord(input.model) : null,
    packages: packageVersions(),
    options: { ...(input.options ?? {}) },
    execution_provider: input.executionProvider ?? null,
    ...(input.providerNotes ? { provider_notes: [...input.providerNotes] } : {}),
    timings,
    total_seconds: timings.reduce((sum, t) => sum + t.seconds, 0),
  };
}

/**
 * The record with `step`'s time set to `seconds` (replaced, or added last) and the total updated:
 * a step that writes provenance.json after its other outputs records its whole time there.
 */
export function withTiming(provenance: Provenance, step: string, seconds: number): Provenance {
  const [timing] = timingList([{ step, seconds }]);
  const timings = provenance.timings.some((t) => t.step === step)
    ? provenance.timings.map((t) => (t.step === step ? timing : t))
    : [...provenance.timings, timing];
  return { ...provenance, timings, total_seconds: timings.reduce((sum, t) => sum + t.seconds, 0) };
}
