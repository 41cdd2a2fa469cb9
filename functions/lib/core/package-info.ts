/** Facts about the installed medals package, for --version and provenance records. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding medals' package.json, found from this file whether run from source or dist. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    try {
      if (JSON.parse(readFileSync(candidate, 'utf8')).name === 'medals') return (root = dir);
    } catch {
      // not here; keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the medals package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version as string;
}
