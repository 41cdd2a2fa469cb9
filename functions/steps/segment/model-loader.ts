/**
 * Loading a model folder for the Segment step (see models/README.md): the folder is read and
 * checked by the model contract (functions/lib/model/folder.ts: manifest, file hashes, catalog,
 * embedding table); here the stage graphs and the text encoder are opened on the chosen
 * execution provider and every graph's input and output names, dtypes and shapes are checked
 * against the contract. Any difference fails with MODEL_CONTRACT naming what differs (all
 * differences found in one step are listed together).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { MODALITIES, type Modality } from '../../lib/case/case-request.js';
import { MedalsError, ModelContractError, NotFoundError } from '../../lib/core/errors.js';
import type { Catalog } from '../../lib/prompts/catalog.js';
import { type ExecutionProvider, openSession, sessionValueInfo } from './onnx-session.js';
import { EmbeddingCache, EmbeddingTable, TextEmbedder } from './embedding-cache.js';
import { TextEncoderSession } from './text-encoder.js';
import { WordPieceTokenizer, parseVocabulary } from './tokenizer.js';
import { checkGraphIo, stageGraphSpec } from '../../lib/model/graph-io.js';
import {
  type Hwd,
  type ModelManifest,
  type StageDtype,
  type StageManifest,
  manifestStages,
} from '../../lib/model/manifest.js';
import {
  type ModelFileRecord,
  checkModelFiles,
  contractError,
  modelCatalog,
  readEmbeddingTable,
  readModelManifest,
} from '../../lib/model/folder.js';

export type { ModelFileRecord };

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

function providersFor(device: Device): ExecutionProvider[] {
  return device === 'cpu' ? ['cpu'] : ['cuda', 'cpu'];
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
  const { manifest } = await readModelManifest(root);
  const files = await checkModelFiles(root, manifest, options.verifyHashes ?? true);
  const catalog = await modelCatalog(root, manifest);
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

    const entries = await readEmbeddingTable(root, manifest);
    const table = entries && new EmbeddingTable(E, entries);
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
