/**
 * Volumes handed from one step to the next inside one process. The local engine runs every step
 * of a case in the same process: without this, Segment decodes the scaled image Preprocess has
 * just written, and MetricsReport decodes the input image Preprocess has just read (together
 * about 3 s on a 512 x 512 x 240 CT, issue 16). On AWS each step is its own process and nothing
 * is ever found here.
 *
 * An entry is a local file's identity (device, inode, size, modification time) with the volume
 * that file holds; a file rewritten since misses. Reads and writes opt in (`shared: true`), and
 * what they share must be treated as read-only by everyone. Bounded in bytes, least recently
 * used out first; `take` hands a volume over and forgets it, for a file only one step reads.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Volume } from '../geometry/volume.js';

/** Room for a 512 x 512 x 300 int16 input, its float32 scaled image and a label map. */
const BUDGET_BYTES = 768 * 2 ** 20;

interface Entry {
  identity: string;
  volume: Volume;
}

const entries = new Map<string, Entry>();

function identity(file: string): string | null {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return null;
  }
}

function bytes(volume: Volume): number {
  return volume.data.byteLength;
}

/** Remembers that `file`, as it is on disk now, holds `volume`. */
export function shareVolume(file: string, volume: Volume): void {
  const key = path.resolve(file);
  entries.delete(key);
  const id = identity(key);
  if (id === null || bytes(volume) > BUDGET_BYTES) return;
  entries.set(key, { identity: id, volume });
  let total = 0;
  for (const e of entries.values()) total += bytes(e.volume);
  // Map order is insertion order, refreshed on every hit: the first entries are the coldest.
  for (const [k, e] of entries) {
    if (total <= BUDGET_BYTES) break;
    entries.delete(k);
    total -= bytes(e.volume);
  }
}

/** The volume `file` holds, when this process wrote or read that very file; else undefined. */
export function sharedVolume(file: string, options: { take?: boolean } = {}): Volume | undefined {
  const key = path.resolve(file);
  const entry = entries.get(key);
  if (!entry) return undefined;
  entries.delete(key);
  if (identity(key) !== entry.identity) return undefined;
  if (!options.take) entries.set(key, entry);
  return entry.volume;
}
