/**
 * Fidelity, measured: every parity case (models/parity/cases.py: a five-organ CT, an MRI, a
 * liver-lesion instance task, a CT over 650 x 650 x 100 voxels) through the official Medal S code
 * and through `medals segment` on the same weights (the official architecture at small width,
 * seeded); models/parity/parity.py compares them stage by stage. Every case must pass.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const python = join(process.env.MEDALS_PARITY_VENV ?? join(root, '.venv-parity'), 'bin', 'python');
const CASES = ['ct-organs', 'mri-organs', 'ct-lesions', 'ct-large'];

describe('parity with the official Medal S inference', () => {
  if (!existsSync(python)) throw new Error('no parity environment: run npm run parity:setup first');
  const work = mkdtempSync(join(tmpdir(), 'medals-parity-'));
  execFileSync(python, [join(root, 'models/parity/cases.py'), work], { stdio: 'inherit' });

  it.each(CASES)('%s agrees with the official code', (name) => {
    const out = join(work, name);
    const run = spawnSync(
      'bash',
      [join(root, 'models/parity/run.sh'), join(work, `${name}.npz`), '--out', out],
      {
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: work },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const summary = run.stdout.trim().split('\n').pop() ?? '';
    console.log(summary);
    expect(existsSync(join(out, 'parity.json')), run.stderr.slice(-3000)).toBe(true);
    const parity = JSON.parse(readFileSync(join(out, 'parity.json'), 'utf8'));
    expect(parity.failures, summary).toEqual([]);
    expect(parity.pass).toBe(true);
    expect(run.status).toBe(0);
    expect(parity.roi_equal || parity.roi.official === null).toBe(true);
    for (const dsc of Object.values(parity.final.dsc) as number[]) expect(dsc).toBeGreaterThanOrEqual(0.999);
  });
});
