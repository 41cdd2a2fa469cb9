import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aggregateCohort,
  bootstrapMeanCi,
  type CohortAggregate,
  type CohortCase,
  cohortCsv,
  cohortHtml,
  compareCohorts,
  quantile,
  writeCohort,
} from '../../../functions/lib/cohort/index.js';
import { SeededRandom } from '../../../functions/lib/core/random.js';
import type { MetricsDocument } from '../../../functions/lib/metrics/outputs.js';
import { tempDir } from '../../helpers/tmp.js';

type Cls = { value: number; name: string | null; dsc: number | null; nsd: number | null };

function semantic(dsc: number | null, nsd: number | null, classes: Cls[]): MetricsDocument {
  return {
    format: 'medals-metrics/1',
    task: 'semantic',
    dsc,
    nsd,
    tolerance_mm: 2,
    spacing_mm: [1, 1, 1],
    classes: classes.map((c) => ({
      ...c,
      gt_voxels: 1,
      pred_voxels: 1,
      intersection_voxels: 1,
      gt_surface_mm2: 1,
      pred_surface_mm2: 1,
    })),
    not_in_ground_truth: [],
  } as unknown as MetricsDocument;
}

function instance(f1: number, dscTp: number): MetricsDocument {
  const figures = { f1, dsc_tp: dscTp, precision: f1, recall: f1, tp: 1, fp: 1, fn: 1 };
  return {
    format: 'medals-metrics/1',
    task: 'instance',
    ...figures,
    iou_threshold: 0.5,
    classes: [
      {
        value: 1,
        name: 'Cell',
        ...figures,
        gt_instances: 2,
        pred_instances: 2,
        prediction_relabelled: true,
      },
    ],
    matches: [],
  };
}

/** The small cohort of the hand computations below (b2's NaNs as metrics.json stores them: null). */
function cohort(
  tweak: { liver?: number; kidneyNsd?: number; a1Dsc?: number; cell?: number } = {},
): CohortCase[] {
  const l = tweak.liver ?? 0;
  const c = tweak.cell ?? 0;
  return [
    {
      id: 'a1',
      dataset: 'A',
      modality: 'CT',
      metrics: semantic(0.7 + (tweak.a1Dsc ?? 0), 0.8, [
        { value: 1, name: 'Liver', dsc: 0.8 + l, nsd: 0.9 },
        { value: 2, name: 'Kidney', dsc: 0.6, nsd: 0.7 + (tweak.kidneyNsd ?? 0) },
      ]),
    },
    {
      id: 'a2',
      dataset: 'A',
      modality: 'CT',
      metrics: semantic(0.9, 1.0, [
        { value: 1, name: 'Liver', dsc: 0.9 + l, nsd: 1.0 },
        { value: 2, name: 'Kidney', dsc: NaN, nsd: NaN },
      ]),
    },
    {
      id: 'b1',
      dataset: 'B',
      modality: 'MR',
      metrics: semantic(0.5, 0.6, [{ value: 1, name: 'Liver', dsc: 0.5 + l, nsd: 0.6 }]),
    },
    { id: 'b2', dataset: 'B', modality: 'MR', metrics: semantic(null, null, []) },
    { id: 'c1', dataset: 'C', modality: 'Microscopy', metrics: instance(0.4 + c, 0.8) },
    { id: 'c2', dataset: 'C', modality: 'Microscopy', metrics: instance(0.6 + c, 0.7) },
  ];
}

const group = (groups: CohortAggregate['classes'], key: string) => {
  const g = groups.find((x) => x.key === key);
  if (!g) throw new Error(`no group ${key}`);
  return g;
};

describe('cohort statistics', () => {
  it('quantiles interpolate linearly between order statistics', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('per class, dataset and modality tables match the hand computations', () => {
    const a = aggregateCohort(cohort(), { bootstrap: 200, seed: 1 });
    expect(a.cases).toEqual({ total: 6, semantic: 4, instance: 2 });
    expect(a.classes.map((g) => g.key)).toEqual(['Cell', 'Kidney', 'Liver']);

    const liver = group(a.classes, 'Liver');
    expect(liver.cases).toBe(3);
    expect(liver.datasets).toEqual(['A', 'B']);
    expect(liver.metrics.dsc!.n).toBe(3);
    expect(liver.metrics.dsc!.mean).toBeCloseTo((0.8 + 0.9 + 0.5) / 3, 12);
    expect(liver.metrics.dsc!.median).toBeCloseTo(0.8, 12);
    expect(liver.metrics.nsd!.mean).toBeCloseTo((0.9 + 1.0 + 0.6) / 3, 12);
    expect(liver.metrics.nsd!.median).toBeCloseTo(0.9, 12);
    expect(liver.metrics.f1).toBeUndefined();

    const cell = group(a.classes, 'Cell');
    expect(cell.metrics.f1!.mean).toBeCloseTo(0.5, 12);
    expect(cell.metrics.f1!.median).toBeCloseTo(0.5, 12);
    expect(cell.metrics.dsc_tp!.mean).toBeCloseTo(0.75, 12);
    expect(cell.metrics.dsc).toBeUndefined();

    const datasetA = group(a.datasets, 'A');
    expect(datasetA.metrics.dsc!.mean).toBeCloseTo(0.8, 12);
    expect(datasetA.metrics.nsd!.mean).toBeCloseTo(0.9, 12);
    expect(group(a.modalities, 'CT').metrics.dsc!.mean).toBeCloseTo(0.8, 12);
    expect(group(a.modalities, 'MR').metrics.dsc!.mean).toBeCloseTo(0.5, 12);

    // Whole cohort: the case-level mean; the paper's average: the mean of the modality means.
    expect(a.overall.metrics.dsc!.mean).toBeCloseTo((0.7 + 0.9 + 0.5) / 3, 12);
    expect(a.modality_average.means.dsc).toBeCloseTo((0.8 + 0.5) / 2, 12);
    expect(a.modality_average.means.nsd).toBeCloseTo((0.9 + 0.6) / 2, 12);
    expect(a.modality_average.means.f1).toBeCloseTo(0.5, 12);
    expect(a.modality_average.modalities.dsc).toEqual(['CT', 'MR']);
    expect(a.modality_average.modalities.f1).toEqual(['Microscopy']);
  });

  it('excludes NaN and null as nan-means do, and counts them', () => {
    const a = aggregateCohort(cohort(), { bootstrap: 100, seed: 1 });
    const kidney = group(a.classes, 'Kidney').metrics.dsc!;
    expect(kidney).toMatchObject({ n: 1, excluded: 1, mean: 0.6, median: 0.6, ci_low: 0.6, ci_high: 0.6 });
    const b = group(a.datasets, 'B').metrics.dsc!;
    expect(b).toMatchObject({ n: 1, excluded: 1, mean: 0.5 });
    expect(a.overall.metrics.dsc).toMatchObject({ n: 3, excluded: 1 });

    const allNaN = aggregateCohort([{ id: 'x', metrics: semantic(NaN, NaN, []) }], { bootstrap: 10 });
    const s = allNaN.overall.metrics.dsc!;
    expect(s.n).toBe(0);
    expect(s.mean).toBeNaN();
    expect(s.ci_low).toBeNaN();
    // NaN is null on disk.
    const disk = JSON.parse(JSON.stringify(allNaN)) as CohortAggregate;
    expect(disk.overall.metrics.dsc!.mean).toBeNull();
  });

  it('bootstrap interval contains the mean and is reproducible with the same seed', () => {
    const random = new SeededRandom(7);
    const cases: CohortCase[] = Array.from({ length: 40 }, (_, i) => ({
      id: `case-${String(i).padStart(2, '0')}`,
      dataset: 'D',
      modality: 'CT',
      metrics: semantic(random.next(), random.next(), [
        { value: 1, name: 'Liver', dsc: random.next(), nsd: random.next() },
      ]),
    }));
    const a = aggregateCohort(cases, { bootstrap: 1000, seed: 42 });
    for (const g of [a.overall, ...a.classes, ...a.datasets]) {
      for (const s of [g.metrics.dsc!, g.metrics.nsd!]) {
        expect(s.ci_low).toBeLessThan(s.mean);
        expect(s.ci_high).toBeGreaterThan(s.mean);
        // Roughly mean +- 1.96 standard errors.
        const se = s.std / Math.sqrt(s.n);
        expect(s.ci_high - s.ci_low).toBeGreaterThan(2 * 1.96 * se * 0.8);
        expect(s.ci_high - s.ci_low).toBeLessThan(2 * 1.96 * se * 1.2);
      }
    }
    const again = aggregateCohort([...cases].reverse(), { bootstrap: 1000, seed: 42 });
    expect(again).toEqual(a);
    const other = aggregateCohort(cases, { bootstrap: 1000, seed: 43 });
    expect(other.overall.metrics.dsc!.ci_low).not.toBe(a.overall.metrics.dsc!.ci_low);
    expect(other.overall.metrics.dsc!.mean).toBe(a.overall.metrics.dsc!.mean);

    const values = [0.1, 0.5, 0.9];
    const ci1 = bootstrapMeanCi(values, 500, new SeededRandom(3));
    expect(bootstrapMeanCi(values, 500, new SeededRandom(3))).toEqual(ci1);
    expect(ci1[0]).toBeGreaterThanOrEqual(0.1);
    expect(ci1[1]).toBeLessThanOrEqual(0.9);
  });

  it('rejects duplicate ids and bad options', () => {
    const c = cohort();
    expect(() => aggregateCohort([c[0], c[0]])).toThrow(/twice/);
    expect(() => aggregateCohort(c, { seed: -1 })).toThrow(/seed/);
    expect(() => aggregateCohort(c, { bootstrap: 1.5 })).toThrow(/bootstrap/);
  });
});

describe('cohort comparison', () => {
  it('lists exactly the groups that moved by more than delta, up or down', () => {
    const previous = aggregateCohort(cohort(), { bootstrap: 50, seed: 1 });
    // Liver DSC +0.05, Kidney NSD -0.03, a1's case DSC +0.05 (dataset A and CT: +0.025, the whole
    // cohort +0.0167), Cell F1 +0.01: below the delta.
    const current = aggregateCohort(cohort({ liver: 0.05, kidneyNsd: -0.03, a1Dsc: 0.05, cell: 0.01 }), {
      bootstrap: 50,
      seed: 1,
    });
    // The previous aggregate as read back from cohort.json (NaN as null).
    const fromDisk = JSON.parse(JSON.stringify(previous)) as CohortAggregate;
    const c = compareCohorts(current, fromDisk, { delta: 0.02 });
    const moves = c.moved.map((m) => `${m.kind}:${m.key}:${m.metric}:${m.direction}`);
    expect(moves.filter((m) => m.startsWith('class:'))).toEqual([
      'class:Kidney:nsd:down',
      'class:Liver:dsc:up',
    ]);
    expect(moves).toEqual([
      'class:Kidney:nsd:down',
      'class:Liver:dsc:up',
      'dataset:A:dsc:up',
      'modality:CT:dsc:up',
    ]);
    const liver = c.moved.find((m) => m.key === 'Liver')!;
    expect(liver.change).toBeCloseTo(0.05, 12);
    expect(c.only_in_current).toEqual([]);
    expect(c.only_in_previous).toEqual([]);

    // A larger delta: only the Liver move remains.
    expect(compareCohorts(current, previous, { delta: 0.04 }).moved.map((m) => m.key)).toEqual(['Liver']);
    // New and gone groups are listed.
    const fewer = aggregateCohort(cohort().slice(0, 4), { bootstrap: 10 });
    const d = compareCohorts(fewer, previous);
    expect(d.only_in_previous).toEqual(
      expect.arrayContaining([
        { kind: 'class', key: 'Cell' },
        { kind: 'dataset', key: 'C' },
        { kind: 'modality', key: 'Microscopy' },
      ]),
    );
  });
});

describe('cohort files', () => {
  it('writes cohort.json, cohort.csv and a self-contained cohort.html with one SVG per class', async () => {
    const dir = tempDir('medals-cohort-');
    const previous = aggregateCohort(cohort(), { bootstrap: 100, seed: 5 });
    const a = aggregateCohort(cohort({ liver: 0.05 }), { bootstrap: 100, seed: 5 });
    const { files, comparison } = await writeCohort(dir, a, { previous, delta: 0.02 });
    expect(Object.keys(files).sort()).toEqual(['comparison', 'csv', 'html', 'json']);
    expect(comparison!.moved.map((m) => m.key)).toEqual(['Liver']);

    const json = JSON.parse(readFileSync(path.join(dir, 'cohort.json'), 'utf8'));
    expect(json.format).toBe('medals-cohort/1');
    expect(json.classes).toHaveLength(3);
    const saved = JSON.parse(readFileSync(path.join(dir, 'cohort-comparison.json'), 'utf8'));
    expect(saved.moved).toHaveLength(1);

    const csv = readFileSync(path.join(dir, 'cohort.csv'), 'utf8').trim().split('\n');
    const groups = [a.overall, ...a.classes, ...a.datasets, ...a.modalities];
    const groupRows = groups.reduce((n, g) => n + Object.keys(g.metrics).length, 0);
    const averageRows = Object.keys(a.modality_average.means).length;
    expect(csv[0]).toBe('kind,key,metric,cases,n,excluded,mean,median,ci_low,ci_high,std,min,q1,q3,max');
    expect(csv).toHaveLength(1 + groupRows + averageRows);
    expect(csv).toContain(
      `class,Liver,dsc,3,3,0,${a.classes[2].metrics.dsc!.mean},0.8500000000000001,` +
        `${a.classes[2].metrics.dsc!.ci_low},${a.classes[2].metrics.dsc!.ci_high},` +
        `${a.classes[2].metrics.dsc!.std},0.55,${a.classes[2].metrics.dsc!.q1},` +
        `${a.classes[2].metrics.dsc!.q3},0.9500000000000001`,
    );
    expect(cohortCsv(a)).toBe(readFileSync(path.join(dir, 'cohort.csv'), 'utf8'));

    const html = readFileSync(path.join(dir, 'cohort.html'), 'utf8');
    expect(html).toBe(cohortHtml(a, { comparison }));
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*https?:\/\//i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script|<link|<iframe|<img/i);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    expect(html.match(/<svg\b/g)).toHaveLength(a.classes.length);
    for (const g of a.classes) expect(html).toContain(`<figure class="plot" data-key="${g.key}">`);
    expect(html).toContain('id="comparison"');
    expect(html).toContain('data-kind="class" data-key="Liver" data-metric="dsc"');
  });

  it('escapes names and draws a class without values', () => {
    const a = aggregateCohort(
      [{ id: 'x', metrics: semantic(NaN, NaN, [{ value: 3, name: '<b>"T&amp"</b>', dsc: NaN, nsd: NaN }]) }],
      { bootstrap: 10 },
    );
    const html = cohortHtml(a);
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;b&gt;');
    expect(html.match(/<svg\b/g)).toHaveLength(1);
    expect(html).toContain('no values (1 excluded)');
  });
});
