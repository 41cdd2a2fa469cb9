/**
 * Shared parts of the model generators: the in-memory model folder, writing it (deterministic
 * bytes, atomic per file), a vocabulary file, the text-encoder graph of the contract with its
 * TypeScript reference, and the folder a generator assembles from its stage graphs and text
 * weights (contractModel).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Modality } from '../../functions/lib/case/case-request.js';
import { sha256 } from '../../functions/lib/core/hash.js';
import {
  EMBEDDING_TABLE_FORMAT,
  type EmbeddingTableManifest,
  type FileRef,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MEDALS_MODALITY_IDS,
  type ModelManifest,
  type StageDtype,
  type TokenizerManifest,
  parseManifest,
} from '../../functions/lib/model/manifest.js';
import { CATALOG_FORMAT } from '../../functions/lib/prompts/catalog.js';
import {
  DEFAULT_TOKENIZER_CONFIG,
  type EncodedBatch,
  WordPieceTokenizer,
} from '../../functions/steps/segment/tokenizer.js';
import { GraphBuilder, attr } from '../onnx/graph-builder.js';

interface GeneratedFile {
  path: string;
  bytes: Uint8Array;
}

/** A model folder in memory: its files and the manifest naming them (with their sha256). */
export interface GeneratedModel {
  name: string;
  manifest: ModelManifest;
  files: GeneratedFile[];
}

/** The official tokenizer settings over `vocabulary`, with its special tokens kept whole. */
function wordpieceTokenizer(vocabulary: FileRef): TokenizerManifest {
  return { type: 'wordpiece', vocabulary, ...DEFAULT_TOKENIZER_CONFIG, specialTokens: ['[UNK]', '[MASK]'] };
}

function fileRef(file: GeneratedFile): FileRef {
  return { path: file.path, sha256: sha256(file.bytes) };
}

export function manifestBytes(manifest: ModelManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n');
}

function jsonFile(filePath: string, value: unknown): GeneratedFile {
  return { path: filePath, bytes: new TextEncoder().encode(JSON.stringify(value) + '\n') };
}

/** vocab.txt: one token per line, ids from 0. */
function vocabularyFile(filePath: string, tokens: readonly string[]): GeneratedFile {
  for (const t of tokens)
    if (t.includes('\n')) throw new Error(`vocabulary token with a newline: ${JSON.stringify(t)}`);
  if (new Set(tokens).size !== tokens.length) throw new Error('vocabulary has duplicate tokens');
  return { path: filePath, bytes: new TextEncoder().encode(tokens.join('\n') + '\n') };
}

/** Check the manifest against the schema (a generator bug is an error here, not at load time). */
function finishModel(name: string, manifest: ModelManifest, files: GeneratedFile[]): GeneratedModel {
  return { name, manifest: parseManifest(manifest, `generated ${name} manifest`), files };
}

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, bytes);
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function sameBytes(file: string, bytes: Uint8Array): Promise<boolean> {
  try {
    const old = await readFile(file);
    return old.byteLength === bytes.byteLength && Buffer.compare(old, bytes) === 0;
  } catch {
    return false;
  }
}

/**
 * Write a model folder: every file that differs is replaced atomically, manifest.json last, so a
 * reader never sees a manifest naming a file not yet written. Concurrent writers of the same
 * model write the same bytes. Returns the paths rewritten.
 */
export async function writeModelFolder(model: GeneratedModel, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const all = [...model.files, { path: MANIFEST_FILE, bytes: manifestBytes(model.manifest) }];
  for (const f of all) {
    const target = path.join(dir, f.path);
    if (await sameBytes(target, f.bytes)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await writeAtomic(target, f.bytes);
    written.push(f.path);
  }
  return written;
}

// ---- text encoder ----

export interface TextEncoderWeights {
  /** (V x E) row-major: one embedding per vocabulary id. */
  tokenEmbeddings: Float32Array;
  /** (M x E): one embedding per modality id. */
  modalityEmbeddings: Float32Array;
  vocabSize: number;
  width: number;
  /** Optional Linear-GELU-Linear after pooling (Knowledge_Encoder's projection_layer). */
  projection?: { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array };
}

/**
 * The text-encoder graph of the contract, a miniature of Medal S's Knowledge_Encoder with a
 * token embedding table in place of BioLORD: Gather token embeddings, mean over the attention
 * mask (sum / max(count, 1e-9)), optional Linear-GELU(erf)-Linear, plus the modality embedding.
 */
export function buildTextEncoderGraph(w: TextEncoderWeights): Uint8Array {
  const E = w.width;
  const modalities = w.modalityEmbeddings.length / E;
  const g = new GraphBuilder('text_encoder');
  const ids = g.input('input_ids', 'int64', ['N', 'L']);
  const mask = g.input('attention_mask', 'int64', ['N', 'L']);
  const modality = g.input('modality', 'int64', ['N']);
  const table = g.initializer('token_embeddings', {
    dtype: 'float32',
    dims: [w.vocabSize, E],
    data: w.tokenEmbeddings,
  });
  const modTable = g.initializer('modality_embeddings', {
    dtype: 'float32',
    dims: [modalities, E],
    data: w.modalityEmbeddings,
  });
  const axis1 = g.initializer('axis_1', { dtype: 'int64', dims: [1], data: [1] });
  const axis2 = g.initializer('axis_2', { dtype: 'int64', dims: [1], data: [2] });
  const tiny = g.initializer('min_count', { dtype: 'float32', dims: [], data: [1e-9] });
  const [tokens] = g.node('Gather', [table, ids], { axis: attr.int(0) });
  const [maskF] = g.node('Cast', [mask], { to: attr.int(1) });
  const [mask3] = g.node('Unsqueeze', [maskF, axis2]);
  const [masked] = g.node('Mul', [tokens, mask3]);
  const [summed] = g.node('ReduceSum', [masked, axis1], { keepdims: attr.int(0) });
  const [count] = g.node('ReduceSum', [maskF, axis1], { keepdims: attr.int(1) });
  const [safe] = g.node('Max', [count, tiny]);
  let [pooled] = g.node('Div', [summed, safe]);
  if (w.projection) {
    const p = w.projection;
    const w1 = g.initializer('proj_w1', { dtype: 'float32', dims: [E, E], data: p.w1 });
    const b1 = g.initializer('proj_b1', { dtype: 'float32', dims: [E], data: p.b1 });
    const w2 = g.initializer('proj_w2', { dtype: 'float32', dims: [E, E], data: p.w2 });
    const b2 = g.initializer('proj_b2', { dtype: 'float32', dims: [E], data: p.b2 });
    const half = g.initializer('half', { dtype: 'float32', dims: [], data: [0.5] });
    const one = g.initializer('one', { dtype: 'float32', dims: [], data: [1] });
    const invSqrt2 = g.initializer('inv_sqrt2', { dtype: 'float32', dims: [], data: [Math.SQRT1_2] });
    const [h0] = g.node('MatMul', [pooled, w1]);
    const [h] = g.node('Add', [h0, b1]);
    const [scaled] = g.node('Mul', [h, invSqrt2]);
    const [erf] = g.node('Erf', [scaled]);
    const [erf1] = g.node('Add', [erf, one]);
    const [hh] = g.node('Mul', [h, erf1]);
    const [gelu] = g.node('Mul', [hh, half]);
    const [o0] = g.node('MatMul', [gelu, w2]);
    [pooled] = g.node('Add', [o0, b2]);
  }
  const [mod] = g.node('Gather', [modTable, modality], { axis: attr.int(0) });
  g.node('Add', [pooled, mod], {}, { outputs: ['embeddings'] });
  g.output('embeddings', 'float32', ['N', E]);
  return g.toBytes({ producerName: 'medals-generate', docString: 'medals generated text encoder' });
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for a 1e-6 check; use a series / continued fraction.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc continued fraction for large |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
}

/** TypeScript reference of buildTextEncoderGraph (float64 math): (N x E). */
export function referenceTextEncoder(
  w: TextEncoderWeights,
  batch: EncodedBatch,
  modalityIds: readonly number[],
): Float32Array {
  const E = w.width;
  const { batch: n, length: l } = batch;
  const out = new Float32Array(n * E);
  for (let i = 0; i < n; i++) {
    const pooled = new Float64Array(E);
    let count = 0;
    for (let j = 0; j < l; j++) {
      const id = Number(batch.inputIds[i * l + j]);
      const m = Number(batch.attentionMask[i * l + j]);
      count += m;
      if (m === 0) continue;
      for (let k = 0; k < E; k++) pooled[k] += w.tokenEmbeddings[id * E + k] * m;
    }
    for (let k = 0; k < E; k++) pooled[k] /= Math.max(count, 1e-9);
    let v: Float64Array = pooled;
    if (w.projection) {
      const p = w.projection;
      const h = new Float64Array(E);
      for (let o = 0; o < E; o++) {
        let s = p.b1[o];
        for (let k = 0; k < E; k++) s += v[k] * p.w1[k * E + o];
        h[o] = 0.5 * s * (1 + erf(s * Math.SQRT1_2));
      }
      const y = new Float64Array(E);
      for (let o = 0; o < E; o++) {
        let s = p.b2[o];
        for (let k = 0; k < E; k++) s += h[k] * p.w2[k * E + o];
        y[o] = s;
      }
      v = y;
    }
    const mod = modalityIds[i];
    for (let k = 0; k < E; k++) out[i * E + k] = v[k] + w.modalityEmbeddings[mod * E + k];
  }
  return out;
}

interface EmbeddingEntry {
  sentence: string;
  modality: Modality;
  vector: Float32Array;
}

/** The JSON embedding table file of the contract. */
function embeddingTableJson(
  filePath: string,
  width: number,
  entries: readonly EmbeddingEntry[],
): GeneratedFile {
  return jsonFile(filePath, {
    format: EMBEDDING_TABLE_FORMAT,
    width,
    entries: entries.map((e) => ({
      sentence: e.sentence,
      modality: e.modality,
      vector: Array.from(e.vector),
    })),
  });
}

/** The f32le embedding table of the contract: a JSON index and the rows as little-endian float32. */
function embeddingTableF32(
  indexPath: string,
  dataPath: string,
  width: number,
  entries: readonly EmbeddingEntry[],
): [GeneratedFile, GeneratedFile] {
  const data = new Uint8Array(entries.length * width * 4);
  const view = new DataView(data.buffer);
  entries.forEach((e, i) => e.vector.forEach((v, k) => view.setFloat32((i * width + k) * 4, v, true)));
  const index = jsonFile(indexPath, {
    format: EMBEDDING_TABLE_FORMAT,
    width,
    entries: entries.map((e) => ({ sentence: e.sentence, modality: e.modality })),
  });
  return [index, { path: dataPath, bytes: data }];
}

/** A float32 tensor of seeded normal values times `scale`. */
export function normalArray(next: () => number, length: number, scale: number): Float32Array {
  return Float32Array.from({ length }, () => next() * scale);
}

// ---- the model folder ----

/** The grid a stage graph runs on, (H, W, D): its input size and target spacing in mm. */
interface StageGrid {
  patch: [number, number, number];
  targetSpacing: [number, number, number];
}
export type StageGrids = { 1: StageGrid; 2: StageGrid };

/** The inputs of a stage graph of the contract, for queries of `width` and a window of `patch`. */
export function stageInputs(g: GraphBuilder, patch: readonly [number, number, number], width: number) {
  const [H, W, D] = patch;
  return {
    queries: g.input('queries', 'float32', ['N', width]),
    image: g.input('image', 'float32', [1, 1, H, W, D]),
    sc: g.input('sc_prompt', 'float32', [1, 1, H, W, D]),
    mc: g.input('mc_prompt', 'float32', [1, 'N', H, W, D]),
  };
}

/** A stage graph and the grid it runs on. */
interface GeneratedStage extends StageGrid {
  bytes: Uint8Array;
}

interface ContractModelParts {
  name: string;
  description: string;
  /** Float type of the stage graphs' inputs and output. */
  dtype: StageDtype;
  stages: { 1: GeneratedStage; 2: GeneratedStage };
  text: TextEncoderWeights;
  vocabulary: readonly string[];
  /** The sentences of the precomputed embedding table, and how the table is stored. */
  sentences: readonly { sentence: string; modality: Modality }[];
  table: 'json' | 'f32le';
  generator: Record<string, unknown>;
}

/**
 * A model folder of the contract: the two stage graphs, the text encoder with its vocabulary,
 * and the table of the sentences' embeddings, computed by the encoder's TypeScript reference so
 * that the table and the graph give the same queries.
 */
export function contractModel(p: ContractModelParts): GeneratedModel {
  const E = p.text.width;
  const stage1: GeneratedFile = { path: 'stage1.onnx', bytes: p.stages[1].bytes };
  const stage2: GeneratedFile = { path: 'stage2.onnx', bytes: p.stages[2].bytes };
  const encoderFile: GeneratedFile = { path: 'text_encoder.onnx', bytes: buildTextEncoderGraph(p.text) };
  const vocabFile = vocabularyFile('vocab.txt', p.vocabulary);
  const vectors = referenceTextEncoder(
    p.text,
    new WordPieceTokenizer(p.vocabulary, {}).encode(p.sentences.map((s) => s.sentence)),
    p.sentences.map((s) => MEDALS_MODALITY_IDS[s.modality]),
  );
  const entries = p.sentences.map((s, i) => ({
    sentence: s.sentence,
    modality: s.modality,
    vector: vectors.slice(i * E, (i + 1) * E),
  }));
  let tableFiles: GeneratedFile[];
  let embeddings: EmbeddingTableManifest;
  if (p.table === 'json') {
    const file = embeddingTableJson('embeddings.json', E, entries);
    tableFiles = [file];
    embeddings = { format: 'json', file: fileRef(file) };
  } else {
    const [index, data] = embeddingTableF32('embeddings.index.json', 'embeddings.f32', E, entries);
    tableFiles = [index, data];
    embeddings = { format: 'f32le', index: fileRef(index), data: fileRef(data) };
  }
  const stage = (file: GeneratedFile, s: GeneratedStage) => ({
    onnx: fileRef(file),
    patch: s.patch,
    targetSpacing: s.targetSpacing,
    axisOrder: 'HWD' as const,
    dtype: p.dtype,
  });
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    name: p.name,
    description: p.description,
    license: 'Apache-2.0',
    embeddingWidth: E,
    modalities: { ...MEDALS_MODALITY_IDS },
    catalog: { format: CATALOG_FORMAT },
    stages: { '1': stage(stage1, p.stages[1]), '2': stage(stage2, p.stages[2]) },
    text: {
      encoder: { onnx: fileRef(encoderFile), tokenizer: wordpieceTokenizer(fileRef(vocabFile)) },
      embeddings,
    },
    generator: p.generator,
  };
  return finishModel(p.name, manifest, [stage1, stage2, encoderFile, vocabFile, ...tableFiles]);
}
