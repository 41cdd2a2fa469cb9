/**
 * "Did you mean ...": the catalog classes closest to an unknown prompt, by edit distance over
 * whole names and synonyms and by word overlap (each word compared by edit distance), so that
 * both typos ("livr") and partial names ("kidney", "adrenal") find something.
 */
import type { CatalogClass } from './catalog.js';
import { MODALITY_KEYWORDS } from './modality.js';

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let curr = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      curr[j] = Math.min(prev[j] + 1, curr[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length];
}

function similarity(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  return n === 0 ? 1 : 1 - editDistance(a, b) / n;
}

const STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'in',
  'of',
  'on',
  'at',
  'and',
  'with',
  'for',
  'from',
  'to',
  'by',
  'scan',
  'scans',
  'image',
  'images',
  'imaging',
  'segment',
  'segmentation',
]);

const MODALITY_WORDS = new Set(
  MODALITY_KEYWORDS.flatMap(([, keywords]) => keywords.flatMap((k) => k.toLowerCase().split(' '))),
);

const SIDE_WORDS = new Set(['left', 'right']);

export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/** The words of a prompt that may name a class (no stop words, no modality words). */
function queryWords(text: string): string[] {
  const all = words(text);
  const kept = all.filter((w) => !STOP_WORDS.has(w) && !MODALITY_WORDS.has(w));
  return kept.length > 0 ? kept : all;
}

function bestWordSimilarity(word: string, candidates: readonly string[]): number {
  let best = 0;
  for (const c of candidates) best = Math.max(best, similarity(word, c));
  return best;
}

/** How close a prompt is to a catalog term, 0..1. */
function termSimilarity(prompt: string, term: string): number {
  const q = queryWords(prompt);
  let t = words(term);
  // "kidney" is as close to "Left kidney" as to "Right kidney": without a side word in the
  // prompt, the side word of a term costs nothing.
  if (!q.some((w) => SIDE_WORDS.has(w))) {
    const unsided = t.filter((w) => !SIDE_WORDS.has(w));
    if (unsided.length > 0) t = unsided;
  }
  if (q.length === 0 || t.length === 0) return 0;
  const whole = similarity(q.join(' '), t.join(' '));
  const covered = (from: string[], to: string[]) =>
    from.reduce((sum, w) => sum + bestWordSimilarity(w, to), 0) / from.length;
  const overlap = (covered(q, t) + covered(t, q)) / 2;
  return Math.max(whole, overlap);
}

interface Suggestion<C extends CatalogClass = CatalogClass> {
  cls: C;
  /** The name or synonym that came closest. */
  term: string;
  score: number;
}

/**
 * The closest classes (best term per class), best first: those scoring at least `minScore` and
 * within `spread` of the best.
 */
export function suggestClasses<C extends CatalogClass>(
  prompt: string,
  classes: readonly C[],
  options: { limit?: number; minScore?: number; spread?: number } = {},
): Suggestion<C>[] {
  const { limit = 5, minScore = 0.55, spread = 0.25 } = options;
  const best: Suggestion<C>[] = [];
  for (const cls of classes) {
    let top: Suggestion<C> | undefined;
    for (const term of [cls.name, ...cls.synonyms]) {
      const score = termSimilarity(prompt, term);
      if (!top || score > top.score) top = { cls, term, score };
    }
    if (top && top.score >= minScore) best.push(top);
  }
  best.sort((a, b) => b.score - a.score || a.cls.name.localeCompare(b.cls.name));
  const floor = best.length > 0 ? best[0].score - spread : 0;
  return best.filter((s) => s.score >= floor).slice(0, limit);
}
