/**
 * Prompt understanding: which Medal S class each prompt names, in which modality, and which
 * sentence goes to the text encoder.
 *
 * Modality of a prompt: its own keyword (see modality.ts) when it has one; otherwise the case
 * modality, which is the request's, else the most frequent keyword modality among all prompts,
 * else the image's (e.g. from its intensity range), else CT. The official code has no fallback
 * (a prompt without a keyword fails there); users mostly type bare names ("liver"), hence ours.
 *
 * Class: matched within that modality as the official code does (see match.ts), in the branch
 * given by `instance` (false: anatomy, true: lesion, as the challenge `instance_label`), or in
 * both when it is not given, anatomy first for identical terms and longest term first otherwise
 * (so "liver tumor" finds the lesion class and "liver" the organ).
 *
 * Sentence for the text encoder: for a bare name or synonym ("liver", "hepatic", "kidney left")
 * the catalog's canonical challenge sentence of the class (or "<name> in <modality>" where the
 * challenge data has none); any other prompt is sent as written.
 */
import { MODALITIES, type Modality, type Prompt } from '../case/case-request.js';
import { UnknownClassError } from '../core/errors.js';
import { type Branch, type Catalog, type ClassEntry, catalogClasses, loadCatalog } from './catalog.js';
import { type Term, type TermMatch, matchTerm, termTable } from './match.js';
import { MODALITY_PHRASE, detectModality, mostFrequentModality } from './modality.js';
import { suggestClasses, words } from './suggest.js';
import type { CtWindowGroup } from '../medal-s/index.js';

/** How the modality of a prompt (or of the case) was decided. */
type ModalitySource = 'keyword' | 'request' | 'prompts' | 'image' | 'default';
type CaseModalitySource = Exclude<ModalitySource, 'keyword'>;
/** Where the encoder sentence came from: the catalog, generated from the name, or the prompt. */
type SentenceSource = 'catalog' | 'generated' | 'prompt';

export interface ResolvedPrompt {
  /** Label value in the output label map. */
  value: number;
  /** The prompt as the user wrote it. */
  text: string;
  /** `<Modality>_<canonical name>`: drives the class-specific rules of Medal S. */
  classKey: string;
  /** Canonical class name. */
  name: string;
  modality: Modality;
  modalitySource: ModalitySource;
  /** The modality keyword found in the prompt (modalitySource 'keyword'). */
  keyword?: string;
  branch: Branch;
  /** Medal S label id of the class within its modality and branch. */
  id: number;
  /** The catalog term (name or synonym) that matched. */
  matchedTerm: string;
  /** The side word dropped from the term to match it. */
  side?: 'left' | 'right';
  /** The sentence sent to the text encoder. */
  sentence: string;
  sentenceSource: SentenceSource;
  /** Gets the component-selection post-processing (official improved_classes list). */
  improved: boolean;
  /** The CT tissue group whose window a raw CT gets for this class (catalog `ctWindow`, ours). */
  ctWindow: CtWindowGroup | null;
}

interface ResolveOptions {
  /** The modality the request names; wins for prompts without a keyword. */
  requestModality?: Modality;
  /** The modality the image suggests; used when neither the request nor any prompt names one. */
  imageModality?: Modality;
  /** Instance task (lesion branch) or semantic (anatomy); both branches when undefined. */
  instance?: boolean;
  /** Defaults to the packaged catalog. */
  catalog?: Catalog;
}

export interface CaseModality {
  modality: Modality;
  source: CaseModalitySource;
}

export interface ResolvedCase extends CaseModality {
  prompts: ResolvedPrompt[];
}

const DESCRIBE_SOURCE: Record<CaseModalitySource, string> = {
  request: "the request's modality",
  prompts: 'the most frequent modality named by the prompts',
  image: "the image's modality",
  default: 'the default modality',
};

/** The case modality: the request's, else the prompts' most frequent keyword, else the image's, else CT. */
export function decideCaseModality(
  texts: readonly string[],
  options: Pick<ResolveOptions, 'requestModality' | 'imageModality'> = {},
): CaseModality {
  if (options.requestModality) return { modality: options.requestModality, source: 'request' };
  const named = texts.flatMap((t) => {
    const found = detectModality(t);
    return found ? [found.modality] : [];
  });
  const frequent = mostFrequentModality(named);
  if (frequent) return { modality: frequent, source: 'prompts' };
  if (options.imageModality) return { modality: options.imageModality, source: 'image' };
  return { modality: 'CT', source: 'default' };
}

function branchesOf(instance: boolean | undefined): Branch[] {
  return instance === undefined ? ['anatomy', 'lesion'] : instance ? ['lesion'] : ['anatomy'];
}

const tables = new WeakMap<Catalog, Map<string, { classes: ClassEntry[]; terms: Term<ClassEntry>[] }>>();

function tableFor(catalog: Catalog, modality: Modality, instance: boolean | undefined) {
  let perCatalog = tables.get(catalog);
  if (!perCatalog) tables.set(catalog, (perCatalog = new Map()));
  const key = `${modality}/${instance}`;
  let table = perCatalog.get(key);
  if (!table) {
    const branches = branchesOf(instance);
    const classes = catalogClasses(catalog, modality).filter((c) => branches.includes(c.branch));
    table = { classes, terms: termTable(classes, branches) };
    perCatalog.set(key, table);
  }
  return table;
}

/** The class a sentence names within one modality, by the official rules; undefined when none. */
export function matchClass(
  text: string,
  modality: Modality,
  options: Pick<ResolveOptions, 'instance' | 'catalog'> = {},
): TermMatch<ClassEntry> | undefined {
  return matchTerm(text, tableFor(options.catalog ?? loadCatalog(), modality, options.instance).terms);
}

/** The classes of a modality (and branch) the resolver searches. */
function searchableClasses(
  modality: Modality,
  options: Pick<ResolveOptions, 'instance' | 'catalog'> = {},
): ClassEntry[] {
  return tableFor(options.catalog ?? loadCatalog(), modality, options.instance).classes;
}

function sameWords(a: string, b: string): boolean {
  const wa = words(a).sort();
  const wb = words(b).sort();
  return wa.length === wb.length && wa.every((w, i) => w === wb[i]);
}

/** The canonical sentence of a class: its challenge sentence, else "<name> in <modality>". */
export function canonicalSentence(cls: ClassEntry): { sentence: string; source: 'catalog' | 'generated' } {
  if (cls.sentence) return { sentence: cls.sentence, source: 'catalog' };
  return { sentence: `${cls.name} in ${MODALITY_PHRASE[cls.modality]}`, source: 'generated' };
}

function quoteList(items: string[]): string {
  return items.map((s) => `'${s}'`).join(', ');
}

function unknownClass(
  prompt: Prompt,
  modality: Modality,
  why: string,
  options: Pick<ResolveOptions, 'instance' | 'catalog'>,
): UnknownClassError {
  const branchWord = options.instance === undefined ? '' : options.instance ? 'lesion ' : 'anatomy ';
  const suggestions = suggestClasses(prompt.text, searchableClasses(modality, options)).map((s) =>
    s.term === s.cls.name || s.term.toLowerCase() === s.cls.name.toLowerCase()
      ? s.cls.name
      : `${s.cls.name} (${s.term})`,
  );
  const elsewhere = MODALITIES.filter(
    (m) => m !== modality && matchClass(prompt.text, m, options) !== undefined,
  );
  let message = `prompt ${prompt.value} '${prompt.text}' names no ${branchWord}${modality} class (${modality} is ${why})`;
  message += suggestions.length > 0 ? `; did you mean ${quoteList(suggestions)}?` : '.';
  if (elsewhere.length > 0) message += ` It names a class of ${elsewhere.join(', ')}.`;
  message += ` See \`medals classes --modality ${modality}\`.`;
  return new UnknownClassError(message, {
    details: { value: prompt.value, prompt: prompt.text, modality, suggestions, otherModalities: elsewhere },
  });
}

/**
 * Resolve every prompt of a case, and decide the case modality (for prompts without a keyword,
 * intensity scaling and checks). The text encoder's one modality is decided from the resolved
 * prompts' modalities (modality.ts `textEncoderModality`).
 */
export function resolveCase(prompts: readonly Prompt[], options: ResolveOptions = {}): ResolvedCase {
  const catalog = options.catalog ?? loadCatalog();
  const scope = { instance: options.instance, catalog };
  const caseModality = decideCaseModality(
    prompts.map((p) => p.text),
    options,
  );
  const resolved = prompts.map((prompt): ResolvedPrompt => {
    const named = detectModality(prompt.text);
    const modality = named ? named.modality : caseModality.modality;
    const modalitySource: ModalitySource = named ? 'keyword' : caseModality.source;
    const match = matchClass(prompt.text, modality, scope);
    if (!match) {
      const why = named ? `named by '${named.keyword}' in the prompt` : DESCRIBE_SOURCE[caseModality.source];
      throw unknownClass(prompt, modality, why, scope);
    }
    const cls = match.cls;
    const bare = [cls.name, ...cls.synonyms].some((t) => sameWords(prompt.text, t));
    const sentence = bare ? canonicalSentence(cls) : { sentence: prompt.text, source: 'prompt' as const };
    return {
      value: prompt.value,
      text: prompt.text,
      classKey: cls.key,
      name: cls.name,
      modality,
      modalitySource,
      ...(named ? { keyword: named.keyword } : {}),
      branch: cls.branch,
      id: cls.id,
      matchedTerm: match.term,
      ...(match.side ? { side: match.side } : {}),
      sentence: sentence.sentence,
      sentenceSource: sentence.source,
      improved: cls.improved,
      ctWindow: cls.ctWindow,
    };
  });
  return { ...caseModality, prompts: resolved };
}

/**
 * Resolve prompts to catalog classes (see the module comment for the rules). Throws
 * UNKNOWN_CLASS, with the closest names, for a prompt that names no class of its modality.
 */
export function resolvePrompts(prompts: readonly Prompt[], options: ResolveOptions = {}): ResolvedPrompt[] {
  return resolveCase(prompts, options).prompts;
}
