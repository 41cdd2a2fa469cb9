/**
 * What a case costs on AWS, estimated before it is submitted. The prices are public on-demand
 * list prices (us-east-1, checked late 2025); the work per case is this project's rough model of
 * Medal S: GPU time grows with the image's voxels (sliding windows at the working spacing), plus
 * the job's start and model load; the Lambdas' memory-seconds grow the same way. Every figure is
 * a field of the table, and `medals submit --prices FILE` replaces any of them (a JSON object).
 */
import { z } from 'zod';
import { InvalidInputError } from '../../lib/core/errors.js';

const priceTableSchema = z.strictObject({
  /** GPU instance price per hour (g5.xlarge, one A10G, on demand). */
  gpuInstancePerHour: z.number().nonnegative(),
  /** GPU seconds per million input voxels, both stages (Medal S on one A10G, estimated). */
  gpuSecondsPerMegavoxel: z.number().nonnegative(),
  /** GPU seconds per case for the job's start, the model load and the text encoder. */
  gpuSecondsPerCase: z.number().nonnegative(),
  /** Lambda price per GB-second (x86). */
  lambdaPerGbSecond: z.number().nonnegative(),
  /** Lambda GB-seconds per million voxels (preprocess, restore, metrics and report together). */
  lambdaGbSecondsPerMegavoxel: z.number().nonnegative(),
  lambdaGbSecondsPerCase: z.number().nonnegative(),
  /** Step Functions standard workflows: price per state transition, and transitions per case. */
  stepFunctionsPerTransition: z.number().nonnegative(),
  transitionsPerCase: z.number().nonnegative(),
  /** S3 storage and requests per case (small: a case's files are kept by the user). */
  s3PerCase: z.number().nonnegative(),
});
export type PriceTable = z.infer<typeof priceTableSchema>;

export const DEFAULT_PRICES: PriceTable = {
  gpuInstancePerHour: 1.006,
  gpuSecondsPerMegavoxel: 1.2,
  gpuSecondsPerCase: 90,
  lambdaPerGbSecond: 0.0000166667,
  lambdaGbSecondsPerMegavoxel: 4,
  lambdaGbSecondsPerCase: 20,
  stepFunctionsPerTransition: 0.000025,
  transitionsPerCase: 12,
  s3PerCase: 0.001,
};

/** The default table with `overrides` (any subset of its fields) applied. */
export function priceTable(overrides: unknown = {}): PriceTable {
  const merged = priceTableSchema.safeParse({ ...DEFAULT_PRICES, ...(overrides as object) });
  if (!merged.success) {
    throw new InvalidInputError(
      `price table: ${merged.error.issues.map((i) => `${i.path.join('.') || '(table)'} ${i.message}`).join('; ')}`,
    );
  }
  return merged.data;
}

export interface CaseEstimate {
  voxels: number;
  gpuSeconds: number;
  lambdaGbSeconds: number;
  /** USD, all services. */
  usd: number;
}

export function estimateCase(voxels: number, prices: PriceTable): CaseEstimate {
  const mvox = voxels / 1e6;
  const gpuSeconds = prices.gpuSecondsPerCase + prices.gpuSecondsPerMegavoxel * mvox;
  const lambdaGbSeconds = prices.lambdaGbSecondsPerCase + prices.lambdaGbSecondsPerMegavoxel * mvox;
  const usd =
    (gpuSeconds / 3600) * prices.gpuInstancePerHour +
    lambdaGbSeconds * prices.lambdaPerGbSecond +
    prices.transitionsPerCase * prices.stepFunctionsPerTransition +
    prices.s3PerCase;
  return { voxels, gpuSeconds, lambdaGbSeconds, usd };
}
