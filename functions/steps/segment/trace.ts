/**
 * The parity trace: a test option that makes Segment write down what it computes on the way, so
 * that `npm run parity` can compare it stage by stage with the official Medal S code (see
 * models/parity/ and docs/medal-s-pipeline.md). Off unless MEDALS_PARITY_TRACE names a folder;
 * then every stage writes its network input, window origins, stitched probabilities, labels on
 * its working grid and spatial prompts as .npy (numpy C order over (H, W, D), Medal S's axis
 * order), and trace.json holds the token ids, plans and the self-refinement block draws.
 * Nothing a user sees depends on it.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NpyArray, writeNpy } from '../../lib/image/npz/npy.js';

interface BlockDraw {
  stage: 1 | 2;
  window: number;
  blockSize: number;
  /** Blocks of the patch (C order over (H, W, D) blocks). */
  blocks: number;
  /** The blocks of the mask, in the order they were drawn. */
  selected: number[];
}

type Json = Record<string, unknown>;

class ParityTrace {
  private readonly meta: Json = { draws: [] as BlockDraw[] };

  constructor(readonly folder: string) {
    mkdirSync(folder, { recursive: true });
  }

  array(name: string, array: NpyArray): void {
    writeFileSync(join(this.folder, `${name}.npy`), writeNpy(array));
  }

  /** Sets `key` (dotted paths make nested objects) in trace.json. */
  set(key: string, value: unknown): void {
    const parts = key.split('.');
    let node = this.meta;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Json;
    node[parts[parts.length - 1]] = value;
    this.flush();
  }

  draw(d: BlockDraw): void {
    (this.meta.draws as BlockDraw[]).push(d);
    this.flush();
  }

  private flush(): void {
    const file = join(this.folder, 'trace.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(this.meta));
    renameSync(`${file}.tmp`, file);
  }
}

let current: ParityTrace | null | undefined;

/** The trace when MEDALS_PARITY_TRACE is set, else null (read once per process). */
export function parityTrace(): ParityTrace | null {
  if (current === undefined) {
    const folder = process.env.MEDALS_PARITY_TRACE;
    current = folder ? new ParityTrace(folder) : null;
  }
  return current;
}
