import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../functions/cli/main.js';
import { readVolumeFile } from '../functions/core/image-io.js';
import { writePhantom } from '../functions/phantom/write-phantom.js';
import { tempDir } from './helpers/tmp.js';

function dice(a: ArrayLike<number>, b: ArrayLike<number>, value: number): number {
  let both = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === value;
    const y = b[i] === value;
    na += +x;
    nb += +y;
    both += +(x && y);
  }
  return (2 * both) / (na + nb);
}

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('medals segment with the phantom model', () => {
  const dir = tempDir();

  it.each([1, 2, 3, 4, 5])('seed %i: DSC >= 0.85 for the five organs on the input grid', async (seed) => {
    const w = await writePhantom(path.join(dir, `case-${seed}`), { seed });
    const out = path.join(dir, `out-${seed}`);
    const r = await cli(
      'segment',
      w.files.image,
      '--prompts',
      'liver,spleen,left kidney,right kidney,aorta',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/using the generated phantom model/);
    expect(r.stdout.trim()).toBe(path.join(out, 'seg.nii.gz'));
    const seg = await readVolumeFile(path.join(out, 'seg.nii.gz'));
    expect(seg.size).toEqual(w.phantom.labels.size);
    for (let a = 0; a < 3; a++) expect(seg.origin[a]).toBeCloseTo(w.phantom.labels.origin[a], 4);
    for (let v = 1; v <= 5; v++)
      expect(dice(seg.data, w.phantom.labels.data, v), `label ${v}`).toBeGreaterThanOrEqual(0.85);
    const record = JSON.parse(readFileSync(path.join(out, 'segment.json'), 'utf8'));
    expect(record.classes.map((c: { value: number }) => c.value)).toEqual([1, 2, 3, 4, 5]);
    expect(record.stages[0].classesPerPass).toBe(5);
  });

  it('names bad input: unknown class, empty prompt list, missing model file', async () => {
    const w = await writePhantom(path.join(dir, 'bad'), { size: [32, 32, 16] });
    const unknown = await cli('segment', w.files.image, '--prompts', 'livr', '--out', path.join(dir, 'o1'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^UNKNOWN_CLASS: .*did you mean 'Liver'/m);
    const empty = await cli('segment', w.files.image, '--prompts', ' , ', '--out', path.join(dir, 'o2'));
    expect(empty.code).toBe(2);
    const noModel = await cli(
      'segment',
      w.files.image,
      '--prompts',
      'liver',
      '--model',
      path.join(dir, 'nope'),
    );
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/^NOT_FOUND: /m);
  });
});
