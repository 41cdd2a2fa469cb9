/**
 * Query embeddings for the stage graphs, keyed by (sentence, modality): from an in-memory cache,
 * else the model's precomputed table, else the text encoder (all misses in one run).
 */
import type { Modality } from '../../lib/case/case-request.js';
import { UnknownClassError } from '../../lib/core/errors.js';
import type { TextEncoderSession, TextQuery } from './text-encoder.js';

/** The cache and table key: the sentence exactly as encoded, and the modality. */
function embeddingKey(sentence: string, modality: Modality): string {
  return `${modality}\u0000${sentence}`;
}

/** A bounded (least recently used first out) map from (sentence, modality) to an embedding. */
export class EmbeddingCache {
  private readonly map = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 4096) {}

  get size(): number {
    return this.map.size;
  }

  get(sentence: string, modality: Modality): Float32Array | undefined {
    const key = embeddingKey(sentence, modality);
    const v = this.map.get(key);
    if (v) {
      this.hits++;
      // Refresh its place in the recency order.
      this.map.delete(key);
      this.map.set(key, v);
    } else {
      this.misses++;
    }
    return v;
  }

  set(sentence: string, modality: Modality, vector: Float32Array): void {
    const key = embeddingKey(sentence, modality);
    this.map.delete(key);
    this.map.set(key, vector);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }

  clear(): void {
    this.map.clear();
  }
}

/** A read-only table of precomputed embeddings (from the model folder). */
export class EmbeddingTable {
  private readonly map = new Map<string, Float32Array>();

  constructor(
    readonly width: number,
    entries: Iterable<{ sentence: string; modality: Modality; vector: Float32Array }>,
  ) {
    for (const e of entries) this.map.set(embeddingKey(e.sentence, e.modality), e.vector);
  }

  get size(): number {
    return this.map.size;
  }

  get(sentence: string, modality: Modality): Float32Array | undefined {
    return this.map.get(embeddingKey(sentence, modality));
  }

  has(sentence: string, modality: Modality): boolean {
    return this.map.has(embeddingKey(sentence, modality));
  }
}

type EmbeddingSource = 'cache' | 'table' | 'encoder';

interface EmbeddedQueries {
  /** float32 (N x E), row i for queries[i]: the stage graphs' `queries` input. */
  data: Float32Array;
  width: number;
  /** Where each row came from. */
  sources: EmbeddingSource[];
}

interface TextEmbedderOptions {
  width: number;
  encoder?: TextEncoderSession;
  table?: EmbeddingTable;
  cache?: EmbeddingCache;
  /** Order of the precomputed table and the encoder for a cache miss. Default table first. */
  prefer?: 'table' | 'encoder';
  /** Names the model in error messages. */
  modelName?: string;
}

/** Embeds (sentence, modality) queries for one model: cache, then table or encoder. */
export class TextEmbedder {
  readonly width: number;
  readonly encoder?: TextEncoderSession;
  readonly table?: EmbeddingTable;
  readonly cache: EmbeddingCache;
  private readonly prefer: 'table' | 'encoder';
  private readonly modelName: string;

  constructor(options: TextEmbedderOptions) {
    if (!options.encoder && !options.table) throw new Error('TextEmbedder needs an encoder or a table');
    this.width = options.width;
    this.encoder = options.encoder;
    this.table = options.table;
    this.cache = options.cache ?? new EmbeddingCache();
    this.prefer = options.prefer ?? 'table';
    this.modelName = options.modelName ?? 'the model';
  }

  async embed(queries: readonly TextQuery[]): Promise<EmbeddedQueries> {
    const E = this.width;
    const data = new Float32Array(queries.length * E);
    const sources: EmbeddingSource[] = new Array(queries.length);
    const missing: number[] = [];
    queries.forEach((q, i) => {
      const cached = this.cache.get(q.sentence, q.modality);
      if (cached) {
        data.set(cached, i * E);
        sources[i] = 'cache';
        return;
      }
      const fromTable = this.table?.get(q.sentence, q.modality);
      if (fromTable && (this.prefer === 'table' || !this.encoder)) {
        data.set(fromTable, i * E);
        sources[i] = 'table';
        this.cache.set(q.sentence, q.modality, fromTable);
        return;
      }
      missing.push(i);
    });
    if (missing.length > 0) {
      if (!this.encoder) {
        const q = queries[missing[0]];
        throw new UnknownClassError(
          `${this.modelName} has no text encoder and its embedding table has no entry for ` +
            `'${q.sentence}' (${q.modality})` +
            (missing.length > 1 ? ` nor for ${missing.length - 1} more prompt(s)` : ''),
          { details: { missing: missing.map((i) => queries[i]) } },
        );
      }
      // Each distinct (sentence, modality) once, in one batch, as the official encoder does.
      const distinct = new Map<string, number>();
      const batch: TextQuery[] = [];
      for (const i of missing) {
        const key = embeddingKey(queries[i].sentence, queries[i].modality);
        if (!distinct.has(key)) {
          distinct.set(key, batch.length);
          batch.push(queries[i]);
        }
      }
      const out = await this.encoder.embed(batch);
      batch.forEach((q, j) => this.cache.set(q.sentence, q.modality, out.slice(j * E, (j + 1) * E)));
      for (const i of missing) {
        const j = distinct.get(embeddingKey(queries[i].sentence, queries[i].modality))!;
        data.set(out.subarray(j * E, (j + 1) * E), i * E);
        sources[i] = 'encoder';
      }
    }
    return { data, width: E, sources };
  }
}
