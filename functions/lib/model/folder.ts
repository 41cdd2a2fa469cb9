/**
 * Reading a model folder (models/README.md) without opening any graph: its manifest, the files
 * it names, its class catalog and its table of precomputed query embeddings. Preprocess (which
 * needs the patch sizes and target spacings), the local cache of a remote folder (fetch.ts) and
 * the Segment step's loader all read the manifest here, so a folder that is missing, holds no
 * manifest or holds a broken one gets the same message whoever meets it first.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Modality } from '../case/case-request.js';
import { type MedalsError, ModelContractError, NotFoundError } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { CATALOG_FORMAT, type Catalog, loadCatalog, parseCatalog } from '../prompts/catalog.js';
import { joinUri, storageFor } from '../storage/index.js';
import {
  type FileRef,
  MANIFEST_FILE,
  type ModelManifest,
  embeddingIndexJsonSchema,
  embeddingTableJsonSchema,
  manifestFiles,
  parseEmbeddingFile,
  parseManifest,
} from './manifest.js';

/** One MODEL_CONTRACT error for everything wrong with the folder `dir`, all problems listed. */
export function contractError(problems: string[], dir: string): ModelContractError {
  const head = problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`;
  return new ModelContractError(`model folder ${dir}: ${head}`, { details: { dir, problems } });
}

export interface ModelManifestFile {
  manifest: ModelManifest;
  /** URI of manifest.json. */
  uri: string;
  /** Its bytes as stored (the cache keys a remote folder by their sha256). */
  bytes: Uint8Array;
}

/**
 * The checked manifest of the model folder at `uri` (a local path or any storage URI).
 * NOT_FOUND when there is no such folder; MODEL_CONTRACT when it holds no manifest.json, or one
 * that is not JSON or does not follow the contract.
 */
export async function readModelManifest(uri: string): Promise<ModelManifestFile> {
  const manifestUri = joinUri(uri, MANIFEST_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await storageFor(manifestUri).read(manifestUri);
  } catch (e) {
    if ((e as MedalsError).code !== 'NOT_FOUND') throw e;
    const holdsFiles =
      (
        await storageFor(uri)
          .list(uri)
          .catch(() => [])
      ).length > 0;
    if (!holdsFiles) throw new NotFoundError(`model folder not found: ${uri}`, { cause: e });
    throw new ModelContractError(
      `${uri} is not a model folder: it has no ${MANIFEST_FILE} (models/README.md describes one)`,
      { cause: e, details: { dir: uri, problems: [`${MANIFEST_FILE} is missing`] } },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ModelContractError(`${manifestUri} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return { manifest: parseManifest(json, manifestUri), uri: manifestUri, bytes };
}

export interface ModelFileRecord {
  /** Where the manifest names it, e.g. 'stages.1.onnx'. */
  role: string;
  path: string;
  sha256: string;
  bytes: number;
}

/** Every file the manifest names exists in the local folder `dir`, is a file, and (optionally) has its sha256. */
export async function checkModelFiles(
  dir: string,
  manifest: ModelManifest,
  verifyHashes: boolean,
): Promise<ModelFileRecord[]> {
  const problems: string[] = [];
  const records: ModelFileRecord[] = [];
  for (const [role, ref] of manifestFiles(manifest)) {
    const file = path.join(dir, ref.path);
    let size: number;
    try {
      const s = await stat(file);
      if (!s.isFile()) {
        problems.push(`${ref.path} (${role}) is not a regular file`);
        continue;
      }
      size = s.size;
    } catch {
      problems.push(`${ref.path} (${role}) is missing`);
      continue;
    }
    if (verifyHashes) {
      const actual = await sha256File(file);
      if (actual !== ref.sha256) {
        problems.push(`${ref.path} (${role}) has sha256 ${actual}, the manifest says ${ref.sha256}`);
        continue;
      }
    }
    records.push({ role, path: ref.path, sha256: ref.sha256, bytes: size });
  }
  if (problems.length > 0) throw contractError(problems, dir);
  return records;
}

/** The model's class catalog: its own file, else the packaged one when the formats agree. */
export async function modelCatalog(dir: string, manifest: ModelManifest): Promise<Catalog> {
  const { format, file } = manifest.catalog;
  if (!file) {
    if (format !== CATALOG_FORMAT) {
      throw contractError(
        [
          `catalog.format is '${format}' and no catalog file is given; the packaged catalog is '${CATALOG_FORMAT}'`,
        ],
        dir,
      );
    }
    return loadCatalog();
  }
  try {
    const catalog = parseCatalog(JSON.parse(await readFile(path.join(dir, file.path), 'utf8')), file.path);
    if (catalog.format !== format)
      throw new Error(`its format is '${catalog.format}', the manifest says '${format}'`);
    return catalog;
  } catch (e) {
    throw contractError([`catalog ${file.path}: ${(e as Error).message}`], dir);
  }
}

async function readJsonFile(dir: string, ref: FileRef): Promise<unknown> {
  const text = await readFile(path.join(dir, ref.path), 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw contractError([`${ref.path} is not valid JSON: ${(e as Error).message}`], dir);
  }
}

export interface EmbeddingEntry {
  sentence: string;
  modality: Modality;
  vector: Float32Array;
}

/**
 * The precomputed query embeddings the manifest names (none when it names no table), checked:
 * every vector E wide, every (sentence, modality) once.
 */
export async function readEmbeddingTable(
  dir: string,
  manifest: ModelManifest,
): Promise<EmbeddingEntry[] | undefined> {
  const spec = manifest.text.embeddings;
  if (!spec) return undefined;
  const E = manifest.embeddingWidth;
  const problems: string[] = [];
  const entries: EmbeddingEntry[] = [];
  if (spec.format === 'json') {
    const table = parseEmbeddingFile(
      embeddingTableJsonSchema,
      await readJsonFile(dir, spec.file),
      spec.file.path,
    );
    if (table.width !== E)
      problems.push(`${spec.file.path}: width is ${table.width}, the manifest's embeddingWidth is ${E}`);
    table.entries.forEach((e, i) => {
      if (e.vector.length !== E) {
        problems.push(
          `${spec.file.path}: entry ${i} ('${e.sentence}', ${e.modality}) has ${e.vector.length} values, not ${E}`,
        );
      }
      entries.push({ sentence: e.sentence, modality: e.modality, vector: Float32Array.from(e.vector) });
    });
  } else {
    const index = parseEmbeddingFile(
      embeddingIndexJsonSchema,
      await readJsonFile(dir, spec.index),
      spec.index.path,
    );
    if (index.width !== E)
      problems.push(`${spec.index.path}: width is ${index.width}, the manifest's embeddingWidth is ${E}`);
    const bytes = await readFile(path.join(dir, spec.data.path));
    const want = index.entries.length * E * 4;
    if (bytes.byteLength !== want) {
      problems.push(
        `${spec.data.path}: ${bytes.byteLength} bytes, expected ${want} (${index.entries.length} rows x ${E} float32)`,
      );
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      index.entries.forEach((e, i) => {
        const vector = new Float32Array(E);
        for (let k = 0; k < E; k++) vector[k] = view.getFloat32((i * E + k) * 4, true);
        entries.push({ sentence: e.sentence, modality: e.modality, vector });
      });
    }
  }
  const seen = new Set<string>();
  for (const e of entries) {
    const key = `${e.modality}\u0000${e.sentence}`;
    if (seen.has(key)) problems.push(`embedding table lists ('${e.sentence}', ${e.modality}) twice`);
    seen.add(key);
  }
  if (problems.length > 0) throw contractError(problems, dir);
  return entries;
}
