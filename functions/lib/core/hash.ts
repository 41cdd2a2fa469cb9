/**
 * sha256, the one digest the project records (model manifests, provenance, cache keys, execution
 * names), as lowercase hex. Files are streamed: a model's weights or an input image may be
 * larger than what should sit in memory at once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex sha256 of `parts` in order, as one byte string (text as UTF-8). */
export function sha256(...parts: (Uint8Array | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** Hex sha256 of a stream's bytes and how many there were. */
export async function sha256Stream(
  stream: AsyncIterable<Uint8Array | string>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(b);
    bytes += b.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A local file's bytes in 1 MiB chunks (the 64 KiB default costs a round trip per chunk). */
export function fileChunks(file: string): AsyncIterable<Uint8Array> {
  return createReadStream(file, { highWaterMark: 1 << 20 });
}

/** Hex sha256 of a local file. */
export async function sha256File(file: string): Promise<string> {
  return (await sha256Stream(fileChunks(file))).sha256;
}
