import path from 'node:path';
import { packageRoot } from '../../functions/lib/core/package-info.js';

/**
 * The project's shared data (the Medal S class files, the surface Dice procedure): the folder
 * MEDALS_SHARED_DATA names, else `../shared/data` beside the checkout. Tests that need it say so
 * and skip where it is absent.
 */
export function sharedDataDir(): string {
  return process.env.MEDALS_SHARED_DATA || path.resolve(packageRoot(), '..', 'shared', 'data');
}
