/** The file-name rule every reader and writer picks a format by. */
import path from 'node:path';

/** Extension of an image path, keeping double extensions like .nii.gz. */
export function imageExtension(file: string): string {
  const base = path.basename(file).toLowerCase();
  const m = /(\.nii\.gz|\.[a-z0-9]+\.gz|\.[a-z0-9]+)$/.exec(base);
  return m ? m[1] : '';
}
