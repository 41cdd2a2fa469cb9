/**
 * Modality from a prompt sentence, the way Medal S reads it: the first modality, in the order
 * Microscopy, PET, US, MRI, CT, one of whose keywords occurs in the sentence as a case-sensitive
 * substring (so "EM" or "US" inside any upper-case word count, "pelvic" means MRI even in
 * "pelvic CT", and "PET/CT" is PET). The keyword lists are the ones the official inference uses.
 */
import type { Modality } from '../case/case-request.js';

export const MODALITY_KEYWORDS: ReadonlyArray<readonly [Modality, readonly string[]]> = [
  [
    'Microscopy',
    [
      'microscopy',
      'microscope',
      'Microscope',
      'Microscopy',
      'microscopic',
      'Microscopic',
      'microscopical',
      'Microscopical',
      'ultrastructural',
      'Ultrastructural',
      'ultrastructure',
      'Ultrastructure',
      'EM',
      'light sheet',
      'Light sheet',
    ],
  ],
  ['PET', ['PET', 'positron emission tomography']],
  [
    'US',
    [
      'US',
      'ultrasound',
      'Ultrasound',
      'Echocardiography',
      'echocardiography',
      'Echocardiographic',
      'echocardiographic',
      'ultrasonic',
      'Ultrasonic',
    ],
  ],
  [
    'MRI',
    [
      'MR',
      'MRI',
      'magnetic resonance',
      'Magnetic resonance',
      'Magnetic Resonance',
      'diffusion',
      'Diffusion',
      'DWI',
      'ADC',
      'pelvic',
      'FLAIR',
    ],
  ],
  [
    'CT',
    [
      'CT',
      'computed tomography',
      'Computed tomography',
      'Computed Tomography',
      'tomographic',
      'Tomographic',
      'cross-sectional',
    ],
  ],
];

/** The modality a sentence names, with the keyword that decided it; undefined when none does. */
export function detectModality(sentence: string): { modality: Modality; keyword: string } | undefined {
  for (const [modality, keywords] of MODALITY_KEYWORDS) {
    const keyword = keywords.find((k) => sentence.includes(k));
    if (keyword !== undefined) return { modality, keyword };
  }
  return undefined;
}

/** The most frequent modality; ties go to the one seen first (Python's Counter.most_common). */
export function mostFrequentModality(modalities: readonly Modality[]): Modality | undefined {
  const counts = new Map<Modality, number>();
  for (const m of modalities) counts.set(m, (counts.get(m) ?? 0) + 1);
  let best: Modality | undefined;
  let bestCount = 0;
  for (const [m, n] of counts) {
    if (n > bestCount) {
      best = m;
      bestCount = n;
    }
  }
  return best;
}

/**
 * The one modality the text encoder gets for a whole case, as Medal S's main() decides it: the
 * most frequent of the prompts' modalities, ties to the one seen first, CT for none
 * (get_most_frequent, inference.py L61-65, L827-840). It becomes a single modality code that
 * is added to every query (L614-624, model/knowledge_encoder.py L21-24), whatever each prompt's
 * own modality; the class key `<Modality>_<class>` stays per prompt (L836). `modalities` are the
 * prompts' own modalities in prompt order: the keyword's, or for a prompt without one the case
 * modality it was resolved in (resolve.ts; the official code has no such prompts).
 */
export function textEncoderModality(modalities: readonly Modality[]): Modality {
  return mostFrequentModality(modalities) ?? 'CT';
}

/** A short word naming the modality in a generated sentence; each contains one of its keywords. */
export const MODALITY_PHRASE: Record<Modality, string> = {
  CT: 'CT',
  MRI: 'MRI',
  PET: 'PET',
  US: 'ultrasound',
  Microscopy: 'microscopy',
};
