/**
 * Slice overlays of the report: axial, coronal and sagittal PNGs through a point, the image in
 * grey with the label map blended over it.
 *
 * Slices follow the voxel grid, never a resampled patient grid: each view is the plane of the
 * index axis nearest to the patient axis of that view (axial: the index axis nearest S-I,
 * coronal: nearest A-P, sagittal: nearest L-R), and its two in-plane index axes are flipped as
 * needed so that the picture reads in radiological convention (patient's right on the left of
 * axial and coronal views, anterior on the left of sagittal views, anterior or superior at the
 * top). For an oblique image the planes are therefore tilted from the patient planes by the
 * obliquity angle (obliquity()); the legend says so.
 *
 * Physical aspect ratio: every PNG pixel is a square of `pitch` mm; a voxel of spacing
 * (a, b) mm covers a / pitch by b / pitch pixels (nearest-neighbour sampling), so anisotropic
 * spacing shows at its true proportions.
 */
import { encode } from 'fast-png';
import type { Mat3, Volume } from '../geometry/volume.js';
import { type Rgb, colorOf } from './colors.js';

type ViewName = 'axial' | 'coronal' | 'sagittal';
export const VIEWS: readonly ViewName[] = ['axial', 'coronal', 'sagittal'];

/** How one index axis runs on screen: which index axis, and whether it is reversed. */
interface ScreenAxis {
  axis: 0 | 1 | 2;
  flip: boolean;
}

interface ViewPlane {
  view: ViewName;
  /** The index axis across the plane (held fixed for a slice). */
  normal: 0 | 1 | 2;
  columns: ScreenAxis;
  rows: ScreenAxis;
}

/**
 * For each index axis, the patient axis (0 L-R, 1 P-A, 2 S-I in LPS) it is nearest to and the
 * sign of its direction along it; a permutation even for strongly oblique directions (the
 * largest remaining |cosine| is assigned first).
 */
function nearestPatientAxes(direction: Mat3): { patient: number[]; sign: number[] } {
  const patient = [-1, -1, -1];
  const sign = [1, 1, 1];
  const usedPatient = new Set<number>();
  const pairs: { index: number; patientAxis: number; cos: number }[] = [];
  for (let a = 0; a < 3; a++)
    for (let p = 0; p < 3; p++) pairs.push({ index: a, patientAxis: p, cos: direction[p * 3 + a] });
  pairs.sort((x, y) => Math.abs(y.cos) - Math.abs(x.cos));
  for (const { index, patientAxis, cos } of pairs) {
    if (patient[index] >= 0 || usedPatient.has(patientAxis)) continue;
    patient[index] = patientAxis;
    sign[index] = cos < 0 ? -1 : 1;
    usedPatient.add(patientAxis);
  }
  return { patient, sign };
}

/** Largest angle (degrees) between an index axis and the patient axis it is shown as. */
export function obliquity(direction: Mat3): number {
  const { patient } = nearestPatientAxes(direction);
  let worst = 0;
  for (let a = 0; a < 3; a++) {
    const norm = Math.hypot(direction[a], direction[3 + a], direction[6 + a]) || 1;
    const cos = Math.min(1, Math.abs(direction[patient[a] * 3 + a]) / norm);
    worst = Math.max(worst, (Math.acos(cos) * 180) / Math.PI);
  }
  return worst;
}

/**
 * The three view planes of a grid. On screen, columns run left to right and rows top to bottom;
 * in LPS, + is Left, Posterior, Superior:
 *   axial:    columns +L (patient's right on the left), rows +P (anterior at the top);
 *   coronal:  columns +L, rows -S (superior at the top);
 *   sagittal: columns +P (anterior on the left), rows -S.
 */
export function viewPlanes(direction: Mat3): Record<ViewName, ViewPlane> {
  const { patient, sign } = nearestPatientAxes(direction);
  const indexOf = (p: number) => patient.indexOf(p) as 0 | 1 | 2;
  // Screen axis running toward +patient axis p (flip when the index axis runs the other way),
  // or toward -p when `toward` is -1.
  const screen = (p: number, toward: 1 | -1): ScreenAxis => {
    const axis = indexOf(p);
    return { axis, flip: sign[axis] * toward < 0 };
  };
  return {
    axial: { view: 'axial', normal: indexOf(2), columns: screen(0, 1), rows: screen(1, 1) },
    coronal: { view: 'coronal', normal: indexOf(1), columns: screen(0, 1), rows: screen(2, -1) },
    sagittal: { view: 'sagittal', normal: indexOf(0), columns: screen(1, 1), rows: screen(2, -1) },
  };
}

interface SliceImageOptions {
  /** Grey window [low, high] of the image intensities. */
  window: [number, number];
  /** Opacity of the label colours over the image (default 0.45). */
  alpha?: number;
  /** Label value whose outline is drawn opaque (the structure the slice is about). */
  focus?: number;
  /** Length in pixels of the longer side of the PNG (default 256). */
  longSide?: number;
}

export interface SliceImage {
  view: ViewName;
  /** The index along the plane's normal axis. */
  index: number;
  normal: 0 | 1 | 2;
  width: number;
  height: number;
  /** Millimetres per PNG pixel, the same along both sides. */
  pitchMm: number;
  /** Physical size of the picture in mm (width, height). */
  sizeMm: [number, number];
  png: Uint8Array;
}

/** One slice of `image` with `labels` blended over it, as an RGB PNG at physical aspect ratio. */
export function renderSlice(
  image: Volume,
  labels: Volume,
  plane: ViewPlane,
  index: number,
  options: SliceImageOptions,
): SliceImage {
  const size = image.size;
  const spacing = image.spacing;
  const { columns, rows, normal } = plane;
  const k = Math.min(size[normal] - 1, Math.max(0, Math.round(index)));
  const nCols = size[columns.axis];
  const nRows = size[rows.axis];
  const widthMm = nCols * spacing[columns.axis];
  const heightMm = nRows * spacing[rows.axis];
  const longSide = options.longSide ?? 256;
  const pitch = Math.max(widthMm, heightMm) / longSide;
  const width = Math.max(1, Math.round(widthMm / pitch));
  const height = Math.max(1, Math.round(heightMm / pitch));
  const stride = [1, size[0], size[0] * size[1]];

  // Voxel offset of each screen column and row (nearest voxel centre).
  const colOffset = new Int32Array(width);
  for (let c = 0; c < width; c++) {
    let v = Math.min(nCols - 1, Math.floor(((c + 0.5) * pitch) / spacing[columns.axis]));
    if (columns.flip) v = nCols - 1 - v;
    colOffset[c] = v * stride[columns.axis];
  }
  const rowOffset = new Int32Array(height);
  for (let r = 0; r < height; r++) {
    let v = Math.min(nRows - 1, Math.floor(((r + 0.5) * pitch) / spacing[rows.axis]));
    if (rows.flip) v = nRows - 1 - v;
    rowOffset[r] = v * stride[rows.axis];
  }
  const base = k * stride[normal];
  const [lo, hi] = options.window;
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const alpha = options.alpha ?? 0.45;
  const lab = new Float64Array(width * height);
  const rgb = new Uint8Array(width * height * 3);
  const colours = new Map<number, Rgb>();
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const n = base + rowOffset[r] + colOffset[c];
      const v = image.data[n];
      const g = scale === 0 ? 0 : Math.max(0, Math.min(255, (v - lo) * scale));
      const l = labels.data[n];
      const p = r * width + c;
      lab[p] = l;
      let red = g;
      let green = g;
      let blue = g;
      if (l !== 0) {
        let col = colours.get(l);
        if (!col) colours.set(l, (col = colorOf(l)));
        red = (1 - alpha) * g + alpha * col[0];
        green = (1 - alpha) * g + alpha * col[1];
        blue = (1 - alpha) * g + alpha * col[2];
      }
      rgb[3 * p] = red;
      rgb[3 * p + 1] = green;
      rgb[3 * p + 2] = blue;
    }
  }
  if (options.focus !== undefined && options.focus !== 0) {
    const f = options.focus;
    const col = colorOf(f);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const p = r * width + c;
        if (lab[p] !== f) continue;
        const edge =
          c === 0 ||
          c === width - 1 ||
          r === 0 ||
          r === height - 1 ||
          lab[p - 1] !== f ||
          lab[p + 1] !== f ||
          lab[p - width] !== f ||
          lab[p + width] !== f;
        if (!edge) continue;
        rgb[3 * p] = col[0];
        rgb[3 * p + 1] = col[1];
        rgb[3 * p + 2] = col[2];
      }
    }
  }
  const png = encode({ width, height, data: rgb, channels: 3, depth: 8 });
  return {
    view: plane.view,
    index: k,
    normal,
    width,
    height,
    pitchMm: pitch,
    sizeMm: [widthMm, heightMm],
    png,
  };
}

/**
 * A grey window for the image: the soft-tissue window (level 40, width 400 HU) for a CT in
 * Hounsfield units (minimum below -500), else the 0.5th to 99.5th percentiles of a sample of
 * the voxels.
 */
export function defaultWindow(image: Volume): [number, number] {
  const data = image.data;
  const step = Math.max(1, Math.floor(data.length / 200_000));
  const sample: number[] = [];
  let min = Infinity;
  for (let i = 0; i < data.length; i += step) {
    const v = data[i];
    if (Number.isFinite(v)) {
      sample.push(v);
      if (v < min) min = v;
    }
  }
  if (sample.length === 0) return [0, 1];
  if (min < -500) return [-160, 240];
  sample.sort((a, b) => a - b);
  const at = (q: number) =>
    sample[Math.min(sample.length - 1, Math.max(0, Math.round(q * (sample.length - 1))))];
  const lo = at(0.005);
  const hi = at(0.995);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}
