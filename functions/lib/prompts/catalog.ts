/**
 * The Medal S class catalog: 243 classes over five modalities, each in the anatomy (semantic) or
 * lesion (instance) branch, with its Medal S label id, synonyms and a canonical prompt sentence.
 * The data lives in models/catalog/catalog.json (built by models/catalog/build-catalog.ts from
 * the official Medal S data files; see models/catalog/NOTICE), plus one field of ours: the CT
 * window group of each CT class.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MODALITIES, type Modality } from '../case/modalities.js';
import { MedalsError } from '../core/errors.js';
import { packageRoot } from '../core/package-info.js';
import { CT_WINDOW_GROUPS } from '../medal-s/ct-windows.js';

export const BRANCHES = ['anatomy', 'lesion'] as const;
/** `anatomy`: semantic task (instance_label 0); `lesion`: instance task (instance_label 1). */
export type Branch = (typeof BRANCHES)[number];

export const CATALOG_FORMAT = 'medals-class-catalog/1';

const classSchema = z.strictObject({
  /** Canonical Medal S class name, exactly as the official code spells it. */
  name: z.string().min(1),
  branch: z.enum(BRANCHES),
  /** Medal S label id of the class within its modality and branch (1-based). */
  id: z.number().int().positive(),
  /** Variant terms mapped to this class (official variant mapping), in the official order. */
  synonyms: z.array(z.string().min(1)),
  /** A prompt sentence of the challenge data for this class, or null when there is none. */
  sentence: z.string().min(1).nullable(),
  /** In the official list of semantic classes that get component-selection post-processing. */
  improved: z.boolean(),
  /**
   * CT classes: the tissue group whose window a raw CT gets for this class (lib/medal-s
   * ct-windows.ts); null for the other modalities. Ours, not Medal S's: build-catalog.ts
   * derives it from the class name by a documented rule.
   */
  ctWindow: z.enum(CT_WINDOW_GROUPS).nullable(),
});

const catalogSchema = z.strictObject({
  format: z.literal(CATALOG_FORMAT),
  source: z.strictObject({
    name: z.string(),
    repository: z.string(),
    commit: z.string(),
    license: z.string(),
    files: z.array(z.string()),
  }),
  counts: z.record(z.string(), z.strictObject({ anatomy: z.number(), lesion: z.number() })),
  modalities: z.strictObject(
    Object.fromEntries(MODALITIES.map((m) => [m, z.array(classSchema)])) as Record<
      Modality,
      z.ZodArray<typeof classSchema>
    >,
  ),
});

export type CatalogClass = z.infer<typeof classSchema>;
export type Catalog = z.infer<typeof catalogSchema>;

/** A catalog class together with its modality. */
export interface ClassEntry extends CatalogClass {
  modality: Modality;
  /** `<Modality>_<canonical name>`, the key Medal S uses for class-specific rules. */
  key: string;
}

function classKey(modality: Modality, name: string): string {
  return `${modality}_${name}`;
}

/** The catalog file inside the package (works from source and from compiled dist/). */
export function catalogPath(): string {
  return path.join(packageRoot(), 'models', 'catalog', 'catalog.json');
}

/** Check a parsed catalog; throws INTERNAL naming the first problem. */
export function parseCatalog(input: unknown, where = 'catalog'): Catalog {
  const result = catalogSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MedalsError('INTERNAL', `${where} is malformed at '${issue.path.join('.')}': ${issue.message}`);
  }
  return result.data;
}

let cached: Catalog | undefined;

/** The packaged catalog, read and checked once. */
export function loadCatalog(): Catalog {
  if (cached) return cached;
  const file = catalogPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MedalsError('INTERNAL', `cannot read the class catalog ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MedalsError('INTERNAL', `the class catalog ${file} is not valid JSON`, { cause: e });
  }
  return (cached = parseCatalog(json, file));
}

/** Every class of one modality (or of all), anatomy first, each in label-id order. */
export function catalogClasses(catalog: Catalog, modality?: Modality): ClassEntry[] {
  const modalities = modality ? [modality] : MODALITIES;
  return modalities.flatMap((m) =>
    catalog.modalities[m].map((c) => ({ ...c, modality: m, key: classKey(m, c.name) })),
  );
}
