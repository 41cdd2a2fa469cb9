/**
 * Segmentation metrics identical to the CVPR 2025 BiomedSegFM challenge evaluator
 * (github.com/JunMa11/CVPR-MedSegFMCompetition: CVPR25_text_eval.py, SurfaceDice.py), computed
 * with the native addon (surface distances, connected components) and plain TypeScript.
 *
 * - Semantic tasks: semanticMetrics -> per prompted class present in the ground truth, DSC and
 *   NSD at 2 mm (surfel areas, DeepMind's method), case scores as nan-means.
 * - Instance tasks: instanceMetrics -> F1 at IoU >= 0.5 after Hungarian matching, DSC TP.
 * - dice, linearSumAssignment, surfelAreas for direct use.
 *
 * Axes and spacing. A Volume is x fastest (index x + X * (y + Y * z)); the same bytes are a
 * C-order numpy array of shape (Z, Y, X). A challenge npz holds arrays of shape (D, H, W) and
 * the evaluator applies `spacing` to those axes in order: spacing[0] to D, [1] to H, [2] to W.
 * The npz array is therefore a Volume of size [W, H, D] whose spacing is
 * [spacing[2], spacing[1], spacing[0]] (evaluatorSpacing below); with that spacing the NSD equals
 * the evaluator's. (Medal S's own reading of the npz spacing for resampling differs; see
 * functions/lib/medal-s/npz-spacing.ts. For scoring, the evaluator's literal mapping applies.)
 *
 * Values. The evaluator casts ground truth and prediction to uint8 before scoring; both metric
 * functions do the same by default (castToUint8: true), so labels above 255 wrap as they do there.
 */
import type { Vec3 } from '../geometry/volume.js';
import { InvalidInputError } from '../core/errors.js';

export { dice, semanticMetrics } from './semantic.js';
export type { SemanticMetrics } from './semantic.js';
export { instanceMetrics } from './instance.js';
export type { InstanceMetrics } from './instance.js';
export { linearSumAssignment } from './hungarian.js';
export { surfelAreas } from './surfel-table.js';
export { nanMean, relabelSequential } from './inputs.js';

/**
 * The Volume spacing [sx, sy, sz] of a challenge npz array (D, H, W) whose `spacing` the
 * evaluator applies to (D, H, W): [spacing[2], spacing[1], spacing[0]].
 */
export function evaluatorSpacing(npzSpacing: ArrayLike<number>): Vec3 {
  const s = Array.from(npzSpacing);
  if (s.length !== 3 || s.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new InvalidInputError(`npz spacing must be three positive numbers, got [${s.join(', ')}]`);
  }
  return [s[2], s[1], s[0]];
}
