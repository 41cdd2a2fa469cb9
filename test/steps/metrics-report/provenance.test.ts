/** provenance.json (functions/steps/metrics-report/provenance.ts, written by functions/lib/metrics/outputs.ts). */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeProvenanceJson } from '../../../functions/steps/metrics-report/outputs.js';
import { buildProvenance, hashUri } from '../../../functions/steps/metrics-report/provenance.js';
import { tempDir } from '../../helpers/tmp.js';

describe('provenance.json', () => {
  it('records hashes of the input and the model files, versions, options, provider and timings', async () => {
    const dir = tempDir();
    const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    const input = path.join(dir, 'case.nii.gz');
    writeFileSync(input, 'image bytes');
    const model = path.join(dir, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'stage1.onnx'), 'graph');
    writeFileSync(path.join(model, 'vocab.txt'), 'changed since the manifest');
    const manifest = {
      name: 'phantom',
      license: 'Apache-2.0',
      stages: { '1': { onnx: { path: 'stage1.onnx', sha256: sha('graph') } } },
      text: { encoder: { tokenizer: { vocabulary: { path: 'vocab.txt', sha256: sha('original') } } } },
    };
    const p = await buildProvenance({
      input,
      model: { dir: model, manifest },
      options: { tolerance: 2 },
      executionProvider: 'cpu',
      timings: { Preprocess: 1.5, Segment: 3 },
      createdAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(p.input).toEqual({ uri: input, sha256: sha('image bytes'), bytes: 11 });
    expect(p.model).toMatchObject({ name: 'phantom', license: 'Apache-2.0', manifest });
    expect(p.model!.files).toEqual([
      { role: 'stages.1.onnx', path: 'stage1.onnx', sha256: sha('graph'), bytes: 5, verified: true },
      {
        role: 'text.encoder.tokenizer.vocabulary',
        path: 'vocab.txt',
        sha256: sha('changed since the manifest'),
        bytes: 26,
        verified: false,
      },
    ]);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(Object.keys(p.packages)).toEqual(Object.keys(pkg.dependencies).sort());
    expect(p.packages['fast-png']).toBe(
      JSON.parse(readFileSync('node_modules/fast-png/package.json', 'utf8')).version,
    );
    expect(p.medals.version).toBe(pkg.version);
    expect(p).toMatchObject({
      created_at: '2026-01-02T03:04:05.000Z',
      options: { tolerance: 2 },
      execution_provider: 'cpu',
      timings: [
        { step: 'Preprocess', seconds: 1.5 },
        { step: 'Segment', seconds: 3 },
      ],
      total_seconds: 4.5,
    });
    const file = await writeProvenanceJson(path.join(dir, 'out', 'provenance.json'), p);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(p);

    // Given hashes are trusted when complete, checked when only the hash is given.
    const given = await buildProvenance({ input: { uri: input, sha256: 'f'.repeat(64), bytes: 1 } });
    expect(given.input!.sha256).toBe('f'.repeat(64));
    await expect(buildProvenance({ input: { uri: input, sha256: 'f'.repeat(64) } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    // A folder (a DICOM series) hashes its files in name order.
    const folder = await hashUri(model);
    expect(folder.bytes).toBe(5 + 26);
    expect(folder.sha256).toBe(
      sha(
        Buffer.concat([
          Buffer.from('stage1.onnx\0graph'),
          Buffer.from('vocab.txt\0changed since the manifest'),
        ]),
      ),
    );
  });
});
