/**
 * Every class list the official Medal S inference consults, in one place, each with the line it
 * comes from (github.com/yinghemedical/Medal-S, inference.py at commit fcf3340; read, not
 * copied). Keys are `<Modality>_<canonical name>` (inference.py L833-836), and a list applies
 * when any prompted key is on it (`any(c in class_name_list for c in list)`).
 *
 * Not here: the improved-classes list (seg_postprocess/improved_classes.json, read at
 * L868-883). It is the catalog's `improved` flag (models/catalog/build-catalog.ts, from the
 * same file), carried by each resolved prompt, because the catalog already joins every class
 * with its official data files.
 */

/** read_npz_data's 1.6x squeeze list (L385). */
export const SQUEEZE_1_6_CLASSES = [
  'US_Thyroid',
  'US_Jugular vein',
  'US_Carotid artery',
  'CT_Airway Tree',
  'CT_Airways',
] as const;

/** main's copy of the 1.6x list, used only to size the stage-2 ROI (L972): no CT_Airways. */
export const ROI_SQUEEZE_1_6_CLASSES = [
  'US_Thyroid',
  'US_Jugular vein',
  'US_Carotid artery',
  'CT_Airway Tree',
] as const;

/** The 1.2x squeeze list (L386, main's copy L973). */
export const SQUEEZE_1_2_CLASSES = ['US_Brain tumor'] as const;

/** Classes planned at spacing 1.0 whatever the header says (L387, main's copy L971). */
export const SPACING_1_CLASSES = ['Microscopy_Endolysosomes', 'Microscopy_Mitochondria'] as const;

/** Classes that descend by 1.45 (stage 1) or 1.35 (stage 2) instead of 1.2 (L388, main's copy L970). */
export const PET_DESCEND_CLASSES = ['PET_Lesion'] as const;

/** Classes whose stage-2 spacing grows by 1.1 (L458, main's L1011). */
export const ENDOLYSOSOME_CLASSES = ['Microscopy_Endolysosomes'] as const;

/** No extra self-refinement round in either stage (L392). */
export const NO_ITERATION_CLASSES = [
  'CT_Airway Tree',
  'CT_Aortic vessel trees',
  'PET_Lesion',
  'MRI_Spinal canal',
] as const;

/** No extra self-refinement round in stage 2 (L391); stage 1's own list (L390) is empty. */
export const STAGE2_NO_ITERATION_CLASSES = ['MRI_Vertebrae'] as const;

/** Stage 1 only: its output is final (L858, L861-863). */
export const STAGE1_ONLY_CLASSES = [
  'US_Soleus',
  'US_Gastrocnemius Medialis',
  'US_Gastrocnemius Lateralis',
] as const;

/** Stage 2 only, on the whole image (L859, L864-866). */
export const STAGE2_ONLY_CLASSES = ['Microscopy_Synaptic clefts'] as const;

/** The stage-2 ROI grows by 1.5 instead of 1.1 (L948); the 1.2 list (L949) is empty. */
export const ROI_GROWTH_1_5_CLASSES = ['CT_Airway Tree'] as const;
export const ROI_GROWTH_1_2_CLASSES = [] as const;

/** Whether any of `classKeys` is on `list`, as the official `any(c in keys for c in list)`. */
export function anyListed(classKeys: readonly string[], list: readonly string[]): boolean {
  return list.some((c) => classKeys.includes(c));
}
