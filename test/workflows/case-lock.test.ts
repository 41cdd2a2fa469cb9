/**
 * The local engine's one-run-per-output-folder lock (workflows/case-lock.ts): a second run into
 * a folder another live process is writing is refused with CASE_RUNNING, by `medals segment` as
 * a user sees it; a lock whose process is gone is taken over. (Two runs in one process, and a
 * re-run after a killed process, are in test/workflows/faults.test.ts.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../functions/lib/core/package-info.js';
import { CASE_LOCK_FILE, acquireCaseLock, localOutputOf } from '../../workflows/case-lock.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = path.join(packageRoot(), 'bin', 'medals.js');

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const codeOf = (e: unknown) => (e as { code?: string }).code;

describe('case lock', () => {
  const dir = tempDir('medals-lock-');

  it('is taken, refused while held, and free again once released', async () => {
    const folder = path.join(dir, 'a', 'nested');
    const release = await acquireCaseLock(folder);
    expect(existsSync(path.join(folder, CASE_LOCK_FILE))).toBe(true);
    const refused = await acquireCaseLock(folder).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('CASE_RUNNING');
    expect((refused as Error).message).toContain(`process ${process.pid}`);
    expect((refused as Error).message).toContain(folder);
    await release();
    expect(readdirSync(folder)).toEqual([]);
    await (
      await acquireCaseLock(folder)
    )();
  });

  it('takes over the lock of a process that is gone, not of one alive or on another host', async () => {
    const folder = path.join(dir, 'stale');
    const write = (record: object) => {
      writeFileSync(path.join(folder, CASE_LOCK_FILE), JSON.stringify(record));
    };
    await (
      await acquireCaseLock(folder)
    )();
    const host = (await import('node:os')).hostname();
    write({ pid: await deadPid(), host, started: '2026-01-01T00:00:00.000Z' });
    const release = await acquireCaseLock(folder);
    await release();
    expect(existsSync(path.join(folder, CASE_LOCK_FILE))).toBe(false);

    // Another machine's process (a shared folder) cannot be checked: held.
    write({ pid: await deadPid(), host: `${host}-elsewhere`, started: '2026-01-01T00:00:00.000Z' });
    expect(codeOf(await acquireCaseLock(folder).catch((e: unknown) => e))).toBe('CASE_RUNNING');
    // A lock file that is not (yet) a record: held too, and the message says how to clear it.
    writeFileSync(path.join(folder, CASE_LOCK_FILE), '');
    const refused = await acquireCaseLock(folder).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('CASE_RUNNING');
    expect((refused as Error).message).toContain(`delete ${path.join(folder, CASE_LOCK_FILE)}`);
  });

  it('refuses an output folder it cannot create with INVALID_INPUT naming it', async () => {
    const blocker = path.join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    const refused = await acquireCaseLock(path.join(blocker, 'out')).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('INVALID_INPUT');
    expect((refused as Error).message).toContain(
      `cannot write into the output folder ${path.join(blocker, 'out')}`,
    );
  });

  it('applies to local output folders only', () => {
    expect(localOutputOf({ output: 'out/case' })).toBe(path.resolve('out/case'));
    expect(localOutputOf({ output: 'file:///tmp/my%20case' })).toBe('/tmp/my case');
    expect(localOutputOf({ output: 's3://bucket/outbox/case' })).toBeUndefined();
    expect(localOutputOf({ output: 42 })).toBeUndefined();
    expect(localOutputOf(null)).toBeUndefined();
  });

  it('makes `medals segment` into a folder another run holds exit 1 with CASE_RUNNING, writing nothing', async () => {
    const out = path.join(dir, 'cli');
    const image = path.join(dir, 'missing-image.nii.gz'); // never read: the lock comes first
    const release = await acquireCaseLock(out);
    try {
      const run = spawnSync(process.execPath, [CLI, 'segment', image, '--prompts', 'liver', '--out', out], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/^CASE_RUNNING: another run is writing this case into /m);
      expect(run.stderr).toContain(`process ${process.pid}`);
      expect(readdirSync(out)).toEqual([CASE_LOCK_FILE]);
    } finally {
      await release();
    }
  });
});
