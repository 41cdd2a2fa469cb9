/**
 * The state machine definitions this package ships, validated once when it is built: `npm run
 * build` runs `recordValidDefinitions`, which checks every workflows/*.asl.json with
 * asl-validator and writes the sha256 of each valid text to dist/workflows/valid-definitions.json.
 * At run time a definition whose text is in that record is not validated again (asl-validator
 * compiles its schemas on every call: 0.4 s of each `medals segment` for segment-case). Any other
 * text, a changed file or a definition of the caller's, is validated as before.
 */
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../functions/lib/core/hash.js';
import { packageRoot } from '../functions/lib/core/package-info.js';

const RECORD = path.join(packageRoot(), 'dist', 'workflows', 'valid-definitions.json');

let known: Set<string> | undefined;

/** Whether `text` (JSON.stringify of a definition) is one the build validated. */
export function validatedWhenBuilt(text: string): boolean {
  if (!known) {
    try {
      known = new Set((JSON.parse(readFileSync(RECORD, 'utf8')) as { sha256: string[] }).sha256);
    } catch {
      known = new Set(); // run from the sources, or not built: validate everything
    }
  }
  return known.has(sha256(text));
}

/**
 * Validates every workflows/*.asl.json with `validate` (which throws on an invalid one) and
 * records the valid texts; returns the files.
 */
export async function recordValidDefinitions(
  validate: (definition: unknown, source: string) => void,
): Promise<string[]> {
  const dir = path.join(packageRoot(), 'workflows');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.asl.json')).sort();
  const hashes: string[] = [];
  for (const file of files) {
    const definition: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    validate(definition, `state machine definition ${file}`);
    hashes.push(sha256(JSON.stringify(definition)));
  }
  await writeFile(RECORD, `${JSON.stringify({ sha256: hashes }, null, 2)}\n`);
  known = undefined;
  return files;
}
