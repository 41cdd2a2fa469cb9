/** Parsers for command-line option values; each failure is a USAGE error naming the option. */
import path from 'node:path';
import { UsageError } from '../../../lib/core/errors.js';
import { parseUri } from '../../../lib/storage/index.js';
import type { Vec3 } from '../../../lib/geometry/volume.js';

function numbersOf(option: string, text: string, what: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 3 || parts.some((s) => s === '')) {
    throw new UsageError(`${option} must be three comma-separated ${what} like 1,2,3, got '${text}'`);
  }
  return parts.map((s) => {
    const v = Number(s);
    if (!Number.isFinite(v))
      throw new UsageError(`${option} must be three comma-separated ${what}, got '${text}'`);
    return v;
  });
}

/** Three positive integers, e.g. a size in voxels. */
export function parseSize(option: string, text: string): Vec3 {
  const v = numbersOf(option, text, 'positive integers');
  if (v.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new UsageError(`${option} must be three positive integers, got '${text}'`);
  }
  return v as Vec3;
}

/** Three positive numbers, e.g. a spacing in mm. */
export function parseSpacing(option: string, text: string): Vec3 {
  const v = numbersOf(option, text, 'positive numbers');
  if (v.some((x) => x <= 0)) throw new UsageError(`${option} must be three positive numbers, got '${text}'`);
  return v as Vec3;
}

export function parseNonNegativeInt(option: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new UsageError(`${option} must be a non-negative integer, got '${text}'`);
  }
  return v;
}

export function parseChoice<T extends string>(option: string, text: string, choices: readonly T[]): T {
  const match = choices.find((c) => c.toLowerCase() === text.toLowerCase());
  if (!match) throw new UsageError(`${option} must be one of ${choices.join(', ')}, got '${text}'`);
  return match;
}

/** Local paths absolute, so that what is printed can be opened from anywhere; URIs as they are. */
export function resolveLocal(uri: string): string {
  const location = parseUri(uri);
  return location.scheme === 'file' && location.form === 'path' ? path.resolve(uri) : uri;
}

/** `LEVEL,WIDTH` of a CT window in HU: a finite level and a positive width. */
export function parseWindow(option: string, text: string): { level: number; width: number } {
  const parts = text.split(',').map((s) => s.trim());
  const [level, width] = parts.map(Number);
  if (
    parts.length !== 2 ||
    parts.some((s) => s === '') ||
    !Number.isFinite(level) ||
    !Number.isFinite(width)
  ) {
    throw new UsageError(`${option} must be LEVEL,WIDTH in HU like 40,400 or -600,1500, got '${text}'`);
  }
  if (width <= 0) throw new UsageError(`${option} width must be a positive number of HU, got '${text}'`);
  return { level, width };
}
