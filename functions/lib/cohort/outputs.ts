/**
 * The cohort's files, written through storage so each appears whole or not at all:
 *
 * - cohort.json: the aggregate (NaN figures as null);
 * - cohort.csv: one row per group x metric (and one per metric of the five-modality average);
 * - cohort.html: one self-contained page (no script, no network: the Content-Security-Policy of
 *   report/html-shell.ts forbids it) with the tables and an inline SVG box plot per class, and the comparison with a
 *   previous aggregate when given;
 * - cohort-comparison.json: the comparison, when a previous aggregate is given.
 */
import { csvText } from '../core/csv.js';
import { fixed } from '../core/format.js';
import { escapeHtml, htmlPage } from '../report/html-shell.js';
import { joinUri, storageFor } from '../storage/index.js';
import {
  COHORT_METRICS,
  type CohortAggregate,
  type CohortGroup,
  METRIC_LABELS,
  cohortGroups,
} from './aggregate.js';
import { type CohortComparison, compareCohorts } from './compare.js';
import { type MetricSummary, figure } from './statistics.js';

export const COHORT_FILES = {
  json: 'cohort.json',
  csv: 'cohort.csv',
  html: 'cohort.html',
  comparison: 'cohort-comparison.json',
} as const;

// ---------------------------------------------------------------------------------------------
// CSV

const CSV_COLUMNS = [
  'kind',
  'key',
  'metric',
  'cases',
  'n',
  'excluded',
  'mean',
  'median',
  'ci_low',
  'ci_high',
  'std',
  'min',
  'q1',
  'q3',
  'max',
] as const;

/** cohort.csv: one row per group x metric; the five-modality average as kind `modality_average`. */
export function cohortCsv(a: CohortAggregate): string {
  const records: Record<string, unknown>[] = [];
  for (const g of cohortGroups(a)) {
    for (const m of COHORT_METRICS) {
      const s = g.metrics[m];
      if (s) records.push({ kind: g.kind, key: g.key, metric: m, cases: g.cases, ...s });
    }
  }
  for (const m of COHORT_METRICS) {
    const mean = a.modality_average.means[m];
    if (mean === undefined) continue;
    const n = a.modality_average.modalities[m]?.length ?? 0;
    records.push({ kind: 'modality_average', key: 'all', metric: m, n, mean });
  }
  return csvText([CSV_COLUMNS, ...records.map((r) => CSV_COLUMNS.map((c) => r[c]))]);
}

// ---------------------------------------------------------------------------------------------
// HTML

const fmt = (v: unknown) => fixed(v, 3);

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:1100px;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6dae3;padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .3rem}.meta,.note{color:#5b6475;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.4rem 0}th,td{padding:.25rem .5rem;border-bottom:1px solid #e4e7ee;text-align:left}
th{background:#f3f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#1a7f37}.down{color:#b42318}
.plots{display:flex;flex-wrap:wrap;gap:1rem}.plot{margin:0}.plot figcaption{font-size:.85rem;font-weight:600}
svg text{font-size:11px;fill:#1d2330}
`;

function summaryTable(groups: readonly CohortGroup[], firstColumn: string): string {
  const head =
    `<tr><th>${escapeHtml(firstColumn)}</th><th>Metric</th><th>Cases</th><th>n</th><th>Excluded</th>` +
    '<th>Mean</th><th>Median</th><th>95% CI of the mean</th></tr>';
  const rows: string[] = [];
  for (const g of groups) {
    for (const m of COHORT_METRICS) {
      const s = g.metrics[m];
      if (!s) continue;
      rows.push(
        `<tr data-kind="${g.kind}" data-key="${escapeHtml(g.key)}" data-metric="${m}">` +
          `<td>${escapeHtml(g.key)}</td><td>${METRIC_LABELS[m]}</td><td class="num">${g.cases}</td>` +
          `<td class="num">${s.n}</td><td class="num">${s.excluded}</td>` +
          `<td class="num">${fmt(s.mean)}</td><td class="num">${fmt(s.median)}</td>` +
          `<td class="num">${fmt(s.ci_low)} – ${fmt(s.ci_high)}</td></tr>`,
      );
    }
  }
  if (rows.length === 0) return '<p class="note">No groups.</p>';
  return `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

const PLOT = { width: 420, left: 60, right: 16, row: 34, top: 8, axis: 26 };

/** A horizontal box plot (one row per metric of the class) on a 0..1 axis, as inline SVG. */
function boxPlotSvg(group: CohortGroup): string {
  const metrics = COHORT_METRICS.filter((m) => group.metrics[m]);
  const rows = Math.max(1, metrics.length);
  const height = PLOT.top + rows * PLOT.row + PLOT.axis;
  const span = PLOT.width - PLOT.left - PLOT.right;
  const x = (v: number) => (PLOT.left + Math.min(1, Math.max(0, v)) * span).toFixed(1);
  const parts: string[] = [];
  const axisY = PLOT.top + rows * PLOT.row;
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${x(t)}" y1="${PLOT.top}" x2="${x(t)}" y2="${axisY}" stroke="#e4e7ee"/>`,
      `<text x="${x(t)}" y="${axisY + 16}" text-anchor="middle">${t}</text>`,
    );
  }
  parts.push(
    `<line x1="${PLOT.left}" y1="${axisY}" x2="${PLOT.width - PLOT.right}" y2="${axisY}" stroke="#5b6475"/>`,
  );
  if (metrics.length === 0) {
    parts.push(`<text x="${PLOT.left + 6}" y="${PLOT.top + PLOT.row / 2 + 4}">no values</text>`);
  }
  metrics.forEach((m, i) => {
    const s = group.metrics[m] as MetricSummary;
    const cy = PLOT.top + i * PLOT.row + PLOT.row / 2;
    parts.push(`<text x="${PLOT.left - 6}" y="${cy + 4}" text-anchor="end">${METRIC_LABELS[m]}</text>`);
    if (!(s.n > 0)) {
      parts.push(`<text x="${PLOT.left + 6}" y="${cy + 4}">no values (${s.excluded} excluded)</text>`);
      return;
    }
    const h = 10;
    const [wl, q1, med, q3, wh] = [s.whisker_low, s.q1, s.median, s.q3, s.whisker_high].map(figure);
    parts.push(
      `<line x1="${x(wl)}" y1="${cy}" x2="${x(q1)}" y2="${cy}" stroke="#1d2330"/>`,
      `<line x1="${x(q3)}" y1="${cy}" x2="${x(wh)}" y2="${cy}" stroke="#1d2330"/>`,
      `<line x1="${x(wl)}" y1="${cy - h / 2}" x2="${x(wl)}" y2="${cy + h / 2}" stroke="#1d2330"/>`,
      `<line x1="${x(wh)}" y1="${cy - h / 2}" x2="${x(wh)}" y2="${cy + h / 2}" stroke="#1d2330"/>`,
      `<rect x="${x(q1)}" y="${cy - h}" width="${(Number(x(q3)) - Number(x(q1))).toFixed(1)}" height="${2 * h}" fill="#9ec5fe" stroke="#1d2330"/>`,
      `<line x1="${x(med)}" y1="${cy - h}" x2="${x(med)}" y2="${cy + h}" stroke="#1d2330" stroke-width="2"/>`,
    );
    const mean = figure(s.mean);
    const d = 4;
    parts.push(
      `<path d="M${x(mean)} ${cy - d}l${d} ${d}l${-d} ${d}l${-d} ${-d}z" fill="#b42318"><title>mean ${fmt(mean)} (95% CI ${fmt(s.ci_low)} – ${fmt(s.ci_high)})</title></path>`,
    );
    for (const o of s.outliers ?? []) {
      parts.push(`<circle cx="${x(o)}" cy="${cy}" r="2.5" fill="none" stroke="#1d2330"/>`);
    }
  });
  const label = `Box plot of ${group.key}`;
  return (
    `<svg role="img" aria-label="${escapeHtml(label)}" width="${PLOT.width}" height="${height}" ` +
    `viewBox="0 0 ${PLOT.width} ${height}">${parts.join('')}</svg>`
  );
}

function averageTable(a: CohortAggregate): string {
  const metrics = COHORT_METRICS.filter((m) => a.modality_average.means[m] !== undefined);
  if (metrics.length === 0) return '<p class="note">No modality given.</p>';
  const rows = metrics.map(
    (m) =>
      `<tr data-metric="${m}"><td>${METRIC_LABELS[m]}</td><td class="num">${fmt(a.modality_average.means[m])}</td>` +
      `<td>${escapeHtml((a.modality_average.modalities[m] ?? []).join(', '))}</td></tr>`,
  );
  return `<table><thead><tr><th>Metric</th><th>Mean of the modality means</th><th>Modalities</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function comparisonSection(c: CohortComparison): string {
  const intro = `<p class="note">Groups whose mean moved by more than ${escapeHtml(String(c.delta))} since the previous aggregate (${c.compared} group × metric pairs compared).</p>`;
  const moved =
    c.moved.length === 0
      ? '<p>No group moved by more than the delta.</p>'
      : '<table><thead><tr><th>Group</th><th>Name</th><th>Metric</th><th>Previous</th><th>Current</th><th>Change</th></tr></thead><tbody>' +
        c.moved
          .map(
            (m) =>
              `<tr class="${m.direction}" data-kind="${m.kind}" data-key="${escapeHtml(m.key)}" data-metric="${m.metric}">` +
              `<td>${m.kind}</td><td>${escapeHtml(m.key)}</td><td>${METRIC_LABELS[m.metric]}</td>` +
              `<td class="num">${fmt(m.previous)}</td><td class="num">${fmt(m.current)}</td>` +
              `<td class="num">${m.change > 0 ? '+' : ''}${fmt(m.change)} ${m.direction === 'up' ? '▲' : '▼'}</td></tr>`,
          )
          .join('') +
        '</tbody></table>';
  const list = (groups: { kind: string; key: string }[]) =>
    groups.map((g) => `${escapeHtml(g.kind)} ${escapeHtml(g.key)}`).join(', ');
  const extra = [
    c.only_in_current.length > 0 ? `<p class="note">New: ${list(c.only_in_current)}.</p>` : '',
    c.only_in_previous.length > 0 ? `<p class="note">Gone: ${list(c.only_in_previous)}.</p>` : '',
  ].join('');
  return `<section id="comparison"><h2>Comparison with the previous aggregate</h2>${intro}${moved}${extra}</section>`;
}

interface CohortHtmlOptions {
  title?: string;
  comparison?: CohortComparison;
}

/** cohort.html: tables, a box plot per class (inline SVG) and the comparison when given. */
export function cohortHtml(a: CohortAggregate, options: CohortHtmlOptions = {}): string {
  const title = options.title ?? 'Medal S cohort metrics';
  const b = a.bootstrap;
  const plots = a.classes
    .map(
      (g) =>
        `<figure class="plot" data-key="${escapeHtml(g.key)}"><figcaption>${escapeHtml(g.key)} ` +
        `<small>(${g.cases} case${g.cases === 1 ? '' : 's'})</small></figcaption>${boxPlotSvg(g)}</figure>`,
    )
    .join('');
  const body = `<header><h1>${escapeHtml(title)}</h1>
<p class="meta">${a.cases.total} cases (${a.cases.semantic} semantic, ${a.cases.instance} instance). Means, medians and ${Math.round(b.confidence * 100)}% bootstrap intervals of the mean (percentile method, ${b.resamples} resamples, seed ${b.seed}); undefined (NaN) values are excluded, as nan-means do.</p></header>
<h2>Five-modality average</h2>
${averageTable(a)}
<h2>Whole cohort</h2>
${summaryTable([a.overall], 'Cohort')}
<h2>Per modality</h2>
${summaryTable(a.modalities, 'Modality')}
<h2>Per dataset</h2>
${summaryTable(a.datasets, 'Dataset')}
<h2>Per class</h2>
${summaryTable(a.classes, 'Class')}
<h2>Box plots per class</h2>
<p class="note">Box: quartiles; line: median; whiskers: furthest values within 1.5 IQR; circles: outliers; red diamond: mean.</p>
<div class="plots">${plots}</div>
${options.comparison ? comparisonSection(options.comparison) : ''}`;
  return htmlPage({ title, allow: ["style-src 'unsafe-inline'", 'img-src data:'], style: STYLE, body });
}

// ---------------------------------------------------------------------------------------------
// Writers

/** Writes cohort.json at `uri` (atomically); returns `uri`. */
async function writeCohortJson(uri: string, a: CohortAggregate): Promise<string> {
  await storageFor(uri).writeJson(uri, a);
  return uri;
}

/** Writes cohort.csv at `uri` (atomically); returns `uri`. */
async function writeCohortCsv(uri: string, a: CohortAggregate): Promise<string> {
  await storageFor(uri).writeText(uri, cohortCsv(a), { contentType: 'text/csv; charset=utf-8' });
  return uri;
}

/** Writes cohort.html at `uri` (atomically); returns `uri`. */
async function writeCohortHtml(
  uri: string,
  a: CohortAggregate,
  options: CohortHtmlOptions = {},
): Promise<string> {
  await storageFor(uri).writeText(uri, cohortHtml(a, options), { contentType: 'text/html; charset=utf-8' });
  return uri;
}

/** Writes cohort-comparison.json at `uri` (atomically); returns `uri`. */
async function writeComparisonJson(uri: string, c: CohortComparison): Promise<string> {
  await storageFor(uri).writeJson(uri, c);
  return uri;
}

/**
 * Writes cohort.json, cohort.csv and cohort.html under `output` (a folder path, file:// or s3://
 * prefix), and cohort-comparison.json (and the comparison section of the page) when `previous`
 * is given; returns the URIs written and the comparison.
 */
export async function writeCohort(
  output: string,
  a: CohortAggregate,
  options: { previous?: CohortAggregate; delta?: number; title?: string } = {},
): Promise<{ files: Partial<Record<keyof typeof COHORT_FILES, string>>; comparison?: CohortComparison }> {
  const comparison = options.previous
    ? compareCohorts(a, options.previous, { delta: options.delta })
    : undefined;
  const files: Partial<Record<keyof typeof COHORT_FILES, string>> = {};
  files.json = await writeCohortJson(joinUri(output, COHORT_FILES.json), a);
  files.csv = await writeCohortCsv(joinUri(output, COHORT_FILES.csv), a);
  if (comparison)
    files.comparison = await writeComparisonJson(joinUri(output, COHORT_FILES.comparison), comparison);
  files.html = await writeCohortHtml(joinUri(output, COHORT_FILES.html), a, {
    title: options.title,
    comparison,
  });
  return comparison ? { files, comparison } : { files };
}
