/**
 * The text encoder as an ONNX graph: input_ids and attention_mask int64 (N, L) and modality int64
 * (N) -> embeddings (N, E), one query per sentence (Medal S's Knowledge_Encoder: BioLORD mean
 * pooled over the mask, projected, plus the modality embedding). Sentences go through the
 * WordPiece tokenizer first, all of a batch in one run, padded to the longest.
 */
import * as ort from 'onnxruntime-node';
import type { Modality } from '../../lib/case/case-request.js';
import { InvalidInputError, ModelContractError } from '../../lib/core/errors.js';
import { type ExecutionProvider, openSession, sessionValueInfo } from './onnx-session.js';
import { parityTrace } from './trace.js';
import { float16ToFloat32 } from '../../lib/model/float16.js';
import { checkGraphIo, textEncoderGraphSpec } from '../../lib/model/graph-io.js';
import type { WordPieceTokenizer } from './tokenizer.js';

interface TextEncoderOptions {
  tokenizer: WordPieceTokenizer;
  embeddingWidth: number;
  /** Modality name -> id the graph's modality embedding expects. */
  modalityIds: Readonly<Record<Modality, number>>;
  executionProviders?: readonly ExecutionProvider[];
  sessionOptions?: Omit<ort.InferenceSession.SessionOptions, 'executionProviders'>;
  /** Prefix for error messages, e.g. the file name. */
  where?: string;
}

export interface TextQuery {
  sentence: string;
  modality: Modality;
}

export class TextEncoderSession {
  /** Runs so far (one per embed call with at least one sentence), for tests and logs. */
  runs = 0;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly executionProvider: ExecutionProvider,
    readonly tokenizer: WordPieceTokenizer,
    readonly embeddingWidth: number,
    readonly modalityIds: Readonly<Record<Modality, number>>,
    /** 'float32' or 'float16' (converted to float32 here). */
    readonly outputDtype: string,
    /** Contract remarks (e.g. a dim the graph leaves dynamic). */
    readonly warnings: string[],
    /** Providers passed over and why. */
    readonly providerNotes: string[],
  ) {}

  /** Open the graph (bytes or path) and check its I/O against the contract (MODEL_CONTRACT). */
  static async open(model: Uint8Array | string, options: TextEncoderOptions): Promise<TextEncoderSession> {
    const where = options.where ?? (typeof model === 'string' ? `text encoder ${model}` : 'text encoder');
    let opened;
    try {
      opened = await openSession(model, {
        executionProviders: options.executionProviders ?? ['cpu'],
        sessionOptions: { logSeverityLevel: 3, ...options.sessionOptions },
      });
    } catch (e) {
      throw new ModelContractError(`${where}: onnxruntime cannot load it: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const report = checkGraphIo(
      where,
      sessionValueInfo(opened.session),
      textEncoderGraphSpec(options.embeddingWidth),
    );
    if (report.problems.length > 0) {
      await opened.session.release();
      throw new ModelContractError(report.problems.join('; '), { details: { problems: report.problems } });
    }
    return new TextEncoderSession(
      opened.session,
      opened.executionProvider,
      options.tokenizer,
      options.embeddingWidth,
      options.modalityIds,
      report.dtypes.embeddings ?? 'float32',
      report.warnings,
      opened.skipped.map((s) => `${where}: ${s}`),
    );
  }

  /** Embed sentences in one run: float32 (N x E), row i for queries[i]. */
  async embed(queries: readonly TextQuery[]): Promise<Float32Array> {
    const E = this.embeddingWidth;
    if (queries.length === 0) return new Float32Array(0);
    const modality = BigInt64Array.from(queries, (q) => {
      const id = this.modalityIds[q.modality];
      if (id === undefined)
        throw new InvalidInputError(`unknown modality '${q.modality}' for the text encoder`);
      return BigInt(id);
    });
    const batch = this.tokenizer.encode(queries.map((q) => q.sentence));
    const { batch: n, length: l } = batch;
    const started = performance.now();
    const out = await this.session.run({
      input_ids: new ort.Tensor('int64', batch.inputIds, [n, l]),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, [n, l]),
      modality: new ort.Tensor('int64', modality, [n]),
    });
    this.runs++;
    const t = out.embeddings as ort.Tensor;
    if (t.dims.length !== 2 || t.dims[0] !== n || t.dims[1] !== E) {
      throw new ModelContractError(
        `text encoder returned embeddings of shape [${t.dims.join(', ')}], expected [${n}, ${E}]`,
      );
    }
    const embeddings =
      t.type === 'float16'
        ? float16ToFloat32(t.data as Uint16Array)
        : Float32Array.from(t.data as Float32Array);
    const trace = parityTrace();
    if (trace) {
      const ids = Array.from({ length: n }, (_, i) =>
        Array.from(batch.inputIds.subarray(i * l, (i + 1) * l), Number).filter((id) => id > 0),
      );
      trace.set('text', {
        tokens: Object.fromEntries(queries.map((q, i) => [q.sentence, ids[i]])),
        modalityCodes: Array.from(modality, Number),
        seconds: (performance.now() - started) / 1000,
      });
      trace.array('queries', { dtype: 'float32', shape: [n, E], data: embeddings, fortranOrder: false });
    }
    return embeddings;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
