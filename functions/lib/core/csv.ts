/**
 * The CSV files medals writes (stats.csv, cohort.csv): RFC 4180 fields, rows ending in \n (no
 * CR), the last one too.
 */

/**
 * One field: empty for a missing or non-finite number, quoted when it holds a comma, a quote or
 * a line break.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The file's text: `rows`, the header first, one line each. */
export function csvText(rows: readonly (readonly unknown[])[]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}
