import type { Command } from 'commander';
import { MODALITIES, type Modality } from '../../../lib/case/case-request.js';
import { NotFoundError } from '../../../lib/core/errors.js';
import { type ClassEntry, catalogClasses, loadCatalog } from '../../../lib/prompts/catalog.js';
import { matchClass } from '../../../lib/prompts/resolve.js';
import { suggestClasses } from '../../../lib/prompts/suggest.js';
import type { CliIo } from '../common/io.js';
import { parseChoice } from '../common/options.js';

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

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function alignTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const SHOWN_SYNONYMS = 3;

/** The matched synonyms, the first few of them and how many more. */
function synonymCell(synonyms: string[]): string {
  const shown = synonyms.slice(0, SHOWN_SYNONYMS).join(', ');
  const more = synonyms.length - SHOWN_SYNONYMS;
  return more > 0 ? `${shown} (+${more} more)` : shown;
}

export function registerClasses(program: Command, io: CliIo): void {
  program
    .command('classes')
    .description(
      'list the Medal S class catalog (243 classes): modality, anatomy or lesion branch, label id, name ' +
        'and synonyms; --search also looks through the synonyms (e.g. "hepatic" finds Liver)',
    )
    .option('--modality <M>', `only this modality: ${MODALITIES.join(', ')}`)
    .option('--search <text>', 'only classes whose name or a synonym contains TEXT, or that TEXT names')
    .action((opts: { modality?: string; search?: string }) => {
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
      io.stdout(`${alignTable(table)}\n${summary}\n`);
    });
}
