import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readVolumeFile } from '../../functions/lib/image/image-io.js';
import { generatePhantom } from '../../functions/tools/phantom/phantom.js';
import { tempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli-io.js';

const run = promisify(execFile);
const bin = path.resolve('bin/medals.js');

/** Runs the real `medals` entry point (compiled dist/) in a child process. */
async function medals(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('medals command (compiled entry point)', () => {
  beforeAll(() => {
    if (!existsSync('dist/functions/tools/cli/main.js'))
      throw new Error('run `npm run build` before the tests');
  });

  it('--version prints the package version', async () => {
    const r = await medals('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('--help lists the commands', async () => {
    const r = await medals('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/phantom/);
  });

  it('phantom --out DIR writes a case that reads back with its geometry', async () => {
    const dir = path.join(tempDir(), 'case');
    const r = await medals('phantom', '--out', dir, '--size', '32,32,16', '--seed', '4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote CT phantom 32x32x16/);
    const image = await readVolumeFile(path.join(dir, 'image.nii.gz'));
    const expected = generatePhantom({ size: [32, 32, 16], seed: 4 }).image;
    expect(image.size).toEqual([32, 32, 16]);
    for (let a = 0; a < 3; a++) expect(image.spacing[a]).toBeCloseTo(expected.spacing[a], 5);
    for (let a = 0; a < 3; a++) expect(image.origin[a]).toBeCloseTo(expected.origin[a], 4);
    for (let i = 0; i < 9; i++) expect(image.direction[i]).toBeCloseTo(expected.direction[i], 5);
    expect(Array.from(image.data)).toEqual(Array.from(expected.data));
    for (const f of ['labels.nii.gz', 'lesions.nii.gz', 'prompts.json', 'case.json']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
  });

  it('a zero size fails with exit code 2 and one line naming --size', async () => {
    const r = await medals('phantom', '--out', tempDir(), '--size', '0,10,10');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^USAGE: --size must be three positive integers/);
  });
});

describe('medals CLI errors (in-process)', () => {
  it('a non-numeric spacing is a usage error naming --spacing', async () => {
    const r = await runCli('phantom', '--out', 'x', '--spacing', '1,abc,2');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("USAGE: --spacing must be three comma-separated positive numbers, got '1,abc,2'\n");
  });

  it('unknown options and commands are usage errors, missing --out is named', async () => {
    expect((await runCli('phantom', '--bogus')).code).toBe(2);
    const missing = await runCli('phantom');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^USAGE: .*--out/);
    expect((await runCli('frobnicate')).stderr).toMatch(/^USAGE: unknown command 'frobnicate'/);
  });

  it('other errors exit 1 with CODE: message and no stack unless --debug', async () => {
    const dir = tempDir();
    // A file where the output folder should be: writing fails.
    const blocker = path.join(dir, 'file');
    await import('node:fs/promises').then((fs) => fs.writeFile(blocker, 'x'));
    const r = await runCli('phantom', '--out', path.join(blocker, 'sub'), '--size', '16,16,8');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^[A-Z_]+: /);
    const debug = await runCli('--debug', 'phantom', '--out', path.join(blocker, 'sub'), '--size', '16,16,8');
    expect(debug.stderr.split('\n').length).toBeGreaterThan(2);
  });
});
