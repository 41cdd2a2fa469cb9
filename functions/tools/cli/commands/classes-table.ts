/** What `medals classes` prints: the catalog, filtered by modality and a search. */
import { MODALITIES, type Modality } from '../../../lib/case/modalities.js';
import { NotFoundError } from '../../../lib/core/errors.js';
import { type ClassEntry, catalogClasses, loadCatalog } from '../../../lib/prompts/catalog.js';
import { matchClass } from '../../../lib/prompts/resolve.js';
import { suggestClasses } from '../../../lib/prompts/suggest.js';
import { parseChoice } from '../common/options.js';
import { alignTable } from '../common/table.js';

export interface ClassesOptions {
  modality?: string;
  search?: string;
}

interface Row {
  cls: ClassEntry;
  /** Synonyms that matched the search; empty when the name matched or there was no search. */
  matchedSynonyms: string[];
}

/** Classes whose name or a synonym contains the text, or that the text names by the resolver's rules. */
function searchClasses(text: string, classes: readonly ClassEntry[]): Row[] {
  const needle = text.trim().toLowerCase();
  const resolved = new Set(
    MODALITIES.map((m) => matchClass(text, m)?.cls.key).filter((k): k is string => k !== undefined),
  );
  const rows: Row[] = [];
  for (const cls of classes) {
    const nameHit = needle !== '' && cls.name.toLowerCase().includes(needle);
    const matchedSynonyms = needle === '' ? [] : cls.synonyms.filter((s) => s.toLowerCase().includes(needle));
    if (nameHit || matchedSynonyms.length > 0 || resolved.has(cls.key)) {
      rows.push({ cls, matchedSynonyms: nameHit ? [] : matchedSynonyms });
    }
  }
  return rows;
}

const SHOWN_SYNONYMS = 3;

/** The matched synonyms, the first few of them and how many more. */
function synonymCell(synonyms: string[]): string {
  const shown = synonyms.slice(0, SHOWN_SYNONYMS).join(', ');
  const more = synonyms.length - SHOWN_SYNONYMS;
  return more > 0 ? `${shown} (+${more} more)` : shown;
}

/** The `classes` command's output: the table and a summary line (NOT_FOUND when nothing matches). */
export function classesTable(opts: ClassesOptions): string {
  const modality: Modality | undefined =
    opts.modality === undefined ? undefined : parseChoice('--modality', opts.modality, MODALITIES);
  const classes = catalogClasses(loadCatalog(), modality);
  const scope = modality ? `${modality} ` : '';
  let rows: Row[];
  if (opts.search === undefined) {
    rows = classes.map((cls) => ({ cls, matchedSynonyms: [] }));
  } else {
    rows = searchClasses(opts.search, classes);
    if (rows.length === 0) {
      const closest = suggestClasses(opts.search, classes).map((s) =>
        s.term === s.cls.name
          ? `'${s.cls.name}' (${s.cls.modality})`
          : `'${s.cls.name}' (${s.cls.modality}, ${s.term})`,
      );
      throw new NotFoundError(
        `no ${scope}class matches '${opts.search}'` +
          (closest.length > 0 ? `; did you mean ${closest.join(', ')}?` : ''),
      );
    }
  }
  const table = [
    ['MODALITY', 'BRANCH', 'ID', 'NAME', 'SYNONYMS'],
    ...rows.map(({ cls, matchedSynonyms }) => [
      cls.modality,
      cls.branch,
      String(cls.id),
      cls.name,
      matchedSynonyms.length > 0 ? synonymCell(matchedSynonyms) : String(cls.synonyms.length),
    ]),
  ];
  const summary =
    opts.search === undefined
      ? `${rows.length} ${scope}classes`
      : `${rows.length} of ${classes.length} ${scope}classes match '${opts.search}'`;
  return `${alignTable(table)}\n${summary}\n`;
}
