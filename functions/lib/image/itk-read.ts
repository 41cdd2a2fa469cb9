/** itk-wasm's reader of one image file, shared by image-io.ts and its decode worker. */
import path from 'node:path';
import { niftiReadImageNode, readImageNode } from '@itk-wasm/image-io';
import type { Image } from 'itk-wasm';

export type ItkImage = InstanceType<typeof Image>;

/** Extension of an image path, keeping double extensions like .nii.gz. */
export function imageExtension(file: string): string {
  const base = path.basename(file).toLowerCase();
  const m = /(\.nii\.gz|\.[a-z0-9]+\.gz|\.[a-z0-9]+)$/.exec(base);
  return m ? m[1] : '';
}

/**
 * itk-wasm's reader of a file: NIfTI's directly (readImageNode picks it by the extension too, but
 * then copies the voxels once more, ~0.1 s for a 512 x 512 x 300 label map), else readImageNode.
 */
export async function readItkImage(file: string): Promise<ItkImage> {
  const ext = imageExtension(file);
  if (ext === '.nii' || ext === '.nii.gz') {
    const { couldRead, image } = await niftiReadImageNode(path.resolve(file));
    if (couldRead) return image;
  }
  return readImageNode(file);
}
