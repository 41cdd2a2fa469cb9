/**
 * report.html: one self-contained page per case that works when opened from disk. Everything it
 * shows is inside it: the summary table, the slice overlays as PNG data URIs, and the
 * interactive NiiVue viewer (its script inlined, the image and label map as base64 gzipped
 * NIfTI, downsampled so that the page stays small), in the frame of html-shell.ts, whose
 * Content-Security-Policy forbids every network access.
 */
import { InvalidInputError } from '../core/errors.js';
import { fixed } from '../core/format.js';
import { packageVersion } from '../core/package-info.js';
import { storageFor } from '../storage/index.js';
import { type Vec3, type Volume, sameGeometry } from '../geometry/volume.js';
import type { MetricsDocument } from '../metrics/outputs.js';
import type { CaseStats, StructureStats } from '../stats/index.js';
import { colorOf, hexOf, niivueLabelColormap } from './colors.js';
import { downsampleFactors, downsampleImage, downsampleLabels, encodeNifti } from './nifti.js';
import { type SliceImage, VIEWS, defaultWindow, obliquity, renderSlice, viewPlanes } from './slices.js';
import { escapeHtml, htmlPage } from './html-shell.js';
import { VIEWER_GLOBAL, viewerBundle } from './viewer-bundle.js';

/** The page must stay below this many bytes (the issue's "under 20 MB"). */
const REPORT_MAX_BYTES = 20_000_000;
/** Voxels of the viewer's copy of the image (and of the label map) before any shrinking. */
const VIEWER_MAX_VOXELS = 4_000_000;

export interface ReportInput {
  /** The original image. */
  image: Volume;
  /** The label map on the image's grid. */
  labels: Volume;
  stats: CaseStats;
  metrics?: MetricsDocument | null;
  /** A few facts from provenance.json shown in the header (medals version, model, time). */
  provenance?: {
    created_at?: string;
    model?: { name?: string | null } | null;
    medals?: { version?: string };
  } | null;
  title?: string;
  /** Grey window of the image (default: defaultWindow). */
  window?: [number, number];
  maxBytes?: number;
  viewerVoxels?: number;
  /** Longer side of each overlay PNG in pixels (default 256). */
  overlayLongSide?: number;
}

interface ReportClass {
  value: number;
  name: string;
  color: string;
  structure: StructureStats | null;
  metrics: Record<string, number | null>;
}

interface ReportResult {
  html: string;
  bytes: number;
  classes: ReportClass[];
  overlays: number;
  viewer: { size: Vec3; spacing: Vec3; factors: Vec3 };
}

const fmt = (v: number | null | undefined, digits = 4) => fixed(v, digits);

const AXES = ['i', 'j', 'k'];

/** The classes of the report: every structure of the stats and every scored class. */
function reportClasses(stats: CaseStats, metrics?: MetricsDocument | null): ReportClass[] {
  const byValue = new Map<number, ReportClass>();
  const get = (value: number, name: string | null) => {
    let c = byValue.get(value);
    if (!c) {
      c = {
        value,
        name: name ?? `label ${value}`,
        color: hexOf(colorOf(value)),
        structure: null,
        metrics: {},
      };
      byValue.set(value, c);
    } else if (name && c.name === `label ${value}`) c.name = name;
    return c;
  };
  for (const s of stats.structures) if (s.value !== 0) get(s.value, s.name).structure = s;
  if (metrics?.task === 'semantic') {
    for (const m of metrics.classes) get(m.value, m.name).metrics = { DSC: m.dsc, NSD: m.nsd };
  } else if (metrics?.task === 'instance') {
    for (const m of metrics.classes) {
      if (m.value !== null) get(m.value, m.name).metrics = { F1: m.f1, 'DSC TP': m.dsc_tp };
    }
  }
  return [...byValue.values()].sort((a, b) => a.value - b.value);
}

function metricColumns(metrics?: MetricsDocument | null): string[] {
  if (metrics?.task === 'semantic') return ['DSC', 'NSD'];
  if (metrics?.task === 'instance') return ['F1', 'DSC TP'];
  return [];
}

function summaryTable(
  classes: ReportClass[],
  metrics: MetricsDocument | null | undefined,
  hasIntensity: boolean,
): string {
  const cols = metricColumns(metrics);
  const head = [
    'Class',
    'Value',
    'Volume (ml)',
    'Voxels',
    'Components',
    'Touches border',
    ...(hasIntensity ? ['Intensity mean ± std'] : []),
    ...cols,
  ];
  const rows = classes.map((c) => {
    const s = c.structure;
    const present = s !== null && s.voxels > 0;
    const cells = [
      `<td class="cls"><span class="swatch" style="background:${c.color}"></span>${escapeHtml(c.name)}</td>`,
      `<td class="num">${c.value}</td>`,
      `<td class="num">${present ? fmt(s.volumeMl, 2) : s ? '0 (not found)' : '–'}</td>`,
      `<td class="num">${s ? s.voxels : '–'}</td>`,
      `<td class="num">${s ? s.components : '–'}</td>`,
      `<td>${present ? (s.touchesBorder ? `yes (${s.borderFaces.join(' ')})` : 'no') : '–'}</td>`,
      ...(hasIntensity
        ? [
            `<td class="num">${present && s.intensity ? `${fmt(s.intensity.mean, 1)} ± ${fmt(s.intensity.std, 1)}` : '–'}</td>`,
          ]
        : []),
      ...cols.map((k) => `<td class="num">${fmt(c.metrics[k])}</td>`),
    ];
    return `<tr data-value="${c.value}">${cells.join('')}</tr>`;
  });
  return `<table id="summary"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function caseFigures(metrics: MetricsDocument | null | undefined): string {
  if (!metrics) return '<p class="figures">No ground truth was given: statistics only.</p>';
  if (metrics.task === 'semantic') {
    return (
      `<p class="figures">Case DSC <b id="case-dsc">${fmt(metrics.dsc)}</b> · NSD <b id="case-nsd">${fmt(metrics.nsd)}</b> ` +
      `at ${metrics.tolerance_mm} mm · ${metrics.classes.length} scored class(es), labels scored by value, ` +
      `case scores are the mean over the classes present in the ground truth.</p>`
    );
  }
  return (
    `<p class="figures">Instance task: F1 <b id="case-f1">${fmt(metrics.f1)}</b> · DSC TP <b id="case-dsc-tp">${fmt(metrics.dsc_tp)}</b> ` +
    `· TP ${metrics.tp}, FP ${metrics.fp}, FN ${metrics.fn} at IoU ≥ ${metrics.iou_threshold}.</p>`
  );
}

function pngUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

function overlaySection(
  image: Volume,
  labels: Volume,
  classes: ReportClass[],
  window: [number, number],
  longSide: number,
): { html: string; count: number } {
  const planes = viewPlanes(image.direction);
  const figures: string[] = [];
  let count = 0;
  for (const c of classes) {
    const s = c.structure;
    if (!s || s.voxels === 0 || !s.centroidIndex) continue;
    const slices: SliceImage[] = VIEWS.map((view) =>
      renderSlice(image, labels, planes[view], s.centroidIndex![planes[view].normal], {
        window,
        focus: c.value,
        longSide,
      }),
    );
    count += slices.length;
    const imgs = slices
      .map(
        (sl) =>
          `<figure class="slice"><img class="overlay" data-value="${c.value}" data-view="${sl.view}" ` +
          `width="${sl.width}" height="${sl.height}" alt="${escapeHtml(`${c.name}, ${sl.view} slice`)}" src="${pngUri(sl.png)}">` +
          `<figcaption>${sl.view}, ${AXES[sl.normal]} = ${sl.index} · ${fmt(sl.sizeMm[0], 0)} × ${fmt(sl.sizeMm[1], 0)} mm</figcaption></figure>`,
      )
      .join('');
    const centroid = s.centroidMm ? s.centroidMm.map((v) => v.toFixed(1)).join(', ') : '–';
    figures.push(
      `<section class="structure" id="structure-${c.value}"><h3><span class="swatch" style="background:${c.color}"></span>` +
        `${escapeHtml(c.name)} <small>(value ${c.value}, centroid LPS ${centroid} mm)</small></h3><div class="slices">${imgs}</div></section>`,
    );
  }
  return { html: figures.join('\n'), count };
}

function legend(classes: ReportClass[]): string {
  return `<ul id="legend">${classes
    .map(
      (c) =>
        `<li data-value="${c.value}"><span class="swatch" style="background:${c.color}"></span>${escapeHtml(c.name)} (${c.value})</li>`,
    )
    .join('')}</ul>`;
}

function geometryNote(image: Volume, viewer: { size: Vec3; spacing: Vec3 }): string {
  const tilt = obliquity(image.direction);
  const sp = image.spacing.map((v) => fmt(v, 3)).join(' × ');
  const obliqueText =
    tilt > 0.5
      ? `The image is oblique: its voxel grid is tilted by up to ${tilt.toFixed(1)}° from the patient axes, so these planes are tilted by as much from true axial, coronal and sagittal planes.`
      : 'The voxel grid is aligned with the patient axes.';
  return (
    `<p class="note" id="overlay-note">Slices are cut through the voxel grid (no resampling) through each structure's centroid: ` +
    `axial, coronal and sagittal are the grid planes nearest to those patient planes, shown in radiological convention ` +
    `(patient's right on the left; anterior on the left in sagittal views). ${obliqueText} ` +
    `Pixels are scaled by the voxel spacing (${sp} mm along i, j, k), so each picture has its true physical aspect ratio. ` +
    `All structures are tinted in their class colour; the structure of each row is outlined. ` +
    `The interactive viewer shows a copy downsampled to ${viewer.size.join(' × ')} voxels of ${viewer.spacing.map((v) => fmt(v, 2)).join(' × ')} mm.</p>`
  );
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330}
body{margin:0 auto;max-width:1200px;padding:1rem 1.5rem 3rem;line-height:1.45}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d7dbe3}
h3{font-size:1rem;margin:.6rem 0}h3 small{font-weight:normal;color:#5b6475}
.meta,.note{color:#5b6475;font-size:.9rem}.figures{font-size:1.05rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{padding:.3rem .6rem;border-bottom:1px solid #e4e7ee;text-align:left}
th{background:#f3f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.45em;vertical-align:-.1em;border:1px solid #0003}
#legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;list-style:none;padding:0}
#viewer{position:relative;width:100%;height:520px;background:#000;border-radius:4px;overflow:hidden}
#viewer canvas{width:100%;height:100%;display:block}.viewer-error{color:#fff;padding:1rem}
.slices{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-start}.slice{margin:0}
.slice img{display:block;image-rendering:pixelated;background:#000;max-width:100%;height:auto}
.slice figcaption{font-size:.8rem;color:#5b6475}
`;

/** What the page loads: its overlays, the viewer's inlined script, workers and data, no more. */
const ALLOW = [
  'img-src data: blob:',
  "style-src 'unsafe-inline'",
  "script-src 'unsafe-inline'",
  'worker-src blob:',
  'connect-src data: blob:',
  'font-src data:',
];

/** JSON safe to put inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

interface PageParts {
  title: string;
  meta: string;
  figures: string;
  table: string;
  legend: string;
  note: string;
  overlays: string;
  viewerData: string;
  viewerScript: string;
}

function page(p: PageParts): string {
  const body = `<header><h1>${escapeHtml(p.title)}</h1><p class="meta">${p.meta}</p></header>
<h2>Summary</h2>
${p.figures}
${p.table}
<h2>Class colours</h2>
${p.legend}
<h2>Interactive viewer</h2>
<p class="note">Image with the label map (NiiVue): click or drag to move the crosshair, scroll to change slices, right-drag to change the window, drag in the 3D view to rotate.</p>
<div id="viewer"><canvas id="niivue"></canvas></div>
<h2>Slice overlays</h2>
${p.note}
${p.overlays}
<footer class="note"><p>Written by medals ${escapeHtml(packageVersion())}. The viewer is NiiVue (BSD-2-Clause, github.com/niivue/niivue), bundled into this page.</p></footer>
<script type="application/json" id="medals-viewer-data">${p.viewerData}</script>
<script>${p.viewerScript}</script>
<script>
(function () {
  var element = document.getElementById('viewer');
  try {
    var data = JSON.parse(document.getElementById('medals-viewer-data').textContent);
    ${VIEWER_GLOBAL}.start(document.getElementById('niivue'), data).then(function (nv) {
      window.medalsViewer = nv;
      document.body.dataset.viewer = 'ready';
    }, function (e) {
      ${VIEWER_GLOBAL}.fail(element, e);
      document.body.dataset.viewer = 'failed';
    });
  } catch (e) {
    element.textContent = 'The interactive viewer could not start: ' + e;
    document.body.dataset.viewer = 'failed';
  }
})();
</script>`;
  return htmlPage({
    title: p.title,
    allow: ALLOW,
    style: STYLE,
    generator: `medals ${packageVersion()}`,
    bodyAttributes: { 'data-viewer': 'loading' },
    body,
  });
}

/** Builds report.html's text (INVALID_INPUT when the image and the label map differ in geometry). */
export async function buildReport(input: ReportInput): Promise<ReportResult> {
  const { image, labels, stats } = input;
  if (!sameGeometry(image.geometry, labels.geometry, 1e-4)) {
    throw new InvalidInputError(
      `report: the label map (size ${labels.size.join('x')}, spacing ${labels.spacing.join(', ')}) is not on the image's grid (size ${image.size.join('x')}, spacing ${image.spacing.join(', ')})`,
    );
  }
  if (labels.type === 'float32')
    throw new InvalidInputError('report: the label map must hold integer labels');
  const maxBytes = input.maxBytes ?? REPORT_MAX_BYTES;
  const classes = reportClasses(stats, input.metrics);
  const window = input.window ?? defaultWindow(image);
  const title = input.title ?? 'medals segmentation report';
  const prov = input.provenance;
  const meta = [
    prov?.created_at ? `created ${escapeHtml(prov.created_at)}` : `written ${new Date().toISOString()}`,
    prov?.model?.name ? `model ${escapeHtml(prov.model.name)}` : null,
    `image ${image.size.join(' × ')} voxels, spacing ${image.spacing.map((v) => fmt(v, 3)).join(' × ')} mm`,
  ]
    .filter(Boolean)
    .join(' · ');
  const bundle = await viewerBundle();
  const lut = niivueLabelColormap(classes.map((c) => ({ value: c.value, name: c.name })));

  let viewerVoxels = input.viewerVoxels ?? VIEWER_MAX_VOXELS;
  let longSide = input.overlayLongSide ?? 256;
  for (let attempt = 0; ; attempt++) {
    const factors = downsampleFactors(image.size, image.spacing, viewerVoxels);
    const small = downsampleImage(image, factors);
    const smallLabels = downsampleLabels(labels, factors);
    const viewer = { size: small.size, spacing: small.spacing, factors };
    const overlays = overlaySection(image, labels, classes, window, longSide);
    const viewerData = scriptJson({
      image: encodeNifti(small, { description: 'medals report image' }).toString('base64'),
      labels: encodeNifti(smallLabels, { description: 'medals report labels' }).toString('base64'),
      lut,
      window,
      opacity: 0.5,
    });
    const html = page({
      title,
      meta,
      figures: caseFigures(input.metrics),
      table: summaryTable(classes, input.metrics, stats.hasIntensity),
      legend: legend(classes),
      note: geometryNote(image, viewer),
      overlays: overlays.html,
      viewerData,
      viewerScript: bundle,
    });
    const bytes = Buffer.byteLength(html);
    if (bytes <= maxBytes || attempt >= 6) {
      if (bytes > maxBytes) {
        throw new InvalidInputError(
          `report: the page needs ${bytes} bytes even with the viewer at ${viewer.size.join('x')} voxels, above the ${maxBytes} allowed`,
        );
      }
      return { html, bytes, classes, overlays: overlays.count, viewer };
    }
    // Too big: shrink the viewer's copy first, then the overlays.
    viewerVoxels = Math.max(4096, Math.floor(viewerVoxels / 4));
    if (attempt >= 2) longSide = Math.max(96, Math.floor(longSide * 0.75));
  }
}

/** Builds report.html and writes it at `uri` (atomically); returns the result without the text. */
export async function writeReport(
  uri: string,
  input: ReportInput,
): Promise<Omit<ReportResult, 'html'> & { uri: string }> {
  const result = await buildReport(input);
  await storageFor(uri).writeText(uri, result.html, { contentType: 'text/html; charset=utf-8' });
  const { html: _html, ...rest } = result;
  return { ...rest, uri };
}
