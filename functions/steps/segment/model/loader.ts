/**
 * Loading a model folder (see models/README.md): read and check manifest.json, check that every
 * file it names exists and has its sha256, open the stage graphs and the text encoder on the
 * chosen execution provider and check every graph's input and output names, dtypes and shapes
 * against the contract. Any difference fails with MODEL_CONTRACT naming what differs (all
 * differences found in one step are listed together).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { MODALITIES, type Modality } from '../../../lib/case/case-request.js';
import { MedalsError, ModelContractError, NotFoundError } from '../../../lib/core/errors.js';
import { CATALOG_FORMAT, type Catalog, loadCatalog, parseCatalog } from '../../../lib/prompts/catalog.js';
import { type ExecutionProvider, openSession } from './session.js';
import { EmbeddingCache, EmbeddingTable, TextEmbedder } from '../text/embedding-cache.js';
import { TextEncoderSession } from '../text/text-encoder.js';
import { WordPieceTokenizer, parseVocabulary } from '../text/tokenizer.js';
import { checkGraphIo, sessionValueInfo, stageGraphSpec } from '../../../lib/model/graph-io.js';
import {
  type FileRef,
  type Hwd,
  MANIFEST_FILE,
  type ModelManifest,
  type StageDtype,
  type StageManifest,
  embeddingIndexJsonSchema,
  embeddingTableJsonSchema,
  manifestFiles,
  manifestStages,
  parseEmbeddingFile,
  parseManifest,
} from '../../../lib/model/manifest.js';

/** 'auto': CUDA when this onnxruntime can use it, else CPU; 'cuda': the same, with a warning on fallback. */
export type Device = 'cpu' | 'cuda' | 'auto';

export interface LoadModelOptions {
  device?: Device;
  /** Check every file's sha256 (default true). */
  verifyHashes?: boolean;
  /** Stages to open (default: every stage of the manifest). */
  stages?: readonly (1 | 2)[];
  /** Open the text encoder (default true when the manifest has one). */
  textEncoder?: boolean;
  sessionOptions?: Omit<ort.InferenceSession.SessionOptions, 'executionProviders'>;
  /** Embedding cache to share between loads (default: a new one per model). */
  cache?: EmbeddingCache;
}

export interface StageModel {
  stage: 1 | 2;
  /** Absolute path of the ONNX file. */
  file: string;
  sha256: string;
  /** (H, W, D) */
  patch: Hwd;
  /** mm, (H, W, D) */
  targetSpacing: Hwd;
  axisOrder: 'HWD';
  /** Float type of the graph's inputs and output: float16 ones need converting. */
  dtype: StageDtype;
  session: ort.InferenceSession;
  executionProvider: ExecutionProvider;
  /** What onnxruntime reports for each contract tensor. */
  io: Record<string, { dtype: string; shape: (number | string)[] }>;
}

export interface ModelFileRecord {
  /** Where the manifest names it, e.g. 'stages.1.onnx'. */
  role: string;
  path: string;
  sha256: string;
  bytes: number;
}

export interface LoadedModel {
  dir: string;
  manifest: ModelManifest;
  name: string;
  embeddingWidth: number;
  modalityIds: Readonly<Record<Modality, number>>;
  catalog: Catalog;
  /** Stage 1 always; stage 2 when the manifest has it and it was asked for. */
  stages: { 1?: StageModel; 2?: StageModel };
  /** Query embeddings: cache, then table and/or encoder. */
  text: TextEmbedder;
  tokenizer?: WordPieceTokenizer;
  /** The provider the stage graphs run on. */
  executionProvider: ExecutionProvider;
  /** Providers passed over and why, for logs and provenance. */
  providerNotes: string[];
  /** Things worth telling the user (fallback from CUDA, dims the graph leaves dynamic). */
  warnings: string[];
  files: ModelFileRecord[];
  /** The stage, or MODEL_CONTRACT when the model has no such stage (or it was not opened). */
  stage(n: 1 | 2): StageModel;
  release(): Promise<void>;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function contractError(problems: string[], dir: string): ModelContractError {
  const head = problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`;
  return new ModelContractError(`model folder ${dir}: ${head}`, { details: { dir, problems } });
}

function providersFor(device: Device): ExecutionProvider[] {
  return device === 'cpu' ? ['cpu'] : ['cuda', 'cpu'];
}

async function readManifest(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelContractError(`model folder ${dir}: ${MANIFEST_FILE} is missing`, {
        details: { dir, problems: [`${MANIFEST_FILE} is missing`] },
      });
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelContractError(
      `model folder ${dir}: ${MANIFEST_FILE} is not valid JSON: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return parseManifest(json, file);
}

/** Every file exists, is a file, and (optionally) has its sha256. */
async function checkFiles(
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

async function loadCatalogFor(dir: string, manifest: ModelManifest): Promise<Catalog> {
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

async function openStage(
  dir: string,
  key: 1 | 2,
  m: StageManifest,
  embeddingWidth: number,
  options: LoadModelOptions,
  problems: string[],
  warnings: string[],
  notes: string[],
): Promise<StageModel | undefined> {
  const file = path.join(dir, m.onnx.path);
  const where = `stage ${key} graph ${m.onnx.path}`;
  let opened;
  try {
    opened = await openSession(file, {
      executionProviders: providersFor(options.device ?? 'auto'),
      // No CPU arena: an arena keeps a full-size window's activations (11 GiB for stage 1 at
      // 224x224x128) after the run, and stage 2's session then needs its own 12 GiB on top: the
      // full network ran out of 24 GiB here. Without it a window peaks at 8.5 / 9.4 GiB (stages
      // 1 / 2) and frees it after the run, at the same speed (README, "Real size").
      sessionOptions: { logSeverityLevel: 3, enableCpuMemArena: false, ...options.sessionOptions },
    });
  } catch (e) {
    problems.push(`${where}: onnxruntime cannot load it: ${(e as Error).message}`);
    return undefined;
  }
  notes.push(...opened.skipped.map((s) => `${where}: ${s}`));
  const report = checkGraphIo(
    where,
    sessionValueInfo(opened.session),
    stageGraphSpec(embeddingWidth, m.patch, m.dtype),
  );
  warnings.push(...report.warnings);
  if (report.problems.length > 0) {
    problems.push(...report.problems);
    await opened.session.release();
    return undefined;
  }
  const io: StageModel['io'] = {};
  for (const name of Object.keys(report.dtypes))
    io[name] = { dtype: report.dtypes[name], shape: report.shapes[name] ?? [] };
  return {
    stage: key,
    file,
    sha256: m.onnx.sha256,
    patch: [...m.patch] as Hwd,
    targetSpacing: [...m.targetSpacing] as Hwd,
    axisOrder: m.axisOrder,
    dtype: m.dtype,
    session: opened.session,
    executionProvider: opened.executionProvider,
    io,
  };
}

async function readJson(dir: string, ref: FileRef): Promise<unknown> {
  const text = await readFile(path.join(dir, ref.path), 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw contractError([`${ref.path} is not valid JSON: ${(e as Error).message}`], dir);
  }
}

/** The precomputed table: every vector E wide, every key once. */
async function loadTable(dir: string, manifest: ModelManifest): Promise<EmbeddingTable | undefined> {
  const spec = manifest.text.embeddings;
  if (!spec) return undefined;
  const E = manifest.embeddingWidth;
  const problems: string[] = [];
  const entries: { sentence: string; modality: Modality; vector: Float32Array }[] = [];
  if (spec.format === 'json') {
    const table = parseEmbeddingFile(
      embeddingTableJsonSchema,
      await readJson(dir, spec.file),
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
      await readJson(dir, spec.index),
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
  return new EmbeddingTable(E, entries);
}

/**
 * Load and check a model folder; opens the stage graphs (and the text encoder) on the device.
 * Errors: NOT_FOUND when `dir` is not a folder; MODEL_CONTRACT for everything else that differs
 * from the contract (missing file, hash, graph I/O names, dtypes, shapes, tokenizer, table).
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const root = path.resolve(dir);
  try {
    if (!(await stat(root)).isDirectory()) throw new NotFoundError(`model folder ${root} is not a folder`);
  } catch (e) {
    if (e instanceof MedalsError) throw e;
    throw new NotFoundError(`model folder ${root} does not exist`, { cause: e });
  }
  const manifest = await readManifest(root);
  const files = await checkFiles(root, manifest, options.verifyHashes ?? true);
  const catalog = await loadCatalogFor(root, manifest);
  const E = manifest.embeddingWidth;
  const device = options.device ?? 'auto';

  const opened: { release(): Promise<void> }[] = [];
  const releaseAll = async () => {
    for (const o of opened) await o.release().catch(() => undefined);
  };
  try {
    const problems: string[] = [];
    const warnings: string[] = [];
    const notes: string[] = [];
    const stages: LoadedModel['stages'] = {};
    const wanted = options.stages ?? manifestStages(manifest);
    for (const key of wanted) {
      const m = manifest.stages[key === 1 ? '1' : '2'];
      if (!m) {
        problems.push(`stage ${key} was asked for but the manifest has no stages.${key}`);
        continue;
      }
      const stage = await openStage(root, key, m, E, options, problems, warnings, notes);
      if (stage) {
        stages[key] = stage;
        opened.push(stage.session);
      }
    }

    let tokenizer: WordPieceTokenizer | undefined;
    let encoder: TextEncoderSession | undefined;
    const enc = manifest.text.encoder;
    if (enc) {
      const vocabPath = path.join(root, enc.tokenizer.vocabulary.path);
      try {
        const { type: _type, vocabulary: _vocabulary, ...config } = enc.tokenizer;
        tokenizer = new WordPieceTokenizer(
          parseVocabulary(await readFile(vocabPath, 'utf8')),
          config,
          enc.tokenizer.vocabulary.path,
        );
      } catch (e) {
        problems.push(`tokenizer: ${(e as Error).message}`);
      }
      if (tokenizer && (options.textEncoder ?? true)) {
        try {
          encoder = await TextEncoderSession.open(path.join(root, enc.onnx.path), {
            tokenizer,
            embeddingWidth: E,
            modalityIds: manifest.modalities,
            executionProviders: providersFor(device),
            sessionOptions: options.sessionOptions,
            where: `text encoder ${enc.onnx.path}`,
          });
          opened.push(encoder);
          warnings.push(...encoder.warnings);
          notes.push(...encoder.providerNotes);
        } catch (e) {
          if (e instanceof ModelContractError && Array.isArray(e.details?.problems)) {
            problems.push(...(e.details.problems as string[]));
          } else {
            problems.push((e as Error).message);
          }
        }
      }
    }
    if (problems.length > 0) throw contractError(problems, root);

    const table = await loadTable(root, manifest);
    const text = new TextEmbedder({
      width: E,
      encoder,
      table,
      cache: options.cache,
      modelName: `model '${manifest.name}'`,
    });

    const stage1 = stages[1] ?? stages[2];
    const executionProvider = stage1?.executionProvider ?? encoder?.executionProvider ?? 'cpu';
    if (device === 'cuda' && executionProvider !== 'cuda') {
      warnings.unshift(
        `CUDA was asked for but is not usable here; running on the CPU (${notes.join('; ') || 'no reason given'})`,
      );
    }
    const modalityIds = Object.fromEntries(MODALITIES.map((m) => [m, manifest.modalities[m]])) as Record<
      Modality,
      number
    >;
    return {
      dir: root,
      manifest,
      name: manifest.name,
      embeddingWidth: E,
      modalityIds,
      catalog,
      stages,
      text,
      tokenizer,
      executionProvider,
      providerNotes: notes,
      warnings,
      files,
      stage(n: 1 | 2): StageModel {
        const s = stages[n];
        if (!s) throw new ModelContractError(`model '${manifest.name}' has no stage ${n} open`);
        return s;
      },
      release: releaseAll,
    };
  } catch (e) {
    await releaseAll();
    throw e;
  }
}
