import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer, parseVocabulary } from '../../../functions/steps/segment/tokenizer.js';

// A hand-made vocabulary: the id of a token is its index.
const VOCAB = [
  '[PAD]', // 0
  '[UNK]', // 1
  '[CLS]', // 2
  '[SEP]', // 3
  '[MASK]', // 4
  'liver', // 5
  'in', // 6
  'abdominal', // 7
  'ct', // 8
  'left', // 9
  'kidney', // 10
  '##s', // 11
  'spl', // 12
  '##een', // 13
  ',', // 14
  '.', // 15
  'cafe', // 16
  '-', // 17
  't1', // 18
  '##1', // 19
  't', // 20
];

const tok = new WordPieceTokenizer(VOCAB);

/** ids of one sentence as MyTokenizer feeds it (batch of one, so no padding). */
function ids(text: string, t = tok): number[] {
  const b = t.encode([text]);
  return Array.from(b.inputIds, Number);
}

describe('WordPiece tokenizer (MyTokenizer semantics), hand-worked examples', () => {
  it('wraps a sentence in the literal [CLS] ... [SEP] and lowercases', () => {
    expect(tok.tokenize('Liver in abdominal CT')).toEqual(['liver', 'in', 'abdominal', 'ct']);
    expect(ids('Liver in abdominal CT')).toEqual([2, 5, 6, 7, 8, 3]);
    const b = tok.encode(['Liver in abdominal CT']);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(b.tokens[0]).toEqual(['[CLS]', 'liver', 'in', 'abdominal', 'ct', '[SEP]']);
  });

  it('maps a word with no word-piece split to [UNK]', () => {
    // 'mri': neither 'mri', 'mr' nor 'm' is in the vocabulary.
    expect(tok.tokenize('Liver in abdominal MRI')).toEqual(['liver', 'in', 'abdominal', '[UNK]']);
    expect(ids('Liver in abdominal MRI')).toEqual([2, 5, 6, 7, 1, 3]);
  });

  it('splits into ## continuation pieces, longest match first', () => {
    expect(tok.tokenize('Spleen')).toEqual(['spl', '##een']);
    expect(ids('Left kidneys')).toEqual([2, 9, 10, 11, 3]);
    // 't11' -> 't1' (longest prefix) + '##1', not 't' + ...
    expect(tok.tokenize('t11')).toEqual(['t1', '##1']);
  });

  it('is all or nothing per word: a failing tail makes the whole word [UNK]', () => {
    // 'kidney' matches, '##x' does not: one [UNK], not 'kidney [UNK]'.
    expect(tok.tokenize('kidneyx')).toEqual(['[UNK]']);
    expect(ids('kidneyx')).toEqual([2, 1, 3]);
  });

  it('splits off punctuation, ASCII symbols included', () => {
    expect(tok.tokenize('liver,spleen.')).toEqual(['liver', ',', 'spl', '##een', '.']);
    expect(ids('liver,spleen.')).toEqual([2, 5, 14, 12, 13, 15, 3]);
    expect(tok.tokenize('T1-weighted')).toEqual(['t1', '-', '[UNK]']);
    expect(tok.tokenize('liver$ct')).toEqual(['liver', '[UNK]', 'ct']);
  });

  it('strips accents (composed or decomposed) after lowercasing', () => {
    expect(tok.tokenize('CAFÉ')).toEqual(['cafe']);
    expect(tok.tokenize('Cafe\u0301')).toEqual(['cafe']);
    expect(ids('Café')).toEqual([2, 16, 3]);
    const keep = new WordPieceTokenizer(VOCAB, { stripAccents: false });
    expect(keep.tokenize('Café')).toEqual(['[UNK]']);
  });

  it('cleans control characters and treats any whitespace as a separator', () => {
    expect(ids('  Liver\tin\n\u0000CT\u00a0 ')).toEqual([2, 5, 6, 8, 3]);
    expect(ids('liver\u200bin')).toEqual([2, 1, 3]); // U+200B is Cf: dropped, joining the words
    expect(ids('')).toEqual([2, 3]);
  });

  it('puts CJK ideographs apart', () => {
    expect(tok.tokenize('肝liver')).toEqual(['[UNK]', 'liver']);
  });

  it('gives [UNK] for a word over 100 characters', () => {
    const w100 = 't' + '1'.repeat(99);
    expect(tok.tokenize(w100)).toEqual(['t1', ...Array(98).fill('##1')]);
    expect(tok.tokenize(w100 + '1')).toEqual(['[UNK]']);
  });

  it('keeps configured special tokens whole', () => {
    const special = new WordPieceTokenizer(VOCAB, { specialTokens: ['[MASK]'] });
    expect(ids('liver [MASK] ct', special)).toEqual([2, 5, 4, 8, 3]);
    expect(ids('liver[MASK]ct', special)).toEqual([2, 5, 4, 8, 3]);
    // Without it, '[MASK]' is text: '[', 'mask', ']'.
    expect(tok.tokenize('liver [MASK] ct')).toEqual(['liver', '[UNK]', '[UNK]', '[UNK]', 'ct']);
  });

  it('pads with 0 to the longest sentence of the batch; mask = ids > 0', () => {
    const b = tok.encode(['Liver', 'Left kidney in abdominal CT']);
    expect([b.batch, b.length]).toEqual([2, 7]);
    expect(Array.from(b.inputIds, Number)).toEqual([2, 5, 3, 0, 0, 0, 0, 2, 9, 10, 6, 7, 8, 3]);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    expect(b.truncated).toEqual([false, false]);
  });

  it('cuts at 256 tokens and ends the cut sentence with [SEP]', () => {
    const long = Array(300).fill('liver').join(' ');
    const b = tok.encode([long, 'CT']);
    expect(b.length).toBe(256);
    const row0 = Array.from(b.inputIds.subarray(0, 256), Number);
    expect(row0[0]).toBe(2);
    expect(row0.slice(1, 255).every((v) => v === 5)).toBe(true);
    expect(row0[255]).toBe(3);
    expect(Array.from(b.inputIds.subarray(256, 260), Number)).toEqual([2, 8, 3, 0]);
    expect(b.truncated).toEqual([true, false]);
    expect(b.tokens[0].length).toBe(256);
    expect(b.tokens[0][255]).toBe('[SEP]');
    // Exactly 256 tokens with [CLS]/[SEP] is not cut.
    const fits = tok.encode([Array(254).fill('liver').join(' ')]);
    expect([fits.length, fits.truncated[0]]).toEqual([256, false]);
  });

  it('reads a vocabulary file as HF load_vocab does and needs [CLS], [SEP], [UNK]', async () => {
    expect(parseVocabulary('a\nb\n')).toEqual(['a', 'b']);
    expect(parseVocabulary('a\nb')).toEqual(['a', 'b']);
    const dir = await mkdtemp(join(tmpdir(), 'medals-vocab-'));
    try {
      await writeFile(join(dir, 'vocab.txt'), VOCAB.join('\n') + '\n');
      const fromFile = await WordPieceTokenizer.fromFile(join(dir, 'vocab.txt'));
      expect(fromFile.size).toBe(VOCAB.length);
      expect(ids('Liver in abdominal CT', fromFile)).toEqual([2, 5, 6, 7, 8, 3]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => new WordPieceTokenizer(['[PAD]', '[UNK]', '[SEP]'], {}, 'vocab.txt')).toThrow(
      expect.objectContaining({ code: 'MODEL_CONTRACT', message: "vocab.txt has no cls token '[CLS]'" }),
    );
  });
});
