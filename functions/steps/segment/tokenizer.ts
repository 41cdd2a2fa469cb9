/**
 * The text tokenization of Medal S (model/tokenizer.py, MyTokenizer): for each sentence
 * `[CLS] + wordpiece(sentence) + [SEP]`, where [CLS] and [SEP] are the literal vocabulary entries
 * (converted with convert_tokens_to_ids, not the tokenizer's own cls/sep, which for BioLORD's MPNet
 * tokenizer would be <s> and </s>); ids padded with 0 to the longest sentence of the batch, at
 * most `maxLength` (256) tokens, a longer sentence cut to that length with its last token
 * replaced by [SEP]; attention mask = ids > 0.
 *
 * wordpiece(sentence) is the HF BERT-family tokenization BioLORD-2023-C uses (MPNetTokenizer:
 * do_lower_case true, strip_accents null so accents follow lowercasing, tokenize_chinese_chars
 * true, unk '[UNK]'):
 *   1. special tokens (the tokenizer's added tokens, `specialTokens` here) are kept whole;
 *   2. clean: drop NUL, U+FFFD and control characters, turn every whitespace into a space;
 *   3. put spaces around CJK ideographs; NFC; split on whitespace;
 *   4. per word: lowercase, strip accents (NFD, drop combining marks), split off every
 *      punctuation character (ASCII symbols count as punctuation, as in BERT);
 *   5. WordPiece per word: greedy longest match from the left, continuation pieces prefixed with
 *      '##'; a word with no complete split, or longer than 100 characters, becomes one [UNK].
 * Tokens missing from the vocabulary map to the [UNK] id, as convert_tokens_to_ids does.
 */
import { readFile } from 'node:fs/promises';
import { ModelContractError } from '../../lib/core/errors.js';

interface TokenizerConfig {
  lowercase: boolean;
  stripAccents: boolean;
  tokenizeChineseChars: boolean;
  clsToken: string;
  sepToken: string;
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  maxLength: number;
  specialTokens: readonly string[];
}

/** The official configuration (BioLORD-2023-C's tokenizer under MyTokenizer). */
export const DEFAULT_TOKENIZER_CONFIG: TokenizerConfig = {
  lowercase: true,
  stripAccents: true,
  tokenizeChineseChars: true,
  clsToken: '[CLS]',
  sepToken: '[SEP]',
  unkToken: '[UNK]',
  continuingSubwordPrefix: '##',
  maxInputCharsPerWord: 100,
  maxLength: 256,
  specialTokens: [],
};

export interface EncodedBatch {
  /** Sentences in the batch (N). */
  batch: number;
  /** Padded length (L): the longest sentence with [CLS]/[SEP], at most maxLength. */
  length: number;
  /** int64 (N, L), row-major, 0 = padding. */
  inputIds: BigInt64Array;
  /** int64 (N, L): 1 where inputIds > 0, else 0. */
  attentionMask: BigInt64Array;
  /** The tokens of each sentence as fed (after truncation), for logs and tests. */
  tokens: string[][];
  /** Which sentences were cut to maxLength. */
  truncated: boolean[];
}

/** HF load_vocab: one token per line, the line index is the id, a later duplicate wins. */
export function parseVocabulary(text: string): string[] {
  const lines = text.split('\n');
  // readlines() yields no empty last line after a final newline.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const PUNCT = /^\p{P}$/u;
const CONTROL = /^\p{C}$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const COMBINING_MARK = /\p{Mn}/gu;

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE_SEPARATOR.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  // BERT treats every non-alphanumeric ASCII symbol as punctuation ('$', '^', '`', ...).
  if (
    (cp >= 33 && cp <= 47) ||
    (cp >= 58 && cp <= 64) ||
    (cp >= 91 && cp <= 96) ||
    (cp >= 123 && cp <= 126)
  ) {
    return true;
  }
  return PUNCT.test(ch);
}

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export class WordPieceTokenizer {
  readonly config: TokenizerConfig;
  /** token -> id */
  readonly vocab: ReadonlyMap<string, number>;
  readonly size: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly unkId: number;
  private readonly specials: string[];

  constructor(tokens: readonly string[], config: Partial<TokenizerConfig> = {}, where = 'vocabulary') {
    this.config = { ...DEFAULT_TOKENIZER_CONFIG, ...config };
    const vocab = new Map<string, number>();
    tokens.forEach((t, i) => vocab.set(t, i));
    this.vocab = vocab;
    this.size = tokens.length;
    const need = (token: string, role: string): number => {
      const id = vocab.get(token);
      if (id === undefined) {
        throw new ModelContractError(`${where} has no ${role} token '${token}'`, {
          details: { file: where, token, role },
        });
      }
      return id;
    };
    this.clsId = need(this.config.clsToken, 'cls');
    this.sepId = need(this.config.sepToken, 'sep');
    this.unkId = need(this.config.unkToken, 'unk');
    if (this.config.maxLength < 2) throw new RangeError('maxLength must be at least 2');
    // Longest first, so that a special token containing another wins.
    this.specials = [...new Set(this.config.specialTokens)].sort((a, b) => b.length - a.length);
  }

  static async fromFile(file: string, config: Partial<TokenizerConfig> = {}): Promise<WordPieceTokenizer> {
    return new WordPieceTokenizer(parseVocabulary(await readFile(file, 'utf8')), config, file);
  }

  /** The id of a token, [UNK]'s id when the vocabulary lacks it (convert_tokens_to_ids). */
  idOf(token: string): number {
    return this.vocab.get(token) ?? this.unkId;
  }

  /** HF `tokenizer.tokenize(text)`: word pieces, without [CLS]/[SEP]. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const segment of this.splitSpecial(text)) {
      if (segment.special) out.push(segment.text);
      else for (const word of this.basicTokenize(segment.text)) out.push(...this.wordPiece(word));
    }
    return out;
  }

  /** MyTokenizer.tokenize on a batch: ids, mask and the tokens actually fed. */
  encode(texts: readonly string[]): EncodedBatch {
    const { clsToken, sepToken, maxLength } = this.config;
    const all = texts.map((t) => [clsToken, ...this.tokenize(t), sepToken]);
    const length = Math.min(
      maxLength,
      all.reduce((m, t) => Math.max(m, t.length), 0),
    );
    const n = all.length;
    const inputIds = new BigInt64Array(n * length);
    const attentionMask = new BigInt64Array(n * length);
    const truncated: boolean[] = [];
    const tokens = all.map((toks, i) => {
      let ids = toks.map((t) => this.idOf(t));
      let fed = toks;
      const cut = ids.length > length;
      if (cut) {
        ids = ids.slice(0, length);
        ids[length - 1] = this.sepId;
        fed = [...toks.slice(0, length - 1), sepToken];
      }
      truncated.push(cut);
      ids.forEach((id, j) => {
        inputIds[i * length + j] = BigInt(id);
        attentionMask[i * length + j] = id > 0 ? 1n : 0n;
      });
      return fed;
    });
    return { batch: n, length, inputIds, attentionMask, tokens, truncated };
  }

  private splitSpecial(text: string): { text: string; special: boolean }[] {
    if (this.specials.length === 0) return [{ text, special: false }];
    const out: { text: string; special: boolean }[] = [];
    let plain = '';
    let i = 0;
    outer: while (i < text.length) {
      for (const s of this.specials) {
        if (text.startsWith(s, i)) {
          if (plain) out.push({ text: plain, special: false });
          plain = '';
          out.push({ text: s, special: true });
          i += s.length;
          continue outer;
        }
      }
      plain += text[i];
      i++;
    }
    if (plain) out.push({ text: plain, special: false });
    return out;
  }

  /** BERT BasicTokenizer: clean, CJK spacing, NFC, whitespace split, lowercase/accents, punctuation. */
  basicTokenize(text: string): string[] {
    const { lowercase, stripAccents, tokenizeChineseChars } = this.config;
    let cleaned = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      if (isWhitespace(ch)) cleaned += ' ';
      else if (tokenizeChineseChars && isChineseChar(cp)) cleaned += ` ${ch} `;
      else cleaned += ch;
    }
    const words = cleaned
      .normalize('NFC')
      .split(/\s+/u)
      .filter((w) => w.length > 0);
    const out: string[] = [];
    for (let word of words) {
      if (lowercase) word = word.toLowerCase();
      if (stripAccents) word = word.normalize('NFD').replace(COMBINING_MARK, '');
      let current = '';
      for (const ch of word) {
        if (isPunctuation(ch)) {
          if (current) out.push(current);
          out.push(ch);
          current = '';
        } else {
          current += ch;
        }
      }
      if (current) out.push(current);
    }
    return out;
  }

  /** WordPiece on one word: greedy longest-match-first; all or nothing ([UNK]). */
  wordPiece(word: string): string[] {
    const chars = Array.from(word);
    const { maxInputCharsPerWord, unkToken, continuingSubwordPrefix } = this.config;
    if (chars.length > maxInputCharsPerWord) return [unkToken];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        let sub = chars.slice(start, end).join('');
        if (start > 0) sub = continuingSubwordPrefix + sub;
        if (this.vocab.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === undefined) return [unkToken];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }
}
