/**
 * Class matching as the official Medal S text preprocessing does it, within one modality:
 *
 * - the terms are the class names of the branch plus every synonym of those classes (a synonym
 *   spelled exactly like a class name replaces it);
 * - terms are tried longest first (length in characters, then by plain string order, so an
 *   upper-case spelling comes before a lower-case one of the same length);
 * - a term matches when it occurs in the lower-cased sentence as a whole word (Python `\b`,
 *   i.e. Unicode letters, digits and `_` are word characters);
 * - side words: if the sentence contains the word "left" (else "right"), every term containing
 *   that string is tried with it removed, so "left kidney" and "kidney left" both match "Left
 *   kidney". Only the first side word found counts ("left and right kidney" still matches
 *   "Right kidney" first because that term is tried as written and is longer), and a sentence
 *   without a side word never matches a sided class ("kidney" matches nothing in CT).
 */
import type { Branch, CatalogClass } from './catalog.js';

export interface Term<C extends CatalogClass = CatalogClass> {
  /** The term as spelled in the catalog (a class name or a synonym). */
  term: string;
  cls: C;
}

const WORD = '[\\p{L}\\p{N}_]';
const wordChar = new RegExp(`^${WORD}$`, 'u');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `\b` + text + `\b` with Python's Unicode word boundaries. */
export function wholeWordPattern(text: string): RegExp {
  const chars = [...text];
  const edge = (c: string | undefined, side: 'before' | 'after'): string => {
    if (c === undefined) return `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
    const isWord = wordChar.test(c);
    if (side === 'before') return isWord ? `(?<!${WORD})` : `(?<=${WORD})`;
    return isWord ? `(?!${WORD})` : `(?=${WORD})`;
  };
  if (chars.length === 0) return new RegExp(edge(undefined, 'before'), 'u');
  return new RegExp(
    edge(chars[0], 'before') + escapeRegExp(text) + edge(chars[chars.length - 1], 'after'),
    'u',
  );
}

const patternCache = new Map<string, RegExp>();
function containsWord(haystackLower: string, needleLower: string): boolean {
  // No occurrence, no whole-word occurrence: most terms stop here, before a RegExp is compiled
  // for them (compiling them all cost 0.3 s a case).
  if (needleLower.length > 0 && !haystackLower.includes(needleLower)) return false;
  let re = patternCache.get(needleLower);
  if (!re) patternCache.set(needleLower, (re = wholeWordPattern(needleLower)));
  return re.test(haystackLower);
}

function codepointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * The search order of the terms of some classes: per branch (in the order given) names then
 * synonyms keyed by exact spelling, then all sorted longest first, then by string order; equal
 * terms keep branch order (stable sort).
 */
export function termTable<C extends CatalogClass>(
  classes: readonly C[],
  branches: readonly Branch[],
): Term<C>[] {
  const terms: Term<C>[] = [];
  for (const branch of branches) {
    const byTerm = new Map<string, C>();
    const inBranch = classes.filter((c) => c.branch === branch);
    for (const cls of inBranch) byTerm.set(cls.name, cls);
    for (const cls of inBranch) for (const s of cls.synonyms) byTerm.set(s, cls);
    for (const [term, cls] of byTerm) terms.push({ term, cls });
  }
  const lengths = new Map(terms.map((t) => [t.term, codepointLength(t.term)]));
  return terms.sort(
    (a, b) => lengths.get(b.term)! - lengths.get(a.term)! || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0),
  );
}

type Side = 'left' | 'right';

/** The side word of a sentence: "left" if it occurs as a word, else "right", else none. */
export function sideWord(sentence: string): Side | undefined {
  const lower = sentence.toLowerCase();
  if (containsWord(lower, 'left')) return 'left';
  if (containsWord(lower, 'right')) return 'right';
  return undefined;
}

export interface TermMatch<C extends CatalogClass = CatalogClass> extends Term<C> {
  /** The side word that was dropped from the term to match it, if any. */
  side?: Side;
}

/** The first term (in search order) that the sentence contains; undefined when none. */
export function matchTerm<C extends CatalogClass>(
  sentence: string,
  terms: readonly Term<C>[],
): TermMatch<C> | undefined {
  const lower = sentence.toLowerCase();
  const side = sideWord(sentence);
  for (const t of terms) {
    const termLower = t.term.toLowerCase();
    if (side !== undefined && termLower.includes(side)) {
      const stripped = termLower.split(side).join('').trim();
      if (containsWord(lower, stripped)) return { ...t, side };
    } else if (containsWord(lower, termLower)) {
      return t;
    }
  }
  return undefined;
}
