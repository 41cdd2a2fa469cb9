/** The text path: WordPiece tokenizer, text-encoder session, embedding cache and table. */
export {
  DEFAULT_TOKENIZER_CONFIG,
  type EncodedBatch,
  WordPieceTokenizer,
  parseVocabulary,
} from './tokenizer.js';
export { type TextQuery, TextEncoderSession } from './text-encoder.js';
export { EmbeddingCache, EmbeddingTable, TextEmbedder } from './embedding-cache.js';
