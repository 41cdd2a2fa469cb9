/**
 * How Medal S reads the `spacing` vector of a challenge npz, as a pure function that records what
 * it decided. Source: github.com/yinghemedical/Medal-S, inference.py at commit fcf3340:
 *
 *   - L843      reorder: per array axis (D, H, W) the spacing is (spacing[2], spacing[0],
 *               spacing[1]); the stored vector is read in (x, y, z) order with z = D, and
 *               spacing[0] goes to H, spacing[1] to W.
 *   - L845-847  tiny-spacing-1: an entry below 0.1 becomes 1.0 (done before the swap).
 *   - L49-59, L849  adjust_spacing swap heuristic: with i = argmin(array shape) (the axis with
 *               fewest voxels, first on ties) and j = argmax(spacing) (first on ties), if i != j
 *               and spacing[j] > 0.5, swap spacing[i] and spacing[j]: the thickest spacing is
 *               assumed to belong to the axis with fewest slices. Then cast to float32.
 *   - L852      model order: (H, W, D) = (spacing_dhw[1], spacing_dhw[2], spacing_dhw[0]); this is
 *               what read_npz_data gets (planSpacing's imageSpacing) and what Medal S writes back
 *               as `spacing` in its output npz (L1097).
 *
 * The challenge evaluator, by contrast, applies the stored vector to (D, H, W) as it is; metrics
 * follow the evaluator, the segmentation input follows Medal S.
 *
 * One deliberate difference: Medal S would also turn zero or negative entries into 1.0 (they are
 * below 0.1); this project refuses them (INVALID_INPUT), as every input check does.
 *
 * In ITK terms the npz array (D, H, W) is (z, y, x), so Medal S gives the stored "x" spacing to
 * the y axis and "y" to x. With the usual isotropic in-plane spacing it makes no difference; we
 * follow Medal S exactly.
 */
import { InvalidInputError } from '../core/errors.js';
import type { Vec3 } from '../geometry/volume.js';

const DHW = ['D', 'H', 'W'] as const;
export type ArrayAxis = (typeof DHW)[number];

export interface NpzSpacingDecision {
  /** Array axes (D, H, W order names) whose spacing was below 0.1 and became 1.0 (L845-847). */
  tinyReplaced: ArrayAxis[];
  /** adjust_spacing's comparison (L49-59). */
  minShapeAxis: ArrayAxis;
  maxSpacingAxis: ArrayAxis;
  swapped: boolean;
  /** The two array axes whose spacings were exchanged, when swapped. */
  swappedAxes: [ArrayAxis, ArrayAxis] | null;
  /** One sentence: why it swapped or not. */
  reason: string;
}

export interface NpzSpacing {
  /** The vector as stored in the npz. */
  stored: Vec3;
  /** Spacing per array axis in numpy order (D, H, W), float32 as Medal S holds it. */
  dhw: Vec3;
  /** The same in model order (H, W, D) = (y, x, z): planSpacing's imageSpacing. */
  hwd: Vec3;
  decision: NpzSpacingDecision;
}

/** First index of the minimum / maximum, like numpy's argmin / argmax. */
function argBest(v: readonly number[], better: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (better(v[i], v[best])) best = i;
  return best;
}

/**
 * Medal S's interpretation of a challenge npz `spacing` for an `imgs` array of shape (D, H, W).
 * Throws INVALID_INPUT for anything but three positive finite spacings and three positive
 * integer dimensions.
 */
export function readNpzSpacing(spacing: ArrayLike<number>, arrayShape: readonly number[]): NpzSpacing {
  const stored = Array.from(spacing ?? []);
  if (stored.length !== 3 || stored.some((s) => typeof s !== 'number' || !Number.isFinite(s) || s <= 0)) {
    throw new InvalidInputError(
      `npz spacing must be three positive finite numbers, got [${stored.join(', ')}]`,
    );
  }
  if (
    !Array.isArray(arrayShape) ||
    arrayShape.length !== 3 ||
    arrayShape.some((n) => !Number.isInteger(n) || n < 1)
  ) {
    throw new InvalidInputError(`npz imgs must be a 3D array (D, H, W), got shape (${String(arrayShape)})`);
  }
  // L843: (D, H, W) <- (spacing[2], spacing[0], spacing[1]).
  const dhw: number[] = [stored[2], stored[0], stored[1]];
  const tinyReplaced: ArrayAxis[] = [];
  for (let a = 0; a < 3; a++) {
    if (dhw[a] < 0.1) {
      dhw[a] = 1.0;
      tinyReplaced.push(DHW[a]);
    }
  }
  // adjust_spacing: numpy argmin / argmax return the first index on ties.
  const i = argBest(arrayShape, (a, b) => a < b);
  const j = argBest(dhw, (a, b) => a > b);
  const swapped = i !== j && dhw[j] > 0.5;
  let reason: string;
  if (swapped) {
    reason =
      `the largest spacing ${dhw[j]} mm (axis ${DHW[j]}) is above 0.5 but ${DHW[i]} has the fewest voxels ` +
      `(${arrayShape[i]}), so their spacings are swapped`;
    [dhw[i], dhw[j]] = [dhw[j], dhw[i]];
  } else if (i === j) {
    reason = `axis ${DHW[i]} has both the fewest voxels and the largest spacing: no swap`;
  } else {
    reason = `the largest spacing ${dhw[j]} mm is not above 0.5: no swap`;
  }
  const f = dhw.map(Math.fround) as Vec3;
  return {
    stored: stored as Vec3,
    dhw: f,
    hwd: [f[1], f[2], f[0]],
    decision: {
      tinyReplaced,
      minShapeAxis: DHW[i],
      maxSpacingAxis: DHW[j],
      swapped,
      swappedAxes: swapped ? [DHW[i], DHW[j]] : null,
      reason,
    },
  };
}
