import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { readVolumeFile, writeVolumeFile } from '../../../functions/lib/image/image-io.js';
import { IDENTITY, type Mat3, Volume } from '../../../functions/lib/geometry/volume.js';
import { semanticMetrics } from '../../../functions/lib/metrics/index.js';
import { semanticMetricsDocument, writeMetricsJson } from '../../../functions/lib/metrics/outputs.js';
import { writePhantom } from '../../../functions/tools/phantom/write-phantom.js';
import {
  buildReport,
  colorOf,
  downsampleFactors,
  downsampleImage,
  downsampleLabels,
  encodeNifti,
  renderSlice,
  viewPlanes,
  viewerBundle,
} from '../../../functions/lib/report/index.js';
import { structureStats } from '../../../functions/lib/stats/index.js';
import { runCli } from '../../helpers/cli-io.js';
import { geometry } from '../../helpers/geometry.js';
import { tempDir } from '../../helpers/tmp.js';
import * as oracle from '../../oracles/downsample.js';

const CHROMIUM = '/usr/bin/chromium';

describe('slice overlays', () => {
  it('pick the grid planes nearest the patient planes, in radiological orientation', () => {
    const identity = viewPlanes(IDENTITY);
    expect(identity.axial).toMatchObject({
      normal: 2,
      columns: { axis: 0, flip: false },
      rows: { axis: 1, flip: false },
    });
    expect(identity.coronal).toMatchObject({
      normal: 1,
      columns: { axis: 0, flip: false },
      rows: { axis: 2, flip: true },
    });
    expect(identity.sagittal).toMatchObject({
      normal: 0,
      columns: { axis: 1, flip: false },
      rows: { axis: 2, flip: true },
    });
    // Index axes permuted and reversed: i runs toward -S, j toward +L, k toward -P.
    const permuted: Mat3 = [0, 1, 0, 0, 0, -1, -1, 0, 0];
    const p = viewPlanes(permuted);
    expect(p.axial).toMatchObject({
      normal: 0,
      columns: { axis: 1, flip: false },
      rows: { axis: 2, flip: true },
    });
    expect(p.coronal).toMatchObject({ normal: 2, rows: { axis: 0, flip: false } });
  });

  it('keep the physical aspect ratio and put patient right and superior where they belong', () => {
    const grid = geometry([10, 8, 4], [1, 1, 5]);
    const image = Volume.zeros('int16', grid);
    const labels = Volume.zeros('uint8', grid);
    labels.set(0, 4, 3, 1); // patient's far right (i = 0), most superior slice (k = 3)
    const plane = viewPlanes(IDENTITY).coronal;
    const slice = renderSlice(image, labels, plane, 4, { window: [0, 1], longSide: 200 });
    // 10 mm wide, 20 mm high: 100 x 200 pixels of 0.1 mm.
    expect([slice.width, slice.height, slice.pitchMm]).toEqual([100, 200, 0.1]);
    const png = decode(slice.png);
    expect([png.width, png.height, png.channels]).toEqual([100, 200, 3]);
    const at = (x: number, y: number) =>
      Array.from(png.data.slice(3 * (y * png.width + x), 3 * (y * png.width + x) + 3));
    const [r] = colorOf(1);
    expect(at(5, 25)[0]).toBeCloseTo(0.45 * r, -0.5); // top-left: tinted
    expect(at(50, 25)).toEqual([0, 0, 0]);
    expect(at(5, 175)).toEqual([0, 0, 0]);
  });
});

describe('viewer volumes', () => {
  it('downsample toward isotropic voxels within the budget, labels by block mode', () => {
    expect(downsampleFactors([512, 512, 300], [0.7, 0.7, 2.5], 4_000_000)).toEqual([4, 4, 2]);
    expect(downsampleFactors([10, 10, 10], [1, 1, 1], 1000)).toEqual([1, 1, 1]);
    const v = new Volume(geometry([4, 2, 1]), Uint8Array.from([1, 1, 2, 0, 1, 0, 2, 2]));
    const small = downsampleLabels(v, [2, 2, 1]);
    expect(small.size).toEqual([2, 1, 1]);
    expect(Array.from(small.data)).toEqual([1, 2]);
    expect(small.origin).toEqual([0.5, 0.5, 0]);
    expect(small.spacing).toEqual([2, 2, 1]);
    const mean = downsampleImage(
      new Volume(v.geometry, Int16Array.from([0, 10, 20, 30, 0, 10, 20, 31])),
      [2, 2, 1],
    );
    expect(Array.from(mean.data)).toEqual([5, 25]);
  });

  it('downsample like a brute-force block mean and block mode, on uneven edges and any label values', () => {
    // The oracle (test/oracles/downsample.ts): each output voxel gathers its block's voxels one
    // by one, then takes the mean (summed in k, j, i order) or the most frequent value (ties: the
    // smaller).
    const brute = (v: Volume, f: [number, number, number], mode: boolean) =>
      mode ? oracle.blockMode(v.data, v.size, f) : oracle.blockMean(v.data, v.size, f, v.type === 'float32');
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const size: [number, number, number] = [13, 7, 5];
    const n = size[0] * size[1] * size[2];
    const cases: [Volume, boolean][] = [
      [
        new Volume(
          geometry(size),
          Uint8Array.from({ length: n }, () => Math.floor(random() * 4)),
        ),
        true,
      ],
      [
        new Volume(
          geometry(size),
          Int16Array.from({ length: n }, () => Math.floor(random() * 3) * 700 - 700),
        ),
        true,
      ],
      // Values far apart: the label index cannot be a table over the range.
      [
        new Volume(
          geometry(size),
          Int32Array.from({ length: n }, () => [0, 5, 3_000_000][Math.floor(random() * 3)]),
        ),
        true,
      ],
      [
        new Volume(
          geometry(size),
          Int16Array.from({ length: n }, () => Math.floor(random() * 2000) - 1000),
        ),
        false,
      ],
      [
        new Volume(
          geometry(size),
          Float32Array.from({ length: n }, () => random() * 255),
        ),
        false,
      ],
    ];
    for (const [v, mode] of cases) {
      for (const f of [
        [2, 2, 1],
        [3, 2, 2],
        [4, 3, 5],
        [13, 7, 5],
      ] as [number, number, number][]) {
        const small = mode ? downsampleLabels(v, f) : downsampleImage(v, f);
        expect(Array.from(small.data), `${v.type} ${mode ? 'mode' : 'mean'} by ${f.join('x')}`).toEqual(
          brute(v, f, mode),
        );
      }
    }
  });

  it('encode NIfTI that ITK reads back with the same geometry and voxels', async () => {
    const dir = tempDir();
    const direction: Mat3 = [0.94, -0.34, 0, 0.34, 0.94, 0, 0, 0, 1];
    const v = new Volume(
      { size: [5, 4, 3], spacing: [0.8, 0.9, 2.5], origin: [-47.3, -31.6, 82.5], direction },
      Int16Array.from({ length: 60 }, (_, i) => i * 7 - 100),
    );
    const file = path.join(dir, 'v.nii.gz');
    writeFileSync(file, encodeNifti(v));
    const back = await readVolumeFile(file);
    expect(back.size).toEqual(v.size);
    expect(Array.from(back.data)).toEqual(Array.from(v.data));
    for (let a = 0; a < 3; a++) expect(back.spacing[a]).toBeCloseTo(v.spacing[a], 5);
    for (let a = 0; a < 3; a++) expect(back.origin[a]).toBeCloseTo(v.origin[a], 4);
    // ITK orthonormalises the sform's direction; compare within float32 rounding of the input.
    const norm = Math.hypot(0.94, 0.34);
    for (let i = 0; i < 9; i++)
      expect(back.direction[i]).toBeCloseTo(direction[i] / (i % 3 === 2 ? 1 : norm), 4);
  });
});

describe('report.html', () => {
  let dir: string;
  let reportFile: string;
  let classNames: string[];
  let structures: number;

  beforeAll(async () => {
    dir = tempDir('medals-report-');
    const written = await writePhantom(path.join(dir, 'case'), { size: [48, 44, 20], seed: 2 });
    const { image, labels, prompts } = written.phantom;
    const stats = await structureStats(labels, image, { names: { ...prompts, '6': 'Body' } });
    const metrics = semanticMetricsDocument(
      await semanticMetrics(labels, labels, { labels: [1, 2, 3, 4, 5] }),
      {
        names: prompts,
      },
    );
    const result = await buildReport({ image, labels, stats, metrics, title: 'phantom report' });
    reportFile = path.join(dir, 'report.html');
    writeFileSync(reportFile, result.html);
    classNames = result.classes.map((c) => c.name);
    structures = stats.structures.filter((s) => s.voxels > 0).length;
    expect(result.overlays).toBe(3 * structures);
  });

  it('is one file under 20 MB with every class, the legend, overlays and the inlined viewer', async () => {
    const html = readFileSync(reportFile, 'utf8');
    expect(Buffer.byteLength(html)).toBeLessThan(20e6);
    expect(classNames).toEqual(['Liver', 'Spleen', 'Left kidney', 'Right kidney', 'Aorta', 'Body']);
    for (const name of classNames) expect(html).toContain(name);
    expect(html).toContain('Content-Security-Policy');
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    const bundle = await viewerBundle();
    expect(bundle).toMatch(/^\/\* medals-viewer [0-9a-f]{16}: .*NiiVue/);
    expect(bundle).not.toMatch(/<\/script/i);
    expect(html).toContain(bundle.slice(0, 200));
    expect(html.match(/<img class="overlay"/g)).toHaveLength(3 * structures);
    expect(html).toMatch(/oblique/);
  });

  it('opens from disk in headless chromium: no console errors, no requests, NiiVue renders with WebGL2', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      ctx.skip(`${CHROMIUM} is not installed (CI installs Debian's chromium); the browser check is skipped`);
    }
    const { chromium } = await import('playwright-core');
    // Screenshots go to a temporary folder, or to MEDALS_TEST_SHOTS to keep them (CI artifacts).
    const shots = process.env.MEDALS_TEST_SHOTS ?? tempDir('medals-report-shots-');
    mkdirSync(shots, { recursive: true });
    // A fresh profile folder for each run; playwright-core never downloads a browser.
    const profile = mkdtempSync(path.join(os.tmpdir(), 'medals-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--use-angle=swiftshader',
        '--use-gl=angle',
        '--enable-unsafe-swiftshader',
        '--ignore-gpu-blocklist',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      const pageUrl = pathToFileURL(reportFile).href;
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        const url = r.url();
        if (url !== pageUrl && !url.startsWith('data:') && !url.startsWith('blob:')) requests.push(url);
      });
      await page.goto(pageUrl, { waitUntil: 'load' });
      // Browser-side code as strings: the test program has no DOM types.
      await page.waitForFunction("document.body.dataset.viewer !== 'loading'", undefined, {
        timeout: 30_000,
      });
      expect(await page.evaluate('document.body.dataset.viewer')).toBe('ready');

      const webgl2 = (await page.evaluate(`(() => {
        const canvas = document.getElementById('niivue');
        const gl = canvas.getContext('webgl2');
        return { webgl2: gl !== null && gl instanceof WebGL2RenderingContext, width: canvas.width, height: canvas.height };
      })()`)) as { webgl2: boolean; width: number; height: number };
      expect(webgl2.webgl2).toBe(true);
      expect(webgl2.width).toBeGreaterThan(100);

      const canvasShot = await page.locator('#niivue').screenshot({ path: path.join(shots, 'viewer.png') });
      const png = decode(canvasShot);
      const step = png.channels;
      const colours = new Set<number>();
      let lit = 0;
      for (let i = 0; i < png.data.length; i += step) {
        const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
        if (r + g + b > 30) lit++;
        colours.add((r << 16) | (g << 8) | b);
      }
      expect(lit / (png.width * png.height)).toBeGreaterThan(0.05);
      expect(colours.size).toBeGreaterThan(50);
      // The label map is drawn over the image: the body's purple (label 6) tints part of the canvas
      // (the crosshair is red, the background black, the image grey).
      const [pr, pg, pb] = colorOf(6);
      expect(pb > pg && pr > pg).toBe(true);
      let tinted = 0;
      for (let i = 0; i < png.data.length; i += step) {
        const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
        if (b > g + 30 && r > g + 20) tinted++;
      }
      expect(tinted / (png.width * png.height)).toBeGreaterThan(0.01);

      const shot = path.join(shots, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);

      const overlays =
        (await page.evaluate(`Array.from(document.querySelectorAll('img.overlay')).map((img) => ({
        ok: img.complete && img.naturalWidth > 0,
        view: img.dataset.view,
      }))`)) as { ok: boolean; view: string }[];
      expect(overlays).toHaveLength(3 * structures);
      expect(overlays.every((o) => o.ok)).toBe(true);
      const rows = await page.$$eval('#summary tbody tr td.cls', (tds) =>
        tds.map((td) => td.textContent?.trim()),
      );
      expect(rows).toEqual(classNames);
      const legend = await page.$$eval('#legend li', (lis) => lis.length);
      expect(legend).toBe(classNames.length);

      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('`medals report DIR` rebuilds it from a case folder', async () => {
    const caseDir = path.join(dir, 'case');
    const labels = await readVolumeFile(path.join(caseDir, 'labels.nii.gz'));
    await writeVolumeFile(labels, path.join(caseDir, 'seg.nii.gz'));
    const m = await semanticMetrics(labels, labels, { labels: [1, 2] });
    await writeMetricsJson(
      path.join(caseDir, 'metrics.json'),
      semanticMetricsDocument(m, { names: { 1: 'Liver', 2: 'Spleen' } }),
    );
    const { code, stdout, stderr } = await runCli('report', caseDir);
    expect(code, stderr).toBe(0);
    const out = path.join(caseDir, 'report.html');
    expect(stdout.trim()).toBe(out);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('id="case-dsc"');
    expect(html).toMatch(/Liver/);
    expect(stderr).toMatch(/statistics computed/);

    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const none = await runCli('report', empty);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^NOT_FOUND: no label map/);
  });
});
