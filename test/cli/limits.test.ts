/**
 * Resource limits (issue 9): a NIfTI header declaring a 64 GiB volume, and a challenge npz whose
 * image inflates to 2 GiB (over the default limit of 1e9 voxels), are refused by `medals segment`
 * from their headers: quickly, and without the memory the data would need. The CLI runs in a
 * child process that reports its own peak RSS (process.resourceUsage) and wall time.
 *
 * The issue asks for the time bound (5 s) as the proof that nothing is decompressed; a refusal
 * from the header takes a fraction of a second here (printed), so the bound has a wide margin.
 */
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, createDeflateRaw } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../functions/lib/core/package-info.js';
import { runNodeScript } from '../helpers/node-script.js';
import { npyHeader, oneEntryZipParts } from '../helpers/npz-bytes.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = path.join(packageRoot(), 'dist', 'functions', 'tools', 'cli', 'main.js');

interface Outcome {
  code: number;
  stderr: string;
  seconds: number;
  maxRssMiB: number;
}

/** `medals segment <file>` in a fresh node process, with its exit code, peak RSS and time. */
function segment(file: string, out: string): Outcome {
  const script = `
    const { main } = await import(${JSON.stringify(CLI)});
    let stderr = '';
    const t = process.hrtime.bigint();
    const code = await main(['segment', ${JSON.stringify(file)}, '--prompts', 'liver', '--out', ${JSON.stringify(out)}],
      { stdout: () => {}, stderr: (s) => { stderr += s; } });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(JSON.stringify({ code, stderr, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));`;
  const outcome = runNodeScript<Outcome>(script);
  console.log(
    `${path.basename(file)}: refused in ${outcome.seconds.toFixed(2)} s, peak RSS ${outcome.maxRssMiB.toFixed(0)} MiB`,
  );
  return outcome;
}

/** A NIfTI-1 header (348 bytes + 4 extension bytes) declaring X x Y x Z uint8, and 16 voxels. */
function hugeNifti(file: string, dims: [number, number, number]): void {
  const b = Buffer.alloc(352 + 16);
  b.writeInt32LE(348, 0);
  b.writeInt16LE(3, 40);
  dims.forEach((d, i) => b.writeInt16LE(d, 42 + 2 * i));
  for (let i = 3; i < 7; i++) b.writeInt16LE(1, 42 + 2 * i);
  b.writeInt16LE(2, 70); // datatype: uint8
  b.writeInt16LE(8, 72); // bitpix
  for (let i = 0; i < 4; i++) b.writeFloatLE(1, 76 + 4 * i); // pixdim
  b.writeFloatLE(352, 108); // vox_offset
  b.writeInt16LE(1, 254); // sform_code
  b.writeFloatLE(1, 280);
  b.writeFloatLE(1, 300);
  b.writeFloatLE(1, 320);
  b.write('n+1\0', 344, 'latin1');
  writeFileSync(file, b);
}

/**
 * An npz holding imgs.npy of shape (2048, 1024, 1024) uint8, deflated: 2 GiB of zeros in about
 * 2 MB. Written as a stream (never 2 GiB in memory), with the real CRC-32 and sizes.
 */
async function bombNpz(file: string): Promise<void> {
  const npyHead = npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2048, 1024, 1024), }");
  const zeros = Buffer.alloc(16 * 2 ** 20);
  const total = 2 ** 31;
  let crc = crc32(npyHead);
  for (let done = 0; done < total; done += zeros.length) crc = crc32(zeros, crc);
  const deflated: Buffer[] = [];
  const deflate = createDeflateRaw({ level: 9 });
  deflate.on('data', (c: Buffer) => deflated.push(c));
  const finished = new Promise((resolve) => deflate.on('end', resolve));
  deflate.write(npyHead);
  for (let done = 0; done < total; done += zeros.length) {
    if (!deflate.write(zeros)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await finished;
  const parts = oneEntryZipParts('imgs.npy', Buffer.concat(deflated), {
    crc32: crc,
    uncompressedSize: npyHead.length + total,
  });
  const stream = createWriteStream(file);
  for (const part of parts) stream.write(part);
  await new Promise((resolve) => stream.end(resolve));
}

describe('inputs over the size limit', () => {
  const dir = tempDir('medals-limits-');
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` before the tests');
  });

  it('a NIfTI header declaring 64 GiB is refused in seconds, in little memory', () => {
    const file = path.join(dir, 'huge.nii');
    hugeNifti(file, [4096, 4096, 4096]);
    const r = segment(file, path.join(dir, 'out-nii'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^INVALID_INPUT: .*(limit|voxels)/m);
    expect(r.seconds).toBeLessThan(5);
    expect(r.maxRssMiB).toBeLessThan(500);
  });

  it('an npz whose image inflates to 2 GiB is refused in seconds, in little memory', async () => {
    const file = path.join(dir, 'bomb.npz');
    await bombNpz(file);
    const r = segment(file, path.join(dir, 'out-npz'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^INVALID_INPUT: .*(limit|elements|voxels)/m);
    expect(r.seconds).toBeLessThan(5);
    expect(r.maxRssMiB).toBeLessThan(500);
  }, 120_000);
});
