/**
 * Cohort aggregation: many cases' metrics.json documents combined into groups per class, per
 * dataset, per modality and over the whole cohort, each metric of a group summarised by
 * statistics.ts (n, mean, median, a 95 % bootstrap confidence interval of the mean, box-plot
 * figures), plus the paper's five-modality average (the mean over modalities of the
 * per-modality means). compare.ts compares two aggregates.
 *
 * - Metrics: `dsc` and `nsd` from semantic tasks, `f1` and `dsc_tp` from instance tasks.
 * - Per-class tables use the per-class figures of each case; the per-dataset, per-modality and
 *   overall tables use the case-level figures (the case's nan-mean, as the challenge scores a
 *   case). A case without a dataset (modality) is left out of the dataset (modality) table only.
 * - A class is identified by its name when known (so "Liver" from several datasets is one
 *   class); an unnamed class by its label value, prefixed with the dataset when given, as label
 *   values mean different things in different datasets.
 * - NaN (or null, as metrics.json stores an undefined figure) is excluded, as nan-means do, and
 *   counted in `excluded`. A figure that is not defined (n = 0) is NaN in memory and null in the
 *   JSON files.
 * - Values enter each group in the order of the case ids, and each group draws its bootstrap
 *   resamples from its own generator seeded by (seed, group, metric), so the intervals do not
 *   depend on the order of the cases nor on which other groups exist.
 */
import { InvalidInputError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import type { MetricsDocument } from '../metrics/outputs.js';
import { type MetricSummary, figure, summarize } from './statistics.js';

const COHORT_FORMAT = 'medals-cohort/1';

export const COHORT_METRICS = ['dsc', 'nsd', 'f1', 'dsc_tp'] as const;
export type CohortMetric = (typeof COHORT_METRICS)[number];

export const METRIC_LABELS: Record<CohortMetric, string> = {
  dsc: 'DSC',
  nsd: 'NSD',
  f1: 'F1',
  dsc_tp: 'DSC TP',
};

export type GroupKind = 'overall' | 'class' | 'dataset' | 'modality';

export interface CohortCase {
  id: string;
  dataset?: string;
  modality?: string;
  metrics: MetricsDocument;
}

interface AggregateOptions {
  /** Bootstrap resamples (default 1000); 0 leaves the intervals undefined. */
  bootstrap?: number;
  /** Seed of the bootstrap generators (a non-negative integer, default 0). */
  seed?: number;
  /** Confidence level of the interval (default 0.95). */
  confidence?: number;
}

export interface CohortGroup {
  kind: GroupKind;
  key: string;
  /** Cases contributing to the group. */
  cases: number;
  tasks: ('semantic' | 'instance')[];
  /** Class groups: the label value(s) and name as in the metrics documents. */
  values?: (number | null)[];
  name?: string | null;
  /** Class groups: datasets the class came from. */
  datasets?: string[];
  metrics: Partial<Record<CohortMetric, MetricSummary>>;
}

interface ModalityAverage {
  /** Modalities averaged (those with a defined mean of the metric). */
  modalities: Partial<Record<CohortMetric, string[]>>;
  means: Partial<Record<CohortMetric, number>>;
}

export interface CohortAggregate {
  format: typeof COHORT_FORMAT;
  bootstrap: { resamples: number; seed: number; confidence: number; method: 'percentile' };
  cases: { total: number; semantic: number; instance: number };
  overall: CohortGroup;
  classes: CohortGroup[];
  datasets: CohortGroup[];
  modalities: CohortGroup[];
  modality_average: ModalityAverage;
}

/** 32-bit FNV-1a of a string. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function groupRandom(seed: number, kind: GroupKind, key: string, metric: CohortMetric): SeededRandom {
  return new SeededRandom((hash32(`${kind}\u0000${key}\u0000${metric}`) ^ seed) >>> 0);
}

interface Collector {
  kind: GroupKind;
  key: string;
  cases: Set<string>;
  tasks: Set<'semantic' | 'instance'>;
  values: Set<number | null>;
  names: Set<string | null>;
  datasets: Set<string>;
  figures: Partial<Record<CohortMetric, unknown[]>>;
}

function collector(map: Map<string, Collector>, kind: GroupKind, key: string): Collector {
  let c = map.get(key);
  if (!c) {
    c = {
      kind,
      key,
      cases: new Set(),
      tasks: new Set(),
      values: new Set(),
      names: new Set(),
      datasets: new Set(),
      figures: {},
    };
    map.set(key, c);
  }
  return c;
}

function add(c: Collector, id: string, task: 'semantic' | 'instance', metric: CohortMetric, v: unknown) {
  c.cases.add(id);
  c.tasks.add(task);
  (c.figures[metric] ??= []).push(v);
}

/** The key of a class in the per-class table (see the module comment). */
function classKey(name: string | null | undefined, value: number | null, dataset?: string): string {
  if (typeof name === 'string' && name !== '') return name;
  const label = value === null ? 'instances' : `label ${value}`;
  return dataset ? `${dataset}/${label}` : label;
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function taskMetrics(doc: MetricsDocument): readonly CohortMetric[] {
  return doc.task === 'instance' ? ['f1', 'dsc_tp'] : ['dsc', 'nsd'];
}

export function aggregateCohort(
  cases: readonly CohortCase[],
  options: AggregateOptions = {},
): CohortAggregate {
  const resamples = options.bootstrap ?? 1000;
  const seed = options.seed ?? 0;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 0)
    throw new InvalidInputError(`bootstrap must be a non-negative integer, got ${resamples}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new InvalidInputError(`seed must be an integer in [0, 2^32), got ${seed}`);
  if (!(confidence > 0 && confidence < 1))
    throw new InvalidInputError(`confidence must be in (0, 1), got ${confidence}`);

  const ids = new Set<string>();
  for (const c of cases) {
    if (typeof c.id !== 'string' || c.id === '') throw new InvalidInputError('every case needs an id');
    if (ids.has(c.id)) throw new InvalidInputError(`case id ${c.id} appears twice in the cohort`);
    ids.add(c.id);
    const task = (c.metrics as { task?: unknown } | undefined)?.task;
    if (task !== 'semantic' && task !== 'instance')
      throw new InvalidInputError(`case ${c.id}: metrics document has no semantic or instance task`);
  }
  const ordered = [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const overall = new Map<string, Collector>();
  const classes = new Map<string, Collector>();
  const datasets = new Map<string, Collector>();
  const modalities = new Map<string, Collector>();
  let semantic = 0;
  let instance = 0;

  for (const c of ordered) {
    const doc = c.metrics;
    const task = doc.task;
    if (task === 'semantic') semantic++;
    else instance++;
    const caseLevel: [Map<string, Collector>, GroupKind, string | undefined][] = [
      [overall, 'overall', 'all'],
      [datasets, 'dataset', c.dataset],
      [modalities, 'modality', c.modality],
    ];
    for (const [map, kind, key] of caseLevel) {
      if (key === undefined || key === '') continue;
      const g = collector(map, kind, key);
      for (const m of taskMetrics(doc)) add(g, c.id, task, m, (doc as unknown as Record<string, unknown>)[m]);
    }
    for (const cls of doc.classes ?? []) {
      const value = typeof cls.value === 'number' ? cls.value : null;
      const g = collector(classes, 'class', classKey(cls.name, value, c.dataset));
      g.values.add(value);
      g.names.add(cls.name ?? null);
      if (c.dataset) g.datasets.add(c.dataset);
      for (const m of taskMetrics(doc)) add(g, c.id, task, m, (cls as unknown as Record<string, unknown>)[m]);
    }
  }

  const finish = (c: Collector): CohortGroup => {
    const metrics: Partial<Record<CohortMetric, MetricSummary>> = {};
    for (const m of COHORT_METRICS) {
      const raw = c.figures[m];
      if (!raw) continue;
      metrics[m] = summarize(raw, { resamples, confidence, random: groupRandom(seed, c.kind, c.key, m) });
    }
    const group: CohortGroup = {
      kind: c.kind,
      key: c.key,
      cases: c.cases.size,
      tasks: (['semantic', 'instance'] as const).filter((t) => c.tasks.has(t)),
      metrics,
    };
    if (c.kind === 'class') {
      group.values = [...c.values].sort((a, b) => (a ?? -Infinity) - (b ?? -Infinity));
      const names = [...c.names].filter((n): n is string => n !== null);
      group.name = names.length === 1 ? names[0] : null;
      group.datasets = [...c.datasets].sort();
    }
    return group;
  };

  const empty: Collector = collector(new Map(), 'overall', 'all');
  const modalityGroups = [...modalities.values()].map(finish).sort(byKey);
  return {
    format: COHORT_FORMAT,
    bootstrap: { resamples, seed, confidence, method: 'percentile' },
    cases: { total: ordered.length, semantic, instance },
    overall: finish(overall.get('all') ?? empty),
    classes: [...classes.values()].map(finish).sort(byKey),
    datasets: [...datasets.values()].map(finish).sort(byKey),
    modalities: modalityGroups,
    modality_average: modalityAverage(modalityGroups),
  };
}

/** The paper's average: the mean over modalities of the per-modality means. */
function modalityAverage(modalities: readonly CohortGroup[]): ModalityAverage {
  const result: ModalityAverage = { modalities: {}, means: {} };
  for (const m of COHORT_METRICS) {
    const used = modalities.filter((g) => Number.isFinite(figure(g.metrics[m]?.mean)));
    if (used.length === 0) continue;
    result.modalities[m] = used.map((g) => g.key);
    result.means[m] = used.reduce((a, g) => a + figure(g.metrics[m]?.mean), 0) / used.length;
  }
  return result;
}

/** Every group of the aggregate, the whole cohort first; tolerant of one read back from JSON. */
export function cohortGroups(a: CohortAggregate): CohortGroup[] {
  return [a.overall, ...(a.classes ?? []), ...(a.datasets ?? []), ...(a.modalities ?? [])].filter(
    (g): g is CohortGroup => g !== undefined && g !== null,
  );
}
