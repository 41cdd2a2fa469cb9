/**
 * Atomic writes (issue 9): a process killed while it writes a large output leaves no file under
 * the output's name (only a hidden temporary one, which listings skip), and the same write left
 * alone produces the whole file. The writer is a separate node process running the compiled
 * storage layer (dist/, built by `npm ci`), killed with SIGKILL once its temporary file exists.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../../functions/lib/core/package-info.js';
import { storageFor } from '../../../functions/lib/storage/index.js';
import { tempDir } from '../../helpers/tmp.js';

const BYTES = 768 * 2 ** 20;

function writer(target: string) {
  const storage = path.join(packageRoot(), 'dist', 'functions', 'lib', 'storage', 'index.js');
  const script = `
    const { storageFor } = await import(${JSON.stringify(storage)});
    const body = new Uint8Array(${BYTES}).fill(7);
    await storageFor(${JSON.stringify(target)}).write(${JSON.stringify(target)}, body);
    process.stdout.write('done');`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('atomic writes', () => {
  it('a writer killed mid-write leaves nothing under the output name', async () => {
    if (!existsSync(path.join(packageRoot(), 'dist', 'functions', 'lib', 'storage', 'index.js')))
      throw new Error('run `npm run build` before the tests');
    const dir = tempDir('medals-atomic-');
    const target = path.join(dir, 'out', 'seg.nii.gz');
    const child = writer(target);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill as soon as the temporary file has some bytes in it.
    let killedMidWrite = false;
    for (let i = 0; i < 2000 && child.exitCode === null; i++) {
      const folder = path.join(dir, 'out');
      const temp = existsSync(folder)
        ? readdirSync(folder).find((n) => n.endsWith('.medals-tmp'))
        : undefined;
      if (temp && statSync(path.join(folder, temp)).size > 0) {
        killedMidWrite = child.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await exited;
    expect(killedMidWrite, 'the writer was killed while its temporary file was being written').toBe(true);
    expect(existsSync(target)).toBe(false);
    expect(await storageFor(dir).list(dir)).toEqual([]); // the leftover temporary file is not listed

    const whole = writer(target);
    const code = await new Promise<number | null>((resolve) => whole.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(statSync(target).size).toBe(BYTES);
  }, 120_000);
});
