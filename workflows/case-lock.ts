/**
 * One run at a time per local output folder. On AWS a case's execution name makes a second start
 * of the same case a no-op (functions/steps/start-case); on one machine two `medals segment` (or two
 * sweeps) pointed at the same folder would interleave their files, so the local engine takes an
 * exclusive lock file there first. A lock whose process is gone (killed, crashed) is stale and
 * taken over, so a re-run after a crash needs no cleaning up.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError, MedalsError } from '../functions/lib/core/errors.js';
import { parseUri } from '../functions/lib/storage/index.js';

/** In the case's output folder; a dot file, so listings of outputs pass it by. */
export const CASE_LOCK_FILE = '.medals-run.lock';

interface LockRecord {
  pid: number;
  host: string;
  started: string;
}

/** The local folder a request writes to, or undefined (S3 output, or a request Validate will refuse). */
export function localOutputOf(request: unknown): string | undefined {
  const output = (request as { output?: unknown } | null)?.output;
  if (typeof output !== 'string' || output.length === 0) return undefined;
  try {
    const location = parseUri(output);
    return location.scheme === 'file' ? path.resolve(location.path) : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as Partial<LockRecord>;
    if (typeof record.pid === 'number' && typeof record.host === 'string') return record as LockRecord;
  } catch {
    // Just created and not yet written, or damaged: held, as far as anyone can tell.
  }
  return undefined;
}

/**
 * Takes the folder's lock, or throws CASE_RUNNING naming the run that holds it. Returns the
 * release function.
 */
export async function acquireCaseLock(folder: string): Promise<() => Promise<void>> {
  const file = path.join(folder, CASE_LOCK_FILE);
  const unwritable = (e: unknown) =>
    new InvalidInputError(
      `cannot write into the output folder ${folder} (${(e as NodeJS.ErrnoException).code ?? String(e)}); choose another output`,
      { cause: e },
    );
  await mkdir(folder, { recursive: true }).catch((e: unknown) => {
    throw unwritable(e);
  });
  const me: LockRecord = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      return async () => {
        // Only our own lock: a stale-lock takeover by another run must not be undone by us.
        if ((await readLock(file))?.pid === me.pid) await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(e);
    }
    const holder = await readLock(file);
    const stale = holder !== undefined && holder.host === me.host && !alive(holder.pid);
    if (stale) {
      await rm(file, { force: true });
      continue;
    }
    const who = holder
      ? `process ${holder.pid} on ${holder.host}, started ${holder.started}`
      : 'a run whose lock file is unreadable';
    throw new MedalsError(
      'CASE_RUNNING',
      `another run is writing this case into ${folder} (${who}); wait for it to finish, or choose another output folder. If no such run exists, delete ${file}`,
      { details: { folder, ...(holder ? { holder } : {}) } },
    );
  }
  throw new MedalsError('CASE_RUNNING', `could not take the lock ${file}: other runs keep taking it`);
}
