/**
 * Patient data (issue 9): a phantom whose NIfTI header carries a fake patient name in every text
 * field (data_type, db_name, descrip, aux_file, intent_name) goes through the whole workflow;
 * the name appears in no output file (decompressed .gz included), in nothing the steps returned,
 * and in nothing they printed.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';

import { readVolumeFile, writeVolumeFile } from '../functions/core/image-io.js';
import { writePhantom } from '../functions/phantom/write-phantom.js';
import { ensureModel } from '../functions/segment/model/index.js';
import { runSegmentCase } from '../workflows/segment-case.js';
import { tempDir } from './helpers/tmp.js';

const NAME = 'ZZTOPSECRET^PATIENT';

/** NIfTI-1 text fields: [offset, length]. */
const TEXT_FIELDS: [number, number][] = [
  [4, 10], // data_type
  [14, 18], // db_name
  [148, 80], // descrip
  [228, 24], // aux_file
  [328, 16], // intent_name
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

describe('patient data', () => {
  it('header text fields reach no output, result or log', async () => {
    const dir = tempDir('medals-patient-');
    const w = await writePhantom(path.join(dir, 'phantom'), { seed: 5 });
    // An uncompressed .nii whose header text fields hold the name.
    const image = path.join(dir, 'named.nii');
    await writeVolumeFile(await readVolumeFile(w.files.image), image);
    const bytes = readFileSync(image);
    for (const [offset, length] of TEXT_FIELDS) bytes.write(NAME.slice(0, length), offset, 'latin1');
    writeFileSync(image, bytes);
    expect(bytes.toString('latin1')).toContain(NAME);

    const printed: string[] = [];
    const capture = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (capture(chunk), true)),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (capture(chunk), true)),
      vi.spyOn(console, 'log').mockImplementation(capture),
      vi.spyOn(console, 'warn').mockImplementation(capture),
      vi.spyOn(console, 'error').mockImplementation(capture),
    ];
    const out = path.join(dir, 'out');
    let result;
    try {
      result = await runSegmentCase({
        request: {
          image,
          prompts: w.phantom.prompts,
          groundTruth: w.files.labels,
          output: out,
          model: await ensureModel('phantom'),
        },
      });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.stringify(result)).not.toContain(NAME);
    expect(printed.join('\n')).not.toContain(NAME);
    const files = filesUnder(out);
    let embedded = 0;
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) {
      let content = readFileSync(file);
      if (file.endsWith('.gz')) content = gunzipSync(content);
      const text = content.toString('latin1');
      expect(text.includes(NAME), path.relative(out, file)).toBe(false);
      // report.html embeds volumes as base64 (gzipped NIfTI): look inside those too.
      for (const [blob] of text.matchAll(/[A-Za-z0-9+/]{200,}={0,2}/g)) {
        let inner = Buffer.from(blob, 'base64');
        if (inner[0] === 0x1f && inner[1] === 0x8b) inner = gunzipSync(inner);
        expect(inner.toString('latin1').includes(NAME), `${path.relative(out, file)} (embedded)`).toBe(false);
        if (inner.toString('latin1').includes('medals report image')) embedded++;
      }
    }
    expect(embedded, "the report's embedded image was looked into").toBe(1);
  });
});
