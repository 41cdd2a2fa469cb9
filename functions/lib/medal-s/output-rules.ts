/**
 * What Medal S does to the final label map on the input grid (inference.py at commit fcf3340,
 * L1077-1097, and seg_postprocess/semantic_seg_postprocess.py; read, not copied): instance
 * tasks lose their small components and come out binary; the improved classes of semantic tasks
 * keep components chosen by size and probability, on volumes under a voxel limit only. The
 * restore step (functions/steps/restore/postprocess.ts) applies these.
 *
 * The `source` strings below are copied into segment.json's postprocess record.
 */

/** Components of an instance output smaller than this are dropped (L1077-1079). */
export const MIN_INSTANCE_VOXELS = 10;

/**
 * Connectivity of every component rule on the output: scipy `label`'s default (L67-73) and the
 * cc3d calls of the improved-classes rule (semantic_seg_postprocess.py L141).
 */
export const OUTPUT_CONNECTIVITY = 6;

/**
 * Instance output: the official remove_small_objects_binary returns `labeled_array > 0` and main()
 * writes it as int16 (inference.py L67-73, L1077-1079), so every kept voxel is 1.
 */
export const INSTANCE_OUTPUT = { value: 1, source: 'inference.py L67-73, L1077-1079' } as const;

/**
 * When the improved-classes rule runs: only on a final label map (the input grid) of fewer than
 * 650 x 650 x 100 voxels. Medal S's main() tests `x * y * z < 650 * 650 * 100` on the shape of
 * the output array (inference.py L1081-1084), so larger volumes keep every component.
 */
export const IMPROVED_CLASSES_LIMIT = {
  maxVoxelsExclusive: 650 * 650 * 100,
  source: 'inference.py L1081-1084',
} as const;

/** Whether the improved-classes rule runs on a label map of this size (IMPROVED_CLASSES_LIMIT). */
export function improvedClassesApply(size: readonly [number, number, number]): boolean {
  return size[0] * size[1] * size[2] < IMPROVED_CLASSES_LIMIT.maxVoxelsExclusive;
}

/**
 * The improved-classes rule's parameters (remove_all_but_prob_or_size_component_cc3d,
 * semantic_seg_postprocess.py L43-116, called with prob_threshold 0.1 at L141): of the
 * `candidates` largest components (L69-70) keep all whose mean max-probability is within
 * `tolerance` of the best and above `minProbability` (L86-89) when at least 2 qualify, else the
 * most probable if it is among the `shortlist` largest (L99-105), else the largest. Which classes:
 * the catalog's `improved` flag (classes.ts). The native addon has the same defaults; the
 * restore step passes these explicitly so that the policy, not the addon, decides.
 */
export const IMPROVED_CLASSES_RULE = {
  candidates: 3,
  shortlist: 2,
  tolerance: 0.1,
  minProbability: 0.86,
} as const;
