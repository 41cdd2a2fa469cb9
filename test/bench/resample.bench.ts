/**
 * Resampling benchmark (issue 5), three parts in one run:
 * 1. Linear resampling of a 512 x 512 x 300 float32 volume from 0.8, 0.8, 2.5 mm to 1.5, 1.5,
 *    3 mm (the same physical box): itk-wasm (resampleImageToGrid: one linear pass) against a
 *    plain TypeScript trilinear loop (per-axis index tables, then 8 reads per voxel), as a
 *    ratio, best of 2 each; also the preprocess path (resampleImageToShape: in-plane linear,
 *    nearest along the thick axis, as nnU-Net does above an anisotropy of 3). Prints the largest
 *    difference between the two linear results inside the box (both interpolate the same
 *    neighbours, so it is float32 rounding).
 * 2. Peak RSS of the preprocess step on that volume (an int16 CT .nii.gz; the step reads it,
 *    checks it, scales it, plans and resamples stage 1, writes the scaled image and the stage-1
 *    volume): the Lambda handler run in a child process of its own, which reports
 *    process.resourceUsage().maxRSS. Must stay under 3 GiB.
 * 3. A 46-label restore onto a 512 x 512 x 1000 grid: the Restore handler in a child process,
 *    from a working-grid label map (1.5, 1.5, 3 mm) with 46 labels, a few of them "improved
 *    classes", so the max-probability map is also resampled, onto the box of those classes
 *    (the innermost shells here; before that box, the whole grid took 1 GB of float32 and about
 *    three times as long). The child reads seg.nii.gz back and reports its geometry and labels;
 *    the bench checks both.
 * The child processes import the compiled handlers from dist/ (`npm run build`; `npm ci` does it).
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../functions/lib/core/package-info.js';
import {
  resampleImageToGrid,
  resampleImageToShape,
  workingGeometry,
} from '../../functions/lib/resample/resample.js';
import { writeVolume } from '../../functions/lib/image/volume-store.js';
import { type Geometry, type Vec3, Volume } from '../../functions/lib/geometry/volume.js';
import type { PreprocessRecord } from '../../functions/steps/preprocess/record.js';
import { ensureModel } from '../../models/generate/index.js';
import { secondsAsync } from '../helpers/timing.js';
import { geometry, volumeOf } from '../helpers/geometry.js';
import { runNodeScript } from '../helpers/node-script.js';
import { tempDir } from '../helpers/tmp.js';

const SOURCE = geometry([512, 512, 300], [0.8, 0.8, 2.5], [-204.4, -204.4, -373.75]);
const TARGET_SPACING: Vec3 = [1.5, 1.5, 3];
const RSS_LIMIT_GIB = 3;
// Spacing and origin exact in float32, so the geometry read back from NIfTI compares equal.
const RESTORE_GRID = geometry([512, 512, 1000], [0.75, 0.75, 1.0], [-192, -192, -500]);
const RESTORE_LABELS = 46;
const IMPROVED = [1, 2, 3];

/** A smooth CT-like field in HU: soft tissue with brighter and darker lobes, air outside a body. */
function ctVolume(g: Geometry): Volume<'int16'> {
  const [nx, ny] = g.size;
  return volumeOf('int16', g, (x, y, z) => {
    const u = (x - nx / 2) / (nx * 0.42);
    const v = (y - ny / 2) / (ny * 0.36);
    if (u * u + v * v > 1) return -1000;
    return Math.round(40 + 120 * Math.sin(x / 23) * Math.cos(y / 31) + 80 * Math.sin(z / 17));
  });
}

/**
 * Trilinear resampling of an axis-aligned volume onto an axis-aligned grid, zero outside
 * [-0.5, size - 0.5] as itk-wasm's resampling with default value 0; per-axis index tables, so
 * the voxel loop is 8 reads and 7 lerps.
 */
function trilinear(src: Volume<'float32'>, target: Geometry): Float32Array {
  const tables = [0, 1, 2].map((a) => {
    const n = target.size[a];
    const base = new Int32Array(n);
    const frac = new Float64Array(n);
    const inside = new Uint8Array(n);
    const size = src.size[a];
    for (let i = 0; i < n; i++) {
      const c = (target.origin[a] + i * target.spacing[a] - src.origin[a]) / src.spacing[a];
      inside[i] = c >= -0.5 && c <= size - 0.5 ? 1 : 0;
      const clamped = Math.min(Math.max(c, 0), size - 1);
      base[i] = Math.min(Math.floor(clamped), Math.max(size - 2, 0));
      frac[i] = size === 1 ? 0 : clamped - base[i];
    }
    return { base, frac, inside };
  });
  const [X, Y] = src.size;
  const d = src.data;
  const [tx, ty, tz] = tables;
  const out = new Float32Array(target.size[0] * target.size[1] * target.size[2]);
  let n = 0;
  for (let k = 0; k < target.size[2]; k++) {
    const z0 = tz.base[k] * X * Y;
    const fz = tz.frac[k];
    for (let j = 0; j < target.size[1]; j++) {
      const y0 = ty.base[j] * X;
      const fy = ty.frac[j];
      const rowInside = tz.inside[k] & ty.inside[j];
      for (let i = 0; i < target.size[0]; i++, n++) {
        if (!(rowInside & tx.inside[i])) continue;
        const a = z0 + y0 + tx.base[i];
        const fx = tx.frac[i];
        const c00 = d[a] + fx * (d[a + 1] - d[a]);
        const c10 = d[a + X] + fx * (d[a + X + 1] - d[a + X]);
        const c01 = d[a + X * Y] + fx * (d[a + X * Y + 1] - d[a + X * Y]);
        const c11 = d[a + X * Y + X] + fx * (d[a + X * Y + X + 1] - d[a + X * Y + X]);
        const c0 = c00 + fy * (c10 - c00);
        const c1 = c01 + fy * (c11 - c01);
        out[n] = c0 + fz * (c1 - c0);
      }
    }
  }
  return out;
}

interface ChildResult {
  seconds: number;
  maxRssBytes: number;
  [key: string]: unknown;
}

/** Runs an ES module script (importing from dist/) in a fresh node; its last stdout line is JSON. */
const runChild = (script: string) =>
  runNodeScript<ChildResult>(script, { cwd: packageRoot(), timeoutMs: 900_000 });

const dist = (file: string) => JSON.stringify(path.join(packageRoot(), 'dist', file));

/** The compiled handlers are current when no source they come from is newer. */
function distNote(): string | null {
  const pairs = [
    ['functions/steps/preprocess/preprocess.ts', 'dist/functions/steps/preprocess/preprocess.js'],
    ['functions/steps/restore/handler.ts', 'dist/functions/steps/restore/handler.js'],
    ['functions/lib/resample/resample.ts', 'dist/functions/lib/resample/resample.js'],
  ];
  for (const [src, out] of pairs) {
    const outFile = path.join(packageRoot(), out);
    if (!existsSync(outFile)) return `${out} is missing: run npm run build`;
    if (statSync(path.join(packageRoot(), src)).mtimeMs > statSync(outFile).mtimeMs) {
      return `note: ${out} is older than ${src}; the child processes ran the older build (npm run build)`;
    }
  }
  return null;
}

describe('resampling benchmark', () => {
  const dir = tempDir('medals-bench-resample-');

  it('itk-wasm linear vs a TypeScript trilinear loop, 512x512x300 float32, 0.8,0.8,2.5 -> 1.5,1.5,3 mm', async () => {
    const ct = ctVolume(SOURCE);
    const image = new Volume<'float32'>(ct.geometry, Float32Array.from(ct.data));
    const shape = [0, 1, 2].map((a) =>
      Math.round((SOURCE.size[a] * SOURCE.spacing[a]) / TARGET_SPACING[a]),
    ) as Vec3;
    const target = workingGeometry(SOURCE, shape);

    const lines: string[] = [''];
    let itk: Volume<'float32'> | undefined;
    let ts: Float32Array | undefined;
    let itkSeconds = Infinity;
    let tsSeconds = Infinity;
    let shapeSeconds = Infinity;
    for (let pass = 0; pass < 2; pass++) {
      itkSeconds = Math.min(
        itkSeconds,
        await secondsAsync(async () => (itk = await resampleImageToGrid(image, target))),
      );
      tsSeconds = Math.min(tsSeconds, await secondsAsync(() => (ts = trilinear(image, target))));
      shapeSeconds = Math.min(shapeSeconds, await secondsAsync(() => resampleImageToShape(image, shape)));
    }
    let maxDiff = 0;
    for (let n = 0; n < ts!.length; n++) maxDiff = Math.max(maxDiff, Math.abs(ts![n] - itk!.data[n]));
    const mvox = (s: number) => ((shape[0] * shape[1] * shape[2]) / s / 1e6).toFixed(1);
    lines.push(
      `Linear resampling ${SOURCE.size.join('x')} float32 (${SOURCE.spacing.join(', ')} mm) -> ` +
        `${shape.join('x')} (${target.spacing.map((s) => s.toFixed(3)).join(', ')} mm), best of 2:`,
      `  itk-wasm resampleNode, linear: ${(itkSeconds * 1e3).toFixed(0)} ms (${mvox(itkSeconds)} Mvox/s out)`,
      `  TypeScript trilinear loop:     ${(tsSeconds * 1e3).toFixed(0)} ms (${mvox(tsSeconds)} Mvox/s out)`,
      `  itk-wasm vs TypeScript: ${(tsSeconds / itkSeconds).toFixed(2)}x; max |difference| ${maxDiff.toExponential(2)} HU`,
      `  preprocess path (in-plane linear, nearest in z): ${(shapeSeconds * 1e3).toFixed(0)} ms`,
      '',
    );
    console.log(lines.join('\n'));
    expect(maxDiff).toBeLessThan(1e-2);
  });

  it(`preprocess of that volume peaks under ${RSS_LIMIT_GIB} GiB RSS`, async () => {
    const lines: string[] = [''];
    const note = distNote();
    if (note) lines.push(note);
    const image = path.join(dir, 'ct.nii.gz');
    await writeVolume(ctVolume(SOURCE), image);
    const request = {
      image,
      prompts: ['liver', 'spleen'],
      modality: 'CT',
      output: path.join(dir, 'case'),
      model: await ensureModel('phantom'),
    };
    const child = runChild(`
      import { handler } from ${dist('functions/steps/preprocess/handler.js')};
      const t = process.hrtime.bigint();
      const out = await handler({ request: ${JSON.stringify(request)} });
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      console.log(JSON.stringify({ seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, preprocess: out.preprocess }));
    `);
    const gib = child.maxRssBytes / 2 ** 30;
    lines.push(
      `Preprocess handler on ${SOURCE.size.join('x')} int16 CT (.nii.gz): ${child.seconds.toFixed(1)} s, ` +
        `peak RSS ${gib.toFixed(2)} GiB (limit ${RSS_LIMIT_GIB} GiB: ${gib < RSS_LIMIT_GIB ? 'met' : 'NOT met'})`,
      '',
    );
    console.log(lines.join('\n'));
    expect(existsSync(child.preprocess as string)).toBe(true);
    expect(gib).toBeLessThan(RSS_LIMIT_GIB);
  });

  it(`restores ${RESTORE_LABELS} labels onto ${RESTORE_GRID.size.join('x')}`, async () => {
    const shape = [0, 1, 2].map((a) =>
      Math.round((RESTORE_GRID.size[a] * RESTORE_GRID.spacing[a]) / [1.5, 1.5, 3][a]),
    ) as Vec3;
    const working = workingGeometry(RESTORE_GRID, shape);
    // 46 nested shells around the centre, each label a shell 2 working voxels thick, so every
    // label covers thousands of voxels on both grids; the max-probability map falls off outwards.
    const [nx, ny, nz] = shape;
    const labels = new Uint8Array(nx * ny * nz);
    const probability = new Float32Array(labels.length);
    let n = 0;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, n++) {
          const r = Math.hypot((x - nx / 2) * 1.5, (y - ny / 2) * 1.5, (z - nz / 2) * 3) / 3;
          const shell = Math.floor(r / 2);
          labels[n] = shell < RESTORE_LABELS ? shell + 1 : 0;
          probability[n] = shell < RESTORE_LABELS ? 0.99 - shell / 100 : 0.01;
        }
      }
    }
    const out = path.join(dir, 'restore');
    const workingFile = path.join(out, 'work', 'seg-working.nii');
    await writeVolume(new Volume<'uint8'>(working, labels), workingFile);
    const probabilityFile = path.join(out, 'work', 'max-probability.nii');
    await writeVolume(new Volume<'float32'>(working, probability), probabilityFile);
    // preprocess.json as Restore parses it (steps/preprocess/record.ts); Restore reads the
    // geometry, the prompts' values and improved flags, and the task kind.
    const record: PreprocessRecord = {
      input: { format: 'itk', kind: 'CT', geometry: RESTORE_GRID, range: { min: -1000, max: 1000 } },
      modality: { modality: 'CT', source: 'request' },
      // The fields the record's schema checks; the resolver's other fields are not read here.
      prompts: Array.from({ length: RESTORE_LABELS }, (_, k) => ({
        value: k + 1,
        name: `Class ${k + 1}`,
        sentence: `Class ${k + 1} in CT`,
        classKey: `CT_Class ${k + 1}`,
        modality: 'CT',
        improved: IMPROVED.includes(k + 1),
      })) as unknown as PreprocessRecord['prompts'],
      instance: false,
      intensity: [
        {
          method: 'ct-window',
          modality: 'CT',
          description: 'CT window level 40 / width 400 HU',
          formula: 'unused',
          input: { min: -1000, max: 1000 },
          low: -160,
          high: 240,
          window: { level: 40, width: 400 },
          output: { min: 0, max: 255 },
          group: 'soft-tissue',
          source: 'tissue-group',
          values: Array.from({ length: RESTORE_LABELS }, (_, k) => k + 1),
        },
      ],
      stage1: { plan: {} as PreprocessRecord['stage1']['plan'], geometry: working },
      model: { dir: 'unused', name: 'unused' },
      files: { scaled: 'unused', stage1: 'unused' },
      timings: { preprocessSeconds: 0 },
    };
    const recordFile = path.join(out, 'preprocess.json');
    writeFileSync(recordFile, JSON.stringify(record));
    const request = { image: path.join(dir, 'unused.nii.gz'), prompts: ['liver'], output: out };
    const lines: string[] = [''];
    const note = distNote();
    if (note) lines.push(note);
    const child = runChild(`
      import { handler } from ${dist('functions/steps/restore/handler.js')};
      import { readVolume } from ${dist('functions/lib/image/volume-store.js')};
      const t = process.hrtime.bigint();
      const result = await handler({ request: ${JSON.stringify(request)}, preprocess: ${JSON.stringify(recordFile)}, segment: ${JSON.stringify(path.join(out, 'segment.json'))}, working: ${JSON.stringify(workingFile)}, maxProbability: ${JSON.stringify(probabilityFile)} });
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      const maxRssBytes = process.resourceUsage().maxRSS * 1024;
      const seg = await readVolume(result.seg);
      const present = new Uint8Array(256);
      for (const v of seg.data) present[v] = 1;
      console.log(JSON.stringify({ seconds, maxRssBytes, geometry: seg.geometry, type: seg.type,
        labels: present.reduce((s, v, k) => s + (k > 0 ? v : 0), 0) }));
    `);
    lines.push(
      `Restore handler: ${RESTORE_LABELS} labels ${shape.join('x')} (1.5, 1.5, 3 mm) -> ${RESTORE_GRID.size.join('x')} ` +
        `(${RESTORE_GRID.spacing.join(', ')} mm), improved classes ${IMPROVED.join(', ')}: ${child.seconds.toFixed(1)} s, ` +
        `peak RSS ${(child.maxRssBytes / 2 ** 30).toFixed(2)} GiB; seg.nii.gz ${String(child.type)} with ${String(child.labels)} labels`,
      '',
    );
    console.log(lines.join('\n'));
    expect(child.geometry).toEqual(RESTORE_GRID);
    expect(child.labels).toBe(RESTORE_LABELS);
  });
});
