/**
 * Numbers as the pages and the command-line tables print them: a fixed number of decimals, and a
 * mark of the caller's choice where a figure is missing or undefined (null in JSON, NaN in
 * memory), so that a missing figure never reads as a number.
 */
export function fixed(v: unknown, digits: number, missing = '–'): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : missing;
}
