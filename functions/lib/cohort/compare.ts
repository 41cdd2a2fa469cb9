/**
 * The comparison of a cohort aggregate with a previous one: which groups (classes, datasets,
 * modalities and the whole cohort) moved by more than a delta, and which appear in only one.
 */
import { InvalidInputError } from '../core/errors.js';
import {
  COHORT_METRICS,
  type CohortAggregate,
  type CohortGroup,
  type CohortMetric,
  type GroupKind,
  cohortGroups,
} from './aggregate.js';
import { figure } from './statistics.js';

const COMPARISON_FORMAT = 'medals-cohort-comparison/1';

interface CohortMove {
  kind: GroupKind;
  key: string;
  metric: CohortMetric;
  previous: number;
  current: number;
  /** current - previous */
  change: number;
  direction: 'up' | 'down';
}

export interface CohortComparison {
  format: typeof COMPARISON_FORMAT;
  delta: number;
  /** Groups whose mean moved by more than delta (|change| > delta), up or down. */
  moved: CohortMove[];
  /** Groups x metrics compared (a defined mean in both aggregates). */
  compared: number;
  /** Groups present in only one of the aggregates. */
  only_in_current: { kind: GroupKind; key: string }[];
  only_in_previous: { kind: GroupKind; key: string }[];
}

/**
 * Which classes, datasets, modalities (and the whole cohort) moved by more than `delta` between
 * `previous` and `current` (aggregates as returned or as read back from cohort.json).
 */
export function compareCohorts(
  current: CohortAggregate,
  previous: CohortAggregate,
  options: { delta?: number } = {},
): CohortComparison {
  const delta = options.delta ?? 0.02;
  if (!(delta >= 0)) throw new InvalidInputError(`delta must be a non-negative number, got ${delta}`);
  const id = (g: { kind: GroupKind; key: string }) => `${g.kind}\u0000${g.key}`;
  const before = new Map(cohortGroups(previous).map((g) => [id(g), g]));
  const after = new Map(cohortGroups(current).map((g) => [id(g), g]));
  const moved: CohortMove[] = [];
  let compared = 0;
  for (const g of cohortGroups(current)) {
    const p = before.get(id(g));
    if (!p) continue;
    for (const m of COHORT_METRICS) {
      const now = figure(g.metrics[m]?.mean);
      const then = figure(p.metrics[m]?.mean);
      if (!Number.isFinite(now) || !Number.isFinite(then)) continue;
      compared++;
      const change = now - then;
      if (Math.abs(change) > delta) {
        moved.push({
          kind: g.kind,
          key: g.key,
          metric: m,
          previous: then,
          current: now,
          change,
          direction: change > 0 ? 'up' : 'down',
        });
      }
    }
  }
  const pick = (g: CohortGroup) => ({ kind: g.kind, key: g.key });
  return {
    format: COMPARISON_FORMAT,
    delta,
    moved,
    compared,
    only_in_current: cohortGroups(current)
      .filter((g) => !before.has(id(g)))
      .map(pick),
    only_in_previous: cohortGroups(previous)
      .filter((g) => !after.has(id(g)))
      .map(pick),
  };
}
