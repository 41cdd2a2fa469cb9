import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerClasses } from '../../functions/tools/cli/commands/classes.js';
import { alignTable } from '../../functions/tools/cli/common/table.js';
import type { CliIo } from '../../functions/tools/cli/main.js';
import { MedalsError } from '../../functions/lib/core/errors.js';

/** `medals classes ...` in-process on a bare program, with its output captured. */
async function classes(...args: string[]): Promise<{ stdout: string; stderr: string; error?: MedalsError }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const program = new Command('medals').exitOverride().configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: () => {},
  });
  registerClasses(program, io);
  try {
    await program.parseAsync(['classes', ...args], { from: 'user' });
    return { stdout, stderr };
  } catch (e) {
    if (e instanceof MedalsError) return { stdout, stderr, error: e };
    throw e;
  }
}

/** Table rows as arrays of cells (split on runs of 2+ spaces), header and summary left out. */
function rows(stdout: string): string[][] {
  const lines = stdout.trimEnd().split('\n');
  return lines.slice(1, -1).map((l) => l.split(/ {2,}/));
}

describe('medals classes', () => {
  it('lists all 243 classes as an aligned table', async () => {
    const r = await classes();
    expect(r.error).toBeUndefined();
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODALITY\s+BRANCH\s+ID\s+NAME\s+SYNONYMS$/);
    expect(lines.at(-1)).toBe('243 classes');
    expect(lines).toHaveLength(243 + 2);
    // Aligned: every row starts its NAME column where the header does.
    const nameAt = lines[0].indexOf('NAME');
    for (const line of lines.slice(1, -1)) expect(line[nameAt - 1]).toBe(' ');
    expect(rows(r.stdout)[0]).toEqual(['CT', 'anatomy', '1', 'Liver', '2']);
    const modalities = new Set(rows(r.stdout).map((c) => c[0]));
    expect([...modalities]).toEqual(['CT', 'MRI', 'PET', 'US', 'Microscopy']);
  });

  it('--modality keeps one modality, case-insensitively', async () => {
    const r = await classes('--modality', 'us');
    expect(r.error).toBeUndefined();
    expect(rows(r.stdout).every((c) => c[0] === 'US')).toBe(true);
    expect(rows(r.stdout)).toHaveLength(10);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('10 US classes');
  });

  it('--search finds classes through their synonyms and shows the synonym matched', async () => {
    const r = await classes('--search', 'hepatic', '--modality', 'CT');
    expect(r.error).toBeUndefined();
    const liver = rows(r.stdout).find((c) => c[3] === 'Liver');
    expect(liver).toEqual(['CT', 'anatomy', '1', 'Liver', 'hepatic']);
    expect(r.stdout).toMatch(/of 137 CT classes match 'hepatic'\n$/);
  });

  it('--search across modalities, by name and by the resolver rules', async () => {
    const hepatic = await classes('--search', 'hepatic');
    expect(
      rows(hepatic.stdout)
        .filter((c) => c[3] === 'Liver')
        .map((c) => c[0]),
    ).toEqual(['CT', 'MRI']);
    const byName = await classes('--search', 'kidney');
    const names = rows(byName.stdout).map((c) => c[3]);
    expect(names).toContain('Left kidney');
    expect(names).toContain('Right kidney');
    // A sentence names its class even though no name contains it.
    const sentence = await classes('--search', 'the left kidney in CT', '--modality', 'CT');
    expect(rows(sentence.stdout).map((c) => c[3])).toEqual(['Left kidney']);
  });

  it('a search that matches nothing is NOT_FOUND with the closest names', async () => {
    const r = await classes('--search', 'hepatik', '--modality', 'CT');
    expect(r.error?.code).toBe('NOT_FOUND');
    expect(r.error?.message).toMatch(/no CT class matches 'hepatik'; did you mean 'Liver' \(CT, hepatic\)/);
    expect(r.stdout).toBe('');
  });

  it('a bad --modality is a usage error', async () => {
    const r = await classes('--modality', 'XRAY');
    expect(r.error?.code).toBe('USAGE');
    expect(r.error?.message).toMatch(/--modality must be one of CT, MRI, PET, US, Microscopy, got 'XRAY'/);
  });
});

describe('alignTable', () => {
  it('pads every column but the last and trims trailing blanks', () => {
    expect(
      alignTable([
        ['a', 'bb', 'c'],
        ['ccc', '', 'd'],
      ]),
    ).toBe('a    bb  c\nccc      d');
  });
});
