/**
 * The frame of the pages medals writes (report.html, cohort.html): one self-contained document
 * that works when opened from disk, with a Content-Security-Policy that denies every source the
 * page does not list, so that nothing can load from a server, a CDN or a neighbouring file.
 */

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface HtmlPage {
  title: string;
  /** The sources the page needs, as CSP directives, e.g. "img-src data:"; all else is denied. */
  allow: readonly string[];
  style: string;
  /** Content of a generator meta element, when the page names what wrote it. */
  generator?: string;
  bodyAttributes?: Readonly<Record<string, string>>;
  /** The body's HTML. */
  body: string;
}

export function htmlPage(p: HtmlPage): string {
  const csp = ["default-src 'none'", ...p.allow, "base-uri 'none'", "form-action 'none'"].join('; ');
  const generator =
    p.generator === undefined ? '' : `<meta name="generator" content="${escapeHtml(p.generator)}">\n`;
  const attributes = Object.entries(p.bodyAttributes ?? {})
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${generator}<title>${escapeHtml(p.title)}</title>
<style>${p.style}</style>
</head>
<body${attributes}>
${p.body}
</body>
</html>
`;
}
