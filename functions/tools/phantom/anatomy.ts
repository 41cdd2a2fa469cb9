/**
 * The phantom's anatomy: smooth, slightly irregular blobs placed roughly where the organs sit in
 * an abdomen. Shapes live in "body coordinates": x and y scaled by half the smaller in-plane
 * extent and z by half the axial extent, centred on the field of view, so a phantom of any size
 * or spacing holds the whole anatomy and in-plane cross-sections stay round.
 *
 * Index axis x points to the patient's left and y to the back (LPS), so the liver and the right
 * kidney are at negative x.
 */
import type { SeededRandom } from '../../lib/core/random.js';
import type { Vec3 } from '../../lib/geometry/volume.js';

export const LABELS = { liver: 1, spleen: 2, leftKidney: 3, rightKidney: 4, aorta: 5, body: 6 } as const;

/** Catalog class names (CT and MRI) for the label values; `body` has no Medal S class. */
export const PROMPTS: Record<string, string> = {
  '1': 'Liver',
  '2': 'Spleen',
  '3': 'Left kidney',
  '4': 'Right kidney',
  '5': 'Aorta',
};

interface Wave {
  axis: Vec3;
  amplitude: number;
  phase: number;
}

/** An ellipsoid whose radius is modulated by a few smooth waves over the direction sphere. */
export class Blob {
  readonly label: number;
  readonly center: Vec3;
  readonly radii: Vec3;
  private readonly waves: Wave[];

  constructor(label: number, center: Vec3, radii: Vec3, rng: SeededRandom, roughness = 0.08) {
    this.label = label;
    this.center = center;
    this.radii = radii;
    this.waves = Array.from({ length: 3 }, () => ({
      axis: [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-3, 3)] as Vec3,
      amplitude: rng.uniform(0.3, 1) * roughness,
      phase: rng.uniform(0, 2 * Math.PI),
    }));
  }

  /** < 1 inside, 1 on the surface, > 1 outside. */
  level(p: Vec3): number {
    const d: Vec3 = [
      (p[0] - this.center[0]) / this.radii[0],
      (p[1] - this.center[1]) / this.radii[1],
      (p[2] - this.center[2]) / this.radii[2],
    ];
    const r = Math.hypot(d[0], d[1], d[2]);
    if (r === 0) return 0;
    let factor = 1;
    for (const w of this.waves) {
      factor +=
        w.amplitude * Math.sin((w.axis[0] * d[0] + w.axis[1] * d[1] + w.axis[2] * d[2]) / r + w.phase);
    }
    return r / factor;
  }
}

/** The aorta: a tube along z that drifts gently, clipped at the ends of the abdomen. */
class Tube {
  readonly label = LABELS.aorta;
  constructor(
    private readonly center: [number, number],
    private readonly radius: number,
    private readonly drift: number,
  ) {}

  level(p: Vec3): number {
    if (Math.abs(p[2]) > 0.92) return 2;
    const cx = this.center[0] + this.drift * Math.sin(1.3 * p[2]);
    return Math.hypot(p[0] - cx, p[1] - this.center[1]) / this.radius;
  }
}

export interface Anatomy {
  /** Body outline: an elliptic cylinder with a fat rim. */
  bodyLevel(p: Vec3): number;
  /** Organs in painting order; they do not overlap by construction. */
  organs: Array<Blob | Tube>;
  liver: Blob;
}

export function buildAnatomy(rng: SeededRandom): Anatomy {
  const jitter = (v: number, by = 0.03) => v + rng.uniform(-by, by);
  const liver = new Blob(
    LABELS.liver,
    [jitter(-0.38), jitter(-0.05), jitter(0.25)],
    [0.36, 0.4, 0.5],
    rng,
    0.1,
  );
  const spleen = new Blob(LABELS.spleen, [jitter(0.5), jitter(0.3), jitter(0.35)], [0.14, 0.18, 0.3], rng);
  const leftKidney = new Blob(
    LABELS.leftKidney,
    [jitter(0.38), jitter(0.42), jitter(-0.35)],
    [0.12, 0.11, 0.3],
    rng,
  );
  const rightKidney = new Blob(
    LABELS.rightKidney,
    [jitter(-0.36), jitter(0.44), jitter(-0.45)],
    [0.12, 0.11, 0.3],
    rng,
  );
  const aorta = new Tube([jitter(0.06, 0.02), jitter(0.28, 0.02)], 0.075, 0.03);
  const ax = jitter(0.92, 0.02);
  const ay = jitter(0.75, 0.02);
  return {
    bodyLevel: (p) => Math.hypot(p[0] / ax, p[1] / ay),
    organs: [liver, spleen, leftKidney, rightKidney, aorta],
    liver,
  };
}
