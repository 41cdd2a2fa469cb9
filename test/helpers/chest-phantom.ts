/**
 * A CT the tests make for the CT window rule (lib/medal-s ct-windows.ts): the abdominal phantom
 * (functions/tools/phantom) with two lungs painted in at PHANTOM_LUNG_HU (each its own) plus the phantom's CT
 * noise, which the phantom itself does not have. The generated phantom model segments "Left
 * lung" and "Right lung" by their intensity on the lung-windowed image (models/generate/phantom.ts).
 */
import path from 'node:path';
import { writeVolumeFile } from '../../functions/lib/image/image-io.js';
import type { Volume } from '../../functions/lib/geometry/volume.js';
import { type PhantomOptions, generatePhantom } from '../../functions/tools/phantom/phantom.js';
import { PHANTOM_LUNG_HU } from '../../models/generate/phantom.js';
import { prng } from './prng.js';

/** Label values of the painted lungs in `labels` (the phantom's own are 1..6). */
export const LUNG_LABELS = { left: 7, right: 8 } as const;

/** The phantom's CT noise (functions/tools/phantom/phantom.ts TISSUE.CT.noise), HU. */
const NOISE_HU = 12;

/** Lungs in the phantom's body coordinates (x to the patient's left, y to the back, z up). */
const LUNGS = [
  {
    label: LUNG_LABELS.left,
    hu: PHANTOM_LUNG_HU['Left lung'],
    center: [0.45, -0.2, 0.75],
    radii: [0.24, 0.32, 0.22],
  },
  {
    label: LUNG_LABELS.right,
    hu: PHANTOM_LUNG_HU['Right lung'],
    center: [-0.45, -0.2, 0.75],
    radii: [0.24, 0.32, 0.22],
  },
] as const;

export interface ChestPhantom {
  image: string;
  /** The phantom's labels with the lungs over what they cover, on the image's grid. */
  labels: Volume<'uint8'>;
}

export async function writeChestPhantom(dir: string, options: PhantomOptions = {}): Promise<ChestPhantom> {
  const { image, labels } = generatePhantom({ ...options, modality: 'CT' });
  const [X, Y, Z] = image.size;
  const s = image.spacing;
  // The phantom's body coordinates (generatePhantom): in-plane by half the smaller extent.
  const extent = [X * s[0], Y * s[1], Z * s[2]];
  const unit = [Math.min(extent[0], extent[1]) / 2, Math.min(extent[0], extent[1]) / 2, extent[2] / 2];
  const random = prng(options.seed ?? 0);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  let n = 0;
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++, n++) {
        if (labels.data[n] === 0) continue; // outside the body
        const p = [i, j, k].map((v, a) => ((v + 0.5) * s[a] - extent[a] / 2) / unit[a]);
        for (const lung of LUNGS) {
          const r = Math.hypot(...p.map((v, a) => (v - lung.center[a]) / lung.radii[a]));
          if (r <= 1) {
            labels.data[n] = lung.label;
            image.data[n] = Math.round(lung.hu + NOISE_HU * gaussian());
          }
        }
      }
    }
  }
  const file = path.join(dir, 'chest.nii.gz');
  await writeVolumeFile(image, file);
  return { image: file, labels };
}
