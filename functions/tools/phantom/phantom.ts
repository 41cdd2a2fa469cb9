/**
 * Synthetic abdominal phantoms: an image, its ground-truth labels and liver lesions (an
 * instance task), with deliberately awkward geometry (anisotropic spacing, non-zero origin,
 * oblique direction) so that any step that loses geometry shows it. Same options, same voxels.
 */
import { InvalidInputError } from '../../lib/core/errors.js';
import { SeededRandom } from '../../lib/core/random.js';
import { type Geometry, type Mat3, type Vec3, Volume, voxelCount } from '../../lib/geometry/volume.js';
import { type Anatomy, type Blob, LABELS, PROMPTS, buildAnatomy } from './anatomy.js';

export type PhantomModality = 'CT' | 'MRI';

export interface PhantomOptions {
  seed?: number;
  modality?: PhantomModality;
  size?: Vec3;
  spacing?: Vec3;
  origin?: Vec3;
  direction?: Mat3;
}

export interface Phantom {
  image: Volume<'int16'>;
  labels: Volume<'uint8'>;
  lesions: Volume<'uint8'>;
  lesionCount: number;
  modality: PhantomModality;
  /** Label value -> catalog class name. */
  prompts: Record<string, string>;
}

export const PHANTOM_DEFAULTS = {
  seed: 0,
  modality: 'CT' as PhantomModality,
  size: [128, 128, 48] as Vec3,
  spacing: [0.8, 0.8, 2.5] as Vec3,
  origin: [-47.3, -31.6, 82.5] as Vec3,
  direction: obliqueDirection(20, 8),
};

/** The largest phantom we agree to build, to keep a typo from eating the machine's memory. */
const MAX_PHANTOM_VOXELS = 128e6;

/** Rz(a) * Rx(b), angles in degrees: oblique, so no flip or axis permutation can pass for it. */
export function obliqueDirection(aDeg: number, bDeg: number): Mat3 {
  const a = (aDeg * Math.PI) / 180;
  const b = (bDeg * Math.PI) / 180;
  const [ca, sa, cb, sb] = [Math.cos(a), Math.sin(a), Math.cos(b), Math.sin(b)];
  return [ca, -sa * cb, sa * sb, sa, ca * cb, -ca * sb, 0, sb, cb];
}

/**
 * Mean and noise of each tissue, in HU for CT and arbitrary units for MRI. The CT organs sit
 * 40 HU apart and inside the default soft-tissue window (level 40, width 400), so each is
 * separable by intensity after scaling to 0..255.
 */
const TISSUE = {
  CT: {
    air: -1000,
    fat: -100,
    soft: 20,
    liver: 60,
    spleen: 100,
    leftKidney: 140,
    rightKidney: 180,
    aorta: 220,
    lesion: 10,
    noise: 12,
  },
  MRI: {
    air: 0,
    fat: 640,
    soft: 260,
    liver: 520,
    spleen: 180,
    leftKidney: 300,
    rightKidney: 410,
    aorta: 780,
    lesion: 140,
    noise: 14,
  },
} as const;

const ORGAN_TISSUE: Record<number, keyof (typeof TISSUE)['CT']> = {
  [LABELS.liver]: 'liver',
  [LABELS.spleen]: 'spleen',
  [LABELS.leftKidney]: 'leftKidney',
  [LABELS.rightKidney]: 'rightKidney',
  [LABELS.aorta]: 'aorta',
};

function checkOptions(size: Vec3, spacing: Vec3): void {
  if (size.length !== 3 || size.some((v) => !Number.isInteger(v) || v < 8)) {
    throw new InvalidInputError(`phantom size must be three integers of at least 8, got ${size.join(',')}`);
  }
  if (spacing.length !== 3 || spacing.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new InvalidInputError(`phantom spacing must be three positive numbers, got ${spacing.join(',')}`);
  }
  if (voxelCount(size) > MAX_PHANTOM_VOXELS) {
    throw new InvalidInputError(
      `phantom size ${size.join('x')} is over the limit of ${MAX_PHANTOM_VOXELS} voxels`,
    );
  }
}

interface Sphere {
  center: Vec3; // body coordinates
  radiusMm: number;
}

/** Lesions inside the liver, apart from each other and from the liver surface. */
function placeLesions(rng: SeededRandom, liver: Blob, mmPerUnit: Vec3): Sphere[] {
  const wanted = rng.int(5, 15);
  const lesions: Sphere[] = [];
  const toMm = (d: Vec3) => Math.hypot(d[0] * mmPerUnit[0], d[1] * mmPerUnit[1], d[2] * mmPerUnit[2]);
  for (let attempt = 0; attempt < 5000 && lesions.length < wanted; attempt++) {
    const c: Vec3 = [0, 1, 2].map((a) => liver.center[a] + rng.uniform(-0.8, 0.8) * liver.radii[a]) as Vec3;
    const radiusMm = rng.uniform(2.5, 5);
    // The lesion and a margin must sit inside the liver: probe its extreme points.
    const margin = radiusMm + 3;
    const probes: Vec3[] = [
      [0, 0, 0],
      [1, 0, 0],
      [-1, 0, 0],
      [0, 1, 0],
      [0, -1, 0],
      [0, 0, 1],
      [0, 0, -1],
    ];
    const inside = probes.every((o) => {
      const p: Vec3 = [0, 1, 2].map((a) => c[a] + (o[a] * margin) / mmPerUnit[a]) as Vec3;
      return liver.level(p) < 0.95;
    });
    if (!inside) continue;
    const apart = lesions.every(
      (l) => toMm([c[0] - l.center[0], c[1] - l.center[1], c[2] - l.center[2]]) > l.radiusMm + radiusMm + 4,
    );
    if (apart) lesions.push({ center: c, radiusMm });
  }
  return lesions;
}

export function generatePhantom(options: PhantomOptions = {}): Phantom {
  const seed = options.seed ?? PHANTOM_DEFAULTS.seed;
  const modality = options.modality ?? PHANTOM_DEFAULTS.modality;
  const size = options.size ?? PHANTOM_DEFAULTS.size;
  const spacing = options.spacing ?? PHANTOM_DEFAULTS.spacing;
  checkOptions(size, spacing);
  const geometry: Geometry = {
    size,
    spacing,
    origin: options.origin ?? PHANTOM_DEFAULTS.origin,
    direction: options.direction ?? PHANTOM_DEFAULTS.direction,
  };
  const rng = new SeededRandom(seed);
  const anatomy: Anatomy = buildAnatomy(rng);

  const extent: Vec3 = [size[0] * spacing[0], size[1] * spacing[1], size[2] * spacing[2]];
  const inPlaneHalf = Math.min(extent[0], extent[1]) / 2;
  const mmPerUnit: Vec3 = [inPlaneHalf, inPlaneHalf, extent[2] / 2];
  const lesionSpheres = placeLesions(rng, anatomy.liver, mmPerUnit);

  const labels = Volume.zeros('uint8', geometry);
  const lesions = Volume.zeros('uint8', geometry);
  const image = Volume.zeros('int16', geometry);
  const tissue = TISSUE[modality];
  const [X, Y, Z] = size;
  const p: Vec3 = [0, 0, 0];
  let n = 0;
  for (let k = 0; k < Z; k++) {
    p[2] = ((k + 0.5) * spacing[2] - extent[2] / 2) / mmPerUnit[2];
    for (let j = 0; j < Y; j++) {
      p[1] = ((j + 0.5) * spacing[1] - extent[1] / 2) / mmPerUnit[1];
      for (let i = 0; i < X; i++, n++) {
        p[0] = ((i + 0.5) * spacing[0] - extent[0] / 2) / mmPerUnit[0];
        const body = anatomy.bodyLevel(p);
        let mean: number = tissue.air;
        if (body <= 1) {
          labels.data[n] = LABELS.body;
          mean = body > 0.9 ? tissue.fat : tissue.soft;
          for (const organ of anatomy.organs) {
            if (organ.level(p) <= 1) {
              labels.data[n] = organ.label;
              mean = tissue[ORGAN_TISSUE[organ.label]];
            }
          }
          if (labels.data[n] === LABELS.liver) {
            for (let l = 0; l < lesionSpheres.length; l++) {
              const s = lesionSpheres[l];
              const d = Math.hypot(
                (p[0] - s.center[0]) * mmPerUnit[0],
                (p[1] - s.center[1]) * mmPerUnit[1],
                (p[2] - s.center[2]) * mmPerUnit[2],
              );
              if (d <= s.radiusMm) {
                lesions.data[n] = l + 1;
                mean = tissue.lesion;
              }
            }
          }
        }
        image.data[n] = noisyValue(mean, tissue.noise, modality, p, rng);
      }
    }
  }
  const lesionCount = ensureEveryLesionVisible(
    lesions,
    labels,
    image,
    lesionSpheres,
    mmPerUnit,
    tissue.lesion,
  );
  return { image, labels, lesions, lesionCount, modality, prompts: { ...PROMPTS } };
}

function noisyValue(
  mean: number,
  sigma: number,
  modality: PhantomModality,
  p: Vec3,
  rng: SeededRandom,
): number {
  if (modality === 'CT') return Math.round(mean + sigma * rng.normal());
  // MRI: a smooth multiplicative bias field, and magnitude (Rician) noise that keeps air >= 0.
  const bias = 1 + 0.12 * Math.sin(1.7 * p[0] + 0.4) * Math.cos(1.1 * p[1] - 0.3) + 0.05 * p[2];
  const re = mean * bias + sigma * rng.normal();
  const im = sigma * rng.normal();
  return Math.round(Math.hypot(re, im));
}

/**
 * On a coarse grid a small sphere can miss every voxel centre; mark the voxel nearest its centre
 * so that each placed lesion exists in the ground truth. Returns the lesion count.
 */
function ensureEveryLesionVisible(
  lesions: Volume<'uint8'>,
  labels: Volume<'uint8'>,
  image: Volume<'int16'>,
  spheres: Sphere[],
  mmPerUnit: Vec3,
  lesionValue: number,
): number {
  const present = new Set<number>();
  for (const v of lesions.data) if (v) present.add(v);
  const [X, Y, Z] = lesions.size;
  const extent: Vec3 = [0, 1, 2].map((a) => lesions.size[a] * lesions.spacing[a]) as Vec3;
  spheres.forEach((s, l) => {
    if (present.has(l + 1)) return;
    const idx = [0, 1, 2].map((a) => (s.center[a] * mmPerUnit[a] + extent[a] / 2) / lesions.spacing[a] - 0.5);
    const [i, j, k] = [
      Math.min(X - 1, Math.max(0, Math.round(idx[0]))),
      Math.min(Y - 1, Math.max(0, Math.round(idx[1]))),
      Math.min(Z - 1, Math.max(0, Math.round(idx[2]))),
    ];
    if (labels.get(i, j, k) !== LABELS.liver) return;
    lesions.set(i, j, k, l + 1);
    image.set(i, j, k, lesionValue);
  });
  const ids = [...new Set(Array.from(lesions.data).filter((v) => v !== 0))].sort((a, b) => a - b);
  // Renumber 1..K in case a lesion could not be placed on this grid at all.
  const remap = new Map(ids.map((v, i) => [v, i + 1]));
  for (let n = 0; n < lesions.data.length; n++)
    if (lesions.data[n]) lesions.data[n] = remap.get(lesions.data[n])!;
  return ids.length;
}
