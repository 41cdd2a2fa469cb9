/**
 * The statistics of one metric in one group of the cohort: n, mean, median, a bootstrap
 * confidence interval of the mean (percentile method, from a seeded generator) and the figures
 * of a box plot. NaN (or null, as metrics.json stores an undefined figure) is excluded, as
 * nan-means do, and counted in `excluded`.
 */
import type { SeededRandom } from '../core/random.js';

/** The figures of one metric in one group. NaN in memory where undefined, null on disk. */
export interface MetricSummary {
  /** Values used (finite). */
  n: number;
  /** Values left out (NaN or null). */
  excluded: number;
  mean: number;
  median: number;
  /** Bootstrap percentile interval of the mean. */
  ci_low: number;
  ci_high: number;
  /** Sample standard deviation (n - 1). */
  std: number;
  min: number;
  /** Quartiles, linear interpolation between order statistics (numpy's default). */
  q1: number;
  q3: number;
  max: number;
  /** Box-plot whiskers (Tukey: the furthest values within 1.5 IQR of the box) and outliers. */
  whisker_low: number;
  whisker_high: number;
  outliers: number[];
}

/** Linear interpolation between order statistics of an ascending array (numpy's default). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** A figure as a number: null, undefined and non-numbers (a JSON null) are NaN. */
export function figure(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}

/** Percentile bootstrap interval of the mean of `values` (finite, in a fixed order). */
export function bootstrapMeanCi(
  values: readonly number[],
  resamples: number,
  random: SeededRandom,
  confidence = 0.95,
): [number, number] {
  const n = values.length;
  if (n === 0 || resamples <= 0) return [NaN, NaN];
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random.next() * n)];
    means[b] = sum / n;
  }
  means.sort();
  const alpha = 1 - confidence;
  return [quantile(means, alpha / 2), quantile(means, 1 - alpha / 2)];
}

/** n, mean, median, bootstrap interval and box-plot figures of `raw` (NaN/null excluded). */
export function summarize(
  raw: readonly unknown[],
  options: { resamples: number; random: SeededRandom; confidence?: number },
): MetricSummary {
  const values = raw.map(figure).filter((v) => Number.isFinite(v));
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const mean = n === 0 ? NaN : values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? NaN : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const [ciLow, ciHigh] = bootstrapMeanCi(values, options.resamples, options.random, options.confidence);
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  const inside = Array.from(sorted).filter((v) => v >= q1 - 1.5 * iqr && v <= q3 + 1.5 * iqr);
  return {
    n,
    excluded: raw.length - n,
    mean,
    median: quantile(sorted, 0.5),
    ci_low: ciLow,
    ci_high: ciHigh,
    std: Math.sqrt(variance),
    min: n === 0 ? NaN : sorted[0],
    q1,
    q3,
    max: n === 0 ? NaN : sorted[n - 1],
    whisker_low: inside.length === 0 ? NaN : inside[0],
    whisker_high: inside.length === 0 ? NaN : inside[inside.length - 1],
    outliers: Array.from(sorted).filter((v) => v < q1 - 1.5 * iqr || v > q3 + 1.5 * iqr),
  };
}
