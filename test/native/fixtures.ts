import type { Size3 } from '../../native/index.js';

/**
 * Extents written as in the tests' names, 'XxYxZ' separated by spaces ('9x7x5 1x1x6'), so that a
 * table of test sizes takes one line instead of one per size.
 */
export function extents(list: string): Size3[] {
  return list
    .trim()
    .split(/\s+/)
    .map((text) => {
      const v = text.split('x').map(Number);
      if (v.length !== 3 || !v.every((n) => Number.isInteger(n) && n > 0)) {
        throw new Error(`extents: '${text}' is not XxYxZ of positive integers`);
      }
      return [v[0], v[1], v[2]] as const;
    });
}

/**
 * Counts the turns of the event loop from now until stop(), which returns the count: a native
 * call that blocked the main thread until it finished would leave it at 0 or 1.
 */
export function countTurns(): { stop: () => number } {
  let turns = 0;
  let spinning = true;
  const spin = () => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  return {
    stop: () => {
      spinning = false;
      return turns;
    },
  };
}
