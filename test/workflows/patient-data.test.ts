/**
 * Patient data (issue 9): a phantom whose NIfTI header carries a fake patient name in every text
 * field (data_type, db_name, descrip, aux_file, intent_name), and a DICOM series whose patient,
 * study and people tags carry it (and fake ids and a birth date), go through the whole workflow;
 * none of it appears in any output file (decompressed .gz and the report's embedded volumes
 * included), in anything the steps returned, or in anything they printed.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';

import { readVolumeFile, writeVolumeFile } from '../../functions/lib/image/image-io.js';
import { generatePhantom } from '../../functions/tools/phantom/phantom.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { ensureModel } from '../../models/generate/index.js';
import { runSegmentCase } from '../../workflows/segment-case.js';
import { type DicomText, writeDicomSeries } from '../helpers/dicom-writer.js';
import { tempDir } from '../helpers/tmp.js';

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

/** DICOM tags that name or identify a patient, a study or its people (all text VRs). */
const DICOM_TEXT: DicomText[] = [
  [0x0008, 0x0050, 'SH', 'ZZACC123456'], // AccessionNumber
  [0x0008, 0x0080, 'LO', NAME], // InstitutionName
  [0x0008, 0x0090, 'PN', NAME], // ReferringPhysicianName
  [0x0008, 0x1030, 'LO', NAME], // StudyDescription
  [0x0008, 0x103e, 'LO', NAME], // SeriesDescription
  [0x0010, 0x0010, 'PN', NAME], // PatientName
  [0x0010, 0x0020, 'LO', 'ZZPID987654'], // PatientID
  [0x0010, 0x0030, 'DA', '19230417'], // PatientBirthDate
  [0x0010, 0x1000, 'LO', NAME], // OtherPatientIDs
  [0x0020, 0x0010, 'SH', 'ZZSTUDY42'], // StudyID
];
const SECRETS = [NAME, 'ZZACC123456', 'ZZPID987654', '19230417', 'ZZSTUDY42'];

/** Runs the case with stdout, stderr and console captured; checks outputs, result and output. */
async function expectNoTrace(
  request: Record<string, unknown>,
  out: string,
  secrets: string[],
): Promise<void> {
  const printed: string[] = [];
  const capture = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (capture(chunk), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (capture(chunk), true)),
    vi.spyOn(console, 'log').mockImplementation(capture),
    vi.spyOn(console, 'warn').mockImplementation(capture),
    vi.spyOn(console, 'error').mockImplementation(capture),
  ];
  // Step logs on, as on AWS, so that what CloudWatch would get is searched too.
  vi.stubEnv('MEDALS_LOG_LEVEL', 'debug');
  let result;
  try {
    result = await runSegmentCase({
      request: { ...request, output: out, model: await ensureModel('phantom') },
    });
  } finally {
    for (const spy of spies) spy.mockRestore();
    vi.unstubAllEnvs();
  }
  for (const step of ['Validate', 'Preprocess', 'Segment', 'Restore', 'MetricsReport']) {
    expect(printed.join('\n')).toContain(`"message":"${step} finished"`);
  }
  expect(result.status, JSON.stringify(result).slice(0, 500)).toBe('SUCCEEDED');
  const files = filesUnder(out);
  expect(files.length).toBeGreaterThan(8);
  let embedded = 0;
  for (const secret of secrets) {
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(printed.join('\n')).not.toContain(secret);
  }
  for (const file of files) {
    let content = readFileSync(file);
    if (file.endsWith('.gz')) content = gunzipSync(content);
    const texts = [content.toString('latin1')];
    // report.html embeds volumes as base64 (gzipped NIfTI): look inside those too.
    for (const [blob] of texts[0]!.matchAll(/[A-Za-z0-9+/]{200,}={0,2}/g)) {
      let inner = Buffer.from(blob, 'base64');
      if (inner[0] === 0x1f && inner[1] === 0x8b) inner = gunzipSync(inner);
      texts.push(inner.toString('latin1'));
      if (texts[texts.length - 1]!.includes('medals report image')) embedded++;
    }
    for (const secret of secrets) {
      texts.forEach((text, i) => {
        expect(
          text.includes(secret),
          `${secret} in ${path.relative(out, file)}${i ? ' (embedded)' : ''}`,
        ).toBe(false);
      });
    }
  }
  expect(embedded, "the report's embedded image was looked into").toBe(1);
}

describe('patient data', () => {
  it('NIfTI header text fields reach no output, result or log', async () => {
    const dir = tempDir('medals-patient-');
    const w = await writePhantom(path.join(dir, 'phantom'), { seed: 5 });
    // An uncompressed .nii whose header text fields hold the name.
    const image = path.join(dir, 'named.nii');
    await writeVolumeFile(await readVolumeFile(w.files.image), image);
    const bytes = readFileSync(image);
    for (const [offset, length] of TEXT_FIELDS) bytes.write(NAME.slice(0, length), offset, 'latin1');
    writeFileSync(image, bytes);
    expect(bytes.toString('latin1')).toContain(NAME);
    await expectNoTrace(
      { image, prompts: w.phantom.prompts, groundTruth: w.files.labels },
      path.join(dir, 'out'),
      [NAME],
    );
  });

  it('DICOM patient, study and people tags reach no output, result or log', async () => {
    const dir = tempDir('medals-patient-dicom-');
    const phantom = generatePhantom({ seed: 6, size: [48, 40, 24] });
    const series = path.join(dir, 'series');
    mkdirSync(series);
    const files = writeDicomSeries(phantom.image, series, { text: DICOM_TEXT });
    for (const secret of SECRETS) expect(readFileSync(files[0]!).toString('latin1')).toContain(secret);
    const labels = path.join(dir, 'labels.nii.gz');
    await writeVolumeFile(phantom.labels, labels);
    await expectNoTrace(
      { image: series, prompts: phantom.prompts, groundTruth: labels },
      path.join(dir, 'out'),
      SECRETS,
    );
  });
});
