/**
 * The model folder contract: `manifest.json` and the files it names (see models/README.md).
 *
 * A model folder holds the two Medal S stage graphs (ONNX), the text side (a text-encoder graph
 * with its WordPiece vocabulary, and/or a table of precomputed query embeddings) and this
 * manifest, which gives every file's sha256 and everything the engine must not hard-code: the
 * embedding width E, each stage's patch and target spacing (H, W, D), the modality ids.
 *
 * Tensor names are fixed by the contract (STAGE_INPUTS, TEXT_ENCODER_INPUTS, ...); shapes follow
 * from the manifest: queries (N, E), image and sc_prompt (1, 1, H, W, D), mc_prompt and logits
 * (1, N, H, W, D), N dynamic.
 */
import path from 'node:path';
import { z } from 'zod';
import { MODALITIES, type Modality } from '../case/case-request.js';
import { ModelContractError } from '../core/errors.js';

export const MANIFEST_FORMAT = 'medals-model/1';
export const MANIFEST_FILE = 'manifest.json';
export const EMBEDDING_TABLE_FORMAT = 'medals-embeddings/1';

/** The official Medal S modality ids (text_encoder.py: ct 0, mri 1, us 2, pet 3, microscopy 4). */
export const MEDALS_MODALITY_IDS: Readonly<Record<Modality, number>> = {
  CT: 0,
  MRI: 1,
  US: 2,
  PET: 3,
  Microscopy: 4,
};

/** Stage graph inputs, in the order Medal S's forward takes them. */
export const STAGE_INPUTS = ['queries', 'image', 'sc_prompt', 'mc_prompt'] as const;
export const STAGE_OUTPUT = 'logits';
export type StageInputName = (typeof STAGE_INPUTS)[number];
export type StageTensorName = StageInputName | typeof STAGE_OUTPUT;

/** Text-encoder graph inputs (int64) and output. */
export const TEXT_ENCODER_INPUTS = ['input_ids', 'attention_mask', 'modality'] as const;
export const TEXT_ENCODER_OUTPUT = 'embeddings';

/** Float types a stage graph may use at its inputs and output; the engine converts float16. */
export const STAGE_DTYPES = ['float32', 'float16'] as const;
export type StageDtype = (typeof STAGE_DTYPES)[number];

export type Hwd = [number, number, number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256)');

/** A path inside the model folder: relative, forward slashes, no `..`, no absolute path. */
const relativePath = z
  .string()
  .min(1)
  .refine(
    (p) =>
      !p.includes('\\') &&
      !path.posix.isAbsolute(p) &&
      !path.win32.isAbsolute(p) &&
      p.split('/').every((part) => part !== '..' && part !== '.' && part !== '') &&
      p !== MANIFEST_FILE,
    'must be a relative path inside the model folder (forward slashes, no "..", not manifest.json)',
  );

export const fileRefSchema = z.strictObject({ path: relativePath, sha256 });
export type FileRef = z.infer<typeof fileRefSchema>;

const positiveInt = z.number().int().positive();
const hwdInts = z.tuple([positiveInt, positiveInt, positiveInt]);
const positive = z.number().positive().finite();
const hwdSpacing = z.tuple([positive, positive, positive]);

export const stageSchema = z.strictObject({
  onnx: fileRefSchema,
  /** Model input size (H, W, D) = (y, x, z) of an ITK buffer; the graph's spatial dims. */
  patch: hwdInts,
  /** Target spacing in mm, (H, W, D). */
  targetSpacing: hwdSpacing,
  axisOrder: z.literal('HWD'),
  /** Float type of the graph's inputs and output ('float16': the engine converts). */
  dtype: z.enum(STAGE_DTYPES).default('float32'),
});
export type StageManifest = z.infer<typeof stageSchema>;

/** The WordPiece tokenization of the official MyTokenizer on a BERT-style vocabulary file. */
export const tokenizerSchema = z.strictObject({
  type: z.literal('wordpiece'),
  /** One token per line; the line number (from 0) is the id. Id 0 is padding (mask = ids > 0). */
  vocabulary: fileRefSchema,
  lowercase: z.boolean().default(true),
  /** NFD and drop combining marks (BERT's strip_accents; None there follows lowercase). */
  stripAccents: z.boolean().default(true),
  tokenizeChineseChars: z.boolean().default(true),
  /** Literal tokens wrapped around every sentence (the official code uses '[CLS]' / '[SEP]'). */
  clsToken: z.string().min(1).default('[CLS]'),
  sepToken: z.string().min(1).default('[SEP]'),
  unkToken: z.string().min(1).default('[UNK]'),
  continuingSubwordPrefix: z.string().default('##'),
  maxInputCharsPerWord: positiveInt.default(100),
  /** Longest sequence after [CLS]/[SEP] (official: 256); longer ones are cut and end in [SEP]. */
  maxLength: z.number().int().min(2).default(256),
  /** Tokens kept whole when they occur in a sentence (the HF tokenizer's special tokens). */
  specialTokens: z.array(z.string().min(1)).default([]),
});
export type TokenizerManifest = z.infer<typeof tokenizerSchema>;

export const textEncoderSchema = z.strictObject({
  /** Graph: input_ids, attention_mask int64 (N, L), modality int64 (N) -> embeddings (N, E). */
  onnx: fileRefSchema,
  tokenizer: tokenizerSchema,
});
export type TextEncoderManifest = z.infer<typeof textEncoderSchema>;

/** Precomputed query embeddings keyed by (sentence, modality). */
export const embeddingTableSchema = z.discriminatedUnion('format', [
  /** One JSON file: { format, width, entries: [{ sentence, modality, vector }] }. */
  z.strictObject({ format: z.literal('json'), file: fileRefSchema }),
  /**
   * A JSON index { format, width, entries: [{ sentence, modality }] } and a little-endian
   * float32 file holding one row of E values per entry, in index order.
   */
  z.strictObject({ format: z.literal('f32le'), index: fileRefSchema, data: fileRefSchema }),
]);
export type EmbeddingTableManifest = z.infer<typeof embeddingTableSchema>;

const modalityIdsSchema = z
  .strictObject(
    Object.fromEntries(MODALITIES.map((m) => [m, z.number().int().min(0)])) as Record<Modality, z.ZodNumber>,
  )
  .refine((ids) => new Set(Object.values(ids)).size === MODALITIES.length, 'modality ids must be distinct');

export const manifestSchema = z
  .strictObject({
    format: z.literal(MANIFEST_FORMAT),
    name: z.string().min(1),
    description: z.string().optional(),
    /** SPDX identifier or a sentence; the weights' licence, recorded in provenance. */
    license: z.string().min(1),
    /** Query embedding width E (768 for Medal S). */
    embeddingWidth: positiveInt,
    /** Modality name -> id fed to the text encoder (Medal S: MEDALS_MODALITY_IDS). */
    modalities: modalityIdsSchema,
    /** The class catalog the model was trained with (the packaged one, or a file in the folder). */
    catalog: z.strictObject({ format: z.string().min(1), file: fileRefSchema.optional() }),
    stages: z.strictObject({ '1': stageSchema, '2': stageSchema.optional() }),
    text: z
      .strictObject({
        encoder: textEncoderSchema.optional(),
        embeddings: embeddingTableSchema.optional(),
      })
      .refine((t) => t.encoder !== undefined || t.embeddings !== undefined, {
        message: 'needs a text encoder, a precomputed embedding table, or both',
      }),
    /** Free-form facts about how the folder was made (generator name, seed, receptive field). */
    generator: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, string>();
    for (const [where, ref] of manifestFiles(m as ModelManifest)) {
      const before = seen.get(ref.path);
      if (before !== undefined && before !== ref.sha256) {
        ctx.addIssue({
          code: 'custom',
          path: where.split('.'),
          message: `file ${ref.path} is listed twice with different sha256`,
        });
      }
      seen.set(ref.path, ref.sha256);
    }
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
/** The manifest as written (defaults may be left out). */
export type ModelManifestInput = z.input<typeof manifestSchema>;

/** Every file the manifest names, with where it names it (e.g. 'stages.1.onnx'). */
export function manifestFiles(m: ModelManifest): [string, FileRef][] {
  const out: [string, FileRef][] = [];
  for (const key of ['1', '2'] as const) {
    const stage = m.stages[key];
    if (stage) out.push([`stages.${key}.onnx`, stage.onnx]);
  }
  if (m.text.encoder) {
    out.push(['text.encoder.onnx', m.text.encoder.onnx]);
    out.push(['text.encoder.tokenizer.vocabulary', m.text.encoder.tokenizer.vocabulary]);
  }
  const e = m.text.embeddings;
  if (e?.format === 'json') out.push(['text.embeddings.file', e.file]);
  if (e?.format === 'f32le') {
    out.push(['text.embeddings.index', e.index]);
    out.push(['text.embeddings.data', e.data]);
  }
  if (m.catalog.file) out.push(['catalog.file', m.catalog.file]);
  return out;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${where}: ${issue.message}`;
}

/** Check a parsed manifest.json; MODEL_CONTRACT listing every problem with its field path. */
export function parseManifest(input: unknown, where = MANIFEST_FILE): ModelManifest {
  const result = manifestSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(formatIssue);
    throw new ModelContractError(`${where} does not follow the model contract: ${problems.join('; ')}`, {
      details: { file: where, problems },
    });
  }
  return result.data;
}

/** The stages a manifest declares, in order. */
export function manifestStages(m: ModelManifest): (1 | 2)[] {
  return m.stages['2'] ? [1, 2] : [1];
}

// ---- precomputed embedding tables ----

const tableModality = z.enum(MODALITIES);

export const embeddingTableJsonSchema = z.strictObject({
  format: z.literal(EMBEDDING_TABLE_FORMAT),
  width: positiveInt,
  entries: z.array(
    z.strictObject({ sentence: z.string().min(1), modality: tableModality, vector: z.array(z.number()) }),
  ),
});
export type EmbeddingTableJson = z.infer<typeof embeddingTableJsonSchema>;

export const embeddingIndexJsonSchema = z.strictObject({
  format: z.literal(EMBEDDING_TABLE_FORMAT),
  width: positiveInt,
  entries: z.array(z.strictObject({ sentence: z.string().min(1), modality: tableModality })),
});
export type EmbeddingIndexJson = z.infer<typeof embeddingIndexJsonSchema>;

/** Check a parsed embedding table or index file; MODEL_CONTRACT naming the first problems. */
export function parseEmbeddingFile<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map(formatIssue);
    throw new ModelContractError(`${where} is not a valid embedding table: ${problems.join('; ')}`, {
      details: { file: where, problems },
    });
  }
  return result.data;
}
