/**
 * Class colours of the report: one fixed colour per label value, shared by the PNG overlays,
 * the legend and the NiiVue label colormap, so the three always agree.
 */

export type Rgb = [number, number, number];

/** Distinct, saturated colours (value 1 -> first); values beyond wrap around. */
const PALETTE: readonly Rgb[] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [220, 190, 255],
  [170, 110, 40],
  [255, 250, 200],
  [128, 0, 0],
  [170, 255, 195],
  [128, 128, 0],
  [255, 215, 180],
  [0, 0, 128],
  [128, 128, 255],
];

/** The colour of label value `value` (> 0). */
export function colorOf(value: number): Rgb {
  const n = PALETTE.length;
  return PALETTE[(((Math.trunc(value) - 1) % n) + n) % n];
}

export function hexOf(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** NiiVue's label colormap ({ R, G, B, A, I, labels }) for the given values (0 transparent). */
export function niivueLabelColormap(classes: readonly { value: number; name: string }[]): {
  R: number[];
  G: number[];
  B: number[];
  A: number[];
  I: number[];
  labels: string[];
} {
  const cm = { R: [0], G: [0], B: [0], A: [0], I: [0], labels: [''] };
  for (const c of [...classes].sort((a, b) => a.value - b.value)) {
    if (c.value === 0) continue;
    const [r, g, b] = colorOf(c.value);
    cm.R.push(r);
    cm.G.push(g);
    cm.B.push(b);
    cm.A.push(255);
    cm.I.push(c.value);
    cm.labels.push(c.name);
  }
  return cm;
}
