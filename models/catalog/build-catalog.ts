/**
 * Builds models/catalog/catalog.json (and NOTICE) from the data files of the official Medal S
 * repository (class_mapping.json, variant_mapping.json, improved_classes.json and
 * CVPR25_TextSegFMData_with_class.json, all in one folder):
 *
 *   npm run build:ts && node dist/models/catalog/build-catalog.js /path/to/medal-s-data [OUT_DIR]
 *
 * OUT_DIR defaults to models/catalog in the checkout. The output is deterministic: the tests
 * check that the committed catalog is exactly what this produces whenever the data is present.
 *
 * Canonical sentence of a class: among the challenge datasets (file order) of the class's
 * modality and branch, the labels (ascending) whose name is the class name (case and `_`
 * ignored), the first sentence that names the class itself under the official rules in its
 * branch, and a class of that name with both branches searched. Classes without one get null.
 *
 * CT window group (`ctWindow`, ours: the Medal S data has no such fact): a CT class is in the
 * lung group when a word of its canonical name (lower-cased, split at spaces) is one of
 * CT_WINDOW_TERMS.lung, in the bone group when one is in CT_WINDOW_TERMS.bone, else in the
 * soft-tissue group; classes of the other modalities get null. The terms name the lungs and
 * their lobes, the airways and a lung-parenchyma infection (lung window: air, parenchyma and
 * airway walls apart), and the bones of the catalog (bone window); vessels, the heart and every
 * other organ stay soft tissue, as do "Pulmonary vein" (a vessel: "pulmonary" is not a term).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODALITIES, type Modality } from '../../functions/lib/case/case-request.js';
import { InvalidInputError } from '../../functions/lib/core/errors.js';
import { packageRoot } from '../../functions/lib/core/package-info.js';
import {
  BRANCHES,
  type Branch,
  CATALOG_FORMAT,
  type Catalog,
  type CatalogClass,
  parseCatalog,
} from '../../functions/lib/prompts/catalog.js';
import { type Term, matchTerm, termTable } from '../../functions/lib/prompts/match.js';
import { detectModality } from '../../functions/lib/prompts/modality.js';
import type { CtWindowGroup } from '../../functions/lib/medal-s/index.js';

const MEDAL_S_SOURCE = {
  name: 'Medal S',
  repository: 'https://github.com/yinghemedical/Medal-S',
  commit: 'fcf3340',
  license: 'Apache-2.0',
  files: [
    'text_preprocess/class_mapping.json',
    'text_preprocess/variant_mapping.json',
    'seg_postprocess/improved_classes.json',
    'data/challenge_data/CVPR25_TextSegFMData_with_class.json',
  ],
};

/** The words that put a CT class in the lung or the bone window group (see the module header). */
const CT_WINDOW_TERMS: Readonly<Record<Exclude<CtWindowGroup, 'soft-tissue'>, readonly string[]>> = {
  lung: ['lung', 'airway', 'airways', 'trachea', 'covid-19'],
  bone: ['vertebrae', 'sacrum', 'humerus', 'scapula', 'clavicula', 'femur', 'hip', 'skull'],
};

/** The CT window group of a class by the rule of the module header; null outside CT. */
export function ctWindowOf(modality: Modality, name: string): CtWindowGroup | null {
  if (modality !== 'CT') return null;
  const words = name.toLowerCase().split(/\s+/);
  if (words.some((w) => CT_WINDOW_TERMS.lung.includes(w))) return 'lung';
  if (words.some((w) => CT_WINDOW_TERMS.bone.includes(w))) return 'bone';
  return 'soft-tissue';
}

type ClassMapping = Record<string, Partial<Record<Branch, Record<string, number>>>>;
type VariantMapping = Record<string, string>;
type ImprovedClasses = Record<string, Partial<Record<Branch, Record<string, number>>>>;
/** dataset -> label value -> [class name, sentence, ...], plus instance_label 0 | 1. */
type ChallengeData = Record<string, Record<string, string[] | number>>;

interface MedalSData {
  classMapping: ClassMapping;
  variantMapping: VariantMapping;
  improvedClasses: ImprovedClasses;
  challenge: ChallengeData;
}

const DATA_FILES = {
  classMapping: 'class_mapping.json',
  variantMapping: 'variant_mapping.json',
  improvedClasses: 'improved_classes.json',
  challenge: 'CVPR25_TextSegFMData_with_class.json',
} as const;

/** Read the four Medal S data files from one folder. */
export function readMedalSData(dir: string): MedalSData {
  const read = (file: string): unknown => {
    const full = path.join(dir, file);
    try {
      return JSON.parse(readFileSync(full, 'utf8'));
    } catch (e) {
      throw new InvalidInputError(`cannot read Medal S data file ${full}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  };
  return {
    classMapping: read(DATA_FILES.classMapping) as ClassMapping,
    variantMapping: read(DATA_FILES.variantMapping) as VariantMapping,
    improvedClasses: read(DATA_FILES.improvedClasses) as ImprovedClasses,
    challenge: read(DATA_FILES.challenge) as ChallengeData,
  };
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
}

function classesOf(data: MedalSData, modality: Modality): CatalogClass[] {
  const byBranch = data.classMapping[modality];
  if (!byBranch) throw new InvalidInputError(`class_mapping.json has no modality ${modality}`);
  const classes: CatalogClass[] = [];
  for (const branch of BRANCHES) {
    const entries = Object.entries(byBranch[branch] ?? {}).sort((a, b) => a[1] - b[1]);
    entries.forEach(([name, id], i) => {
      if (id !== i + 1)
        throw new InvalidInputError(`${modality} ${branch} label ids are not 1..N at '${name}'`);
    });
    const names = new Set(entries.map(([name]) => name));
    const improved = new Set(Object.keys(data.improvedClasses[modality]?.[branch] ?? {}));
    for (const name of improved) {
      if (!names.has(name))
        throw new InvalidInputError(`improved class ${modality} ${branch} '${name}' is not in the catalog`);
    }
    const synonyms = new Map<string, string[]>(entries.map(([name]) => [name, []]));
    for (const [variant, target] of Object.entries(data.variantMapping)) {
      const list = synonyms.get(target);
      if (!list || variant === target) continue;
      // A variant spelled like another class of the branch would replace that class in the
      // official term table; nothing in the data does this, and the catalog could not say it.
      if (names.has(variant))
        throw new InvalidInputError(`variant '${variant}' of '${target}' is also a ${modality} class name`);
      list.push(variant);
    }
    for (const [name, id] of entries) {
      classes.push({
        name,
        branch,
        id,
        synonyms: synonyms.get(name)!,
        sentence: null,
        improved: improved.has(name),
        ctWindow: ctWindowOf(modality, name),
      });
    }
  }
  return classes;
}

function pickSentence(
  data: MedalSData,
  modality: Modality,
  cls: CatalogClass,
  inBranch: readonly Term[],
  inBoth: readonly Term[],
): string | null {
  const wanted = normalizeName(cls.name);
  for (const labels of Object.values(data.challenge)) {
    const instance = labels.instance_label === 1;
    if ((cls.branch === 'lesion') !== instance) continue;
    for (const [key, entry] of Object.entries(labels)) {
      if (key === 'instance_label' || !Array.isArray(entry) || entry.length < 2) continue;
      if (normalizeName(entry[0]) !== wanted) continue;
      for (const sentence of entry.slice(1)) {
        if (detectModality(sentence)?.modality !== modality) continue;
        const a = matchTerm(sentence, inBranch);
        const b = matchTerm(sentence, inBoth);
        if (a?.cls === cls && b?.cls.name === cls.name) return sentence;
      }
    }
  }
  return null;
}

/** The catalog, in the project's format, from the Medal S data. */
export function buildCatalog(data: MedalSData): Catalog {
  const modalities = {} as Record<Modality, CatalogClass[]>;
  const counts: Record<string, { anatomy: number; lesion: number }> = {};
  for (const modality of MODALITIES) {
    const classes = classesOf(data, modality);
    const inBoth = termTable(classes, BRANCHES);
    const perBranch = Object.fromEntries(BRANCHES.map((b) => [b, termTable(classes, [b])])) as Record<
      Branch,
      Term[]
    >;
    for (const cls of classes)
      cls.sentence = pickSentence(data, modality, cls, perBranch[cls.branch], inBoth);
    modalities[modality] = classes;
    counts[modality] = {
      anatomy: classes.filter((c) => c.branch === 'anatomy').length,
      lesion: classes.filter((c) => c.branch === 'lesion').length,
    };
  }
  return parseCatalog(
    { format: CATALOG_FORMAT, source: MEDAL_S_SOURCE, counts, modalities },
    'built catalog',
  );
}

export const NOTICE = `medals class catalog (models/catalog/catalog.json)

catalog.json holds facts derived from data files of Medal S:

  Medal S: text-prompted medical image segmentation
  https://github.com/yinghemedical/Medal-S, commit ${MEDAL_S_SOURCE.commit}
  Licensed under the Apache License, Version 2.0
  (http://www.apache.org/licenses/LICENSE-2.0)

namely the class names, their Medal S label ids and anatomy/lesion branches
(text_preprocess/class_mapping.json), the synonyms of each class
(text_preprocess/variant_mapping.json), the classes that get component-selection
post-processing (seg_postprocess/improved_classes.json), and one prompt sentence per class taken
from the CVPR 2025 BiomedSegFM challenge data descriptions shipped with Medal S
(data/challenge_data/CVPR25_TextSegFMData_with_class.json).

These facts were restructured into this project's own format by models/catalog/build-catalog.ts;
no Medal S code is included. The CT window group of each CT class (ctWindow) is medals' own,
derived from the class name by the rule in build-catalog.ts. The modality keywords and matching rules in functions/lib/prompts/
reimplement the behaviour of the official text preprocessing (text_preprocess/ and
inference.py of Medal S).
`;

async function formatJson(text: string, file: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, filepath: file });
  } catch {
    return text; // prettier is a dev dependency; without it the plain JSON is still valid
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Build from `dataDir` and write catalog.json and NOTICE into `outDir`. */
async function writeCatalog(
  dataDir: string,
  outDir: string = path.join(packageRoot(), 'models', 'catalog'),
): Promise<{ catalog: Catalog; files: string[] }> {
  const catalog = buildCatalog(readMedalSData(dataDir));
  const catalogFile = path.join(outDir, 'catalog.json');
  const noticeFile = path.join(outDir, 'NOTICE');
  writeAtomically(catalogFile, await formatJson(`${JSON.stringify(catalog, null, 2)}\n`, catalogFile));
  writeAtomically(noticeFile, NOTICE);
  return { catalog, files: [catalogFile, noticeFile] };
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;

if (invokedDirectly) {
  const [dataDir, outDir] = process.argv.slice(2);
  if (!dataDir) {
    process.stderr.write('usage: node dist/models/catalog/build-catalog.js MEDAL_S_DATA_DIR [OUT_DIR]\n');
    process.exit(2);
  }
  writeCatalog(dataDir, outDir).then(
    ({ catalog, files }) => {
      const summary = MODALITIES.map(
        (m) => `${m} ${catalog.counts[m].anatomy}+${catalog.counts[m].lesion}`,
      ).join(', ');
      process.stdout.write(`wrote ${files.join(' and ')} (${summary})\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
