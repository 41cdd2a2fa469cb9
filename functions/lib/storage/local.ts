/** The local file system behind `Storage`; paths in, URIs only for naming things in errors. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  InvalidInputError,
  MedalsError,
  NotFoundError,
  TransientError,
  asMedalsError,
} from '../core/errors.js';

/** Temp files end with this so `list` can hide a write in progress from readers. */
const TEMP_SUFFIX = '.medals-tmp';
const MISSING = new Set(['ENOENT', 'ENOTDIR']);
// Busy descriptors and network file systems (EFS) recover on their own; a retry is worth it.
const TRANSIENT = new Set([
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'EINTR',
  'ETIMEDOUT',
  'ECONNRESET',
  'ESTALE',
]);

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function mapFsError(e: unknown, uri: string, action: string): MedalsError {
  const code = errno(e) ?? '';
  const details = { uri, errno: code };
  if (TRANSIENT.has(code)) return new TransientError(`${action} ${uri}: ${code}`, { cause: e, details });
  return asMedalsError(e, 'INTERNAL', `${action} ${uri}`);
}

export class LocalDriver {
  async read(file: string, uri: string): Promise<Uint8Array> {
    try {
      return await readFile(file);
    } catch (e) {
      if (MISSING.has(errno(e) ?? ''))
        throw new NotFoundError(`no such file: ${uri}`, { cause: e, details: { uri } });
      if (errno(e) === 'EISDIR') throw new InvalidInputError(`${uri} is a folder, not a file`, { cause: e });
      throw mapFsError(e, uri, 'reading');
    }
  }

  /**
   * Write to a uniquely named temp file beside the target, fsync, then rename: rename is atomic
   * within a directory, so readers see the old file or the whole new one, never a torn write.
   */
  async write(file: string, body: Uint8Array, uri: string): Promise<void> {
    const dir = path.dirname(file);
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      if (['EEXIST', 'ENOTDIR'].includes(errno(e) ?? '')) {
        throw new InvalidInputError(`cannot write ${uri}: a parent of it is a file`, { cause: e });
      }
      throw mapFsError(e, uri, 'writing');
    }
    // Truncated base name keeps the temp name under NAME_MAX (255) for long target names.
    const temp = path.join(
      dir,
      `.${path.basename(file).slice(0, 100)}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`,
    );
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx');
      await handle.writeFile(body);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, file);
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      if (errno(e) === 'EISDIR')
        throw new InvalidInputError(`cannot write ${uri}: it is a folder`, { cause: e });
      throw mapFsError(e, uri, 'writing');
    }
    await syncDirectory(dir);
  }

  /** Files under `dir`, relative to it; a missing folder is simply empty, as an S3 prefix is. */
  async list(dir: string, uri: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(path.join(dir, relative), { withFileTypes: true });
      } catch (e) {
        if (MISSING.has(errno(e) ?? '')) return;
        throw mapFsError(e, uri, 'listing');
      }
      for (const entry of entries) {
        const child = path.join(relative, entry.name);
        if (entry.name.endsWith(TEMP_SUFFIX)) continue;
        if (entry.isDirectory()) await walk(child);
        else if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path.join(dir, child)))))
          out.push(child);
      }
    };
    await walk('');
    return out;
  }

  async exists(file: string): Promise<boolean> {
    return isFile(file);
  }

  async remove(file: string, uri: string): Promise<void> {
    try {
      await rm(file, { force: true });
    } catch (e) {
      throw mapFsError(e, uri, 'removing');
    }
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (e) {
    if (MISSING.has(errno(e) ?? '')) return false;
    throw mapFsError(e, file, 'checking');
  }
}

/** Makes the rename itself durable; some file systems cannot fsync a folder, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
