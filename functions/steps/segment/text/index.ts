/** The text path: WordPiece tokenizer, text-encoder session, embedding cache and table. */
export {
  DEFAULT_TOKENIZER_CONFIG,
  type EncodedBatch,
  type TokenizerConfig,
  WordPieceTokenizer,
  parseVocabulary,
} from './tokenizer.js';
export { type TextEncoderOptions, type TextQuery, TextEncoderSession } from './text-encoder.js';
export {
  type EmbeddedQueries,
  EmbeddingCache,
  type EmbeddingSource,
  EmbeddingTable,
  TextEmbedder,
  type TextEmbedderOptions,
  embeddingKey,
} from './embedding-cache.js';
