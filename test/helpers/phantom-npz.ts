/**
 * A phantom as a challenge npz: `imgs` uint8 (D, H, W) (the CT through the 40/400 HU window,
 * as the challenge data were scaled), `gts` uint8 (D, H, W) with the five prompted organs (the
 * unprompted body label left out), `spacing` (x, y, z) and `text_prompts` {"1": "Liver", ...,
 * "instance_label": 0}. The npz carries no direction: its grid is the phantom's index grid.
 * The instance variant (task 'instance') holds the liver lesions as `gts` (1..n, one value per
 * lesion) and `text_prompts` {"1": "Liver tumors in CT", "instance_label": 1}, as the challenge's
 * lesion cases do.
 */
import { type PromptDict, writeNpz } from '../../functions/lib/image/npz/index.js';
import { generatePhantom } from '../../functions/tools/phantom/phantom.js';

export function phantomNpz(
  seed: number,
  size?: [number, number, number],
  task: 'semantic' | 'instance' = 'semantic',
): { bytes: Buffer; gts: Uint8Array; shape: [number, number, number] } {
  const p = generatePhantom({ seed, ...(size ? { size } : {}) });
  const [nx, ny, nz] = p.image.size;
  const shape: [number, number, number] = [nz, ny, nx];
  const imgs = new Uint8Array(p.image.data.length);
  for (let i = 0; i < imgs.length; i++) {
    const scaled = ((p.image.data[i] - (40 - 200)) / 400) * 255;
    imgs[i] = Math.round(Math.min(255, Math.max(0, scaled)));
  }
  const gts =
    task === 'instance'
      ? Uint8Array.from(p.lesions.data)
      : Uint8Array.from(p.labels.data, (v) => (v >= 1 && v <= 5 ? v : 0));
  const prompts: PromptDict =
    task === 'instance'
      ? { 1: 'Liver tumors in CT', instance_label: 1 }
      : { ...p.prompts, instance_label: 0 };
  const bytes = writeNpz({
    imgs: { dtype: 'uint8', shape, data: imgs, fortranOrder: false },
    gts: { dtype: 'uint8', shape, data: gts, fortranOrder: false },
    spacing: { dtype: 'float64', shape: [3], data: Float64Array.from(p.image.spacing), fortranOrder: false },
    text_prompts: { dtype: 'object', shape: [], value: prompts },
  });
  return { bytes, gts, shape };
}
