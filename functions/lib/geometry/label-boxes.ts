/**
 * Per-label bounding boxes of a label volume in one pass, and crops of raw label arrays.
 *
 * Work that concerns a few classes only looks at their bounding box: the surface Dice of one
 * class (metrics: finding each box by scanning the whole volume once per class costs more than
 * the distance transforms when a case has tens of classes), and the improved-classes rule of
 * Restore (its probabilities are resampled onto the box, not the whole grid). One pass finds
 * every class's box; the work on a crop of it gives the same result as on the whole volume.
 */
import type { LabelArray, Size3 } from '../../../native/index.js';

/** Inclusive voxel box, [x, y, z]. */
export interface LabelBox {
  min: [number, number, number];
  max: [number, number, number];
}

/** The bounding box of every non-zero value of `data` (x fastest), by value. */
export function labelBoxes(data: LabelArray, size: Size3): Map<number, LabelBox> {
  return data instanceof Uint8Array ? byteLabelBoxes(data, size) : anyLabelBoxes(data, size);
}

/** Uint8 labels (what the evaluator's cast leaves): flat tables indexed by value, no Map per voxel. */
function byteLabelBoxes(data: Uint8Array, size: Size3): Map<number, LabelBox> {
  const [nx, ny, nz] = size;
  const min = new Int32Array(256 * 3).fill(0x7fffffff);
  const max = new Int32Array(256 * 3).fill(-1);
  // The row a value was last seen in: its y and z bounds change at most once per row.
  const lastRow = new Int32Array(256).fill(-1);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = y + ny * z;
      for (let x = 0; x < nx; x++, i++) {
        const v = data[i];
        if (v === 0) continue;
        const b = v * 3;
        if (x < min[b]) min[b] = x;
        if (x > max[b]) max[b] = x;
        if (lastRow[v] !== row) {
          lastRow[v] = row;
          if (y < min[b + 1]) min[b + 1] = y;
          if (y > max[b + 1]) max[b + 1] = y;
          if (z < min[b + 2]) min[b + 2] = z;
          max[b + 2] = z; // rows come in increasing z
        }
      }
    }
  }
  const boxes = new Map<number, LabelBox>();
  for (let v = 1; v < 256; v++) {
    const b = v * 3;
    if (max[b] >= 0)
      boxes.set(v, { min: [min[b], min[b + 1], min[b + 2]], max: [max[b], max[b + 1], max[b + 2]] });
  }
  return boxes;
}

function anyLabelBoxes(data: LabelArray, size: Size3): Map<number, LabelBox> {
  const [nx, ny, nz] = size;
  const boxes = new Map<number, LabelBox>();
  const lastRow = new Map<number, number>();
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = y + ny * z;
      for (let x = 0; x < nx; x++, i++) {
        const v = data[i];
        if (v === 0) continue;
        let box = boxes.get(v);
        if (box === undefined) {
          box = { min: [x, y, z], max: [x, y, z] };
          boxes.set(v, box);
          lastRow.set(v, row);
          continue;
        }
        if (x < box.min[0]) box.min[0] = x;
        if (x > box.max[0]) box.max[0] = x;
        if (lastRow.get(v) !== row) {
          lastRow.set(v, row);
          if (y < box.min[1]) box.min[1] = y;
          if (y > box.max[1]) box.max[1] = y;
          box.max[2] = z;
        }
      }
    }
  }
  return boxes;
}

/** The box enclosing both (either may be missing). */
export function unionBox(a: LabelBox | undefined, b: LabelBox | undefined): LabelBox | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return {
    min: [0, 1, 2].map((k) => Math.min(a.min[k], b.min[k])) as LabelBox['min'],
    max: [0, 1, 2].map((k) => Math.max(a.max[k], b.max[k])) as LabelBox['max'],
  };
}

/** The extent of a box, [X, Y, Z]. */
export function boxSize(box: LabelBox): Size3 {
  return [box.max[0] - box.min[0] + 1, box.max[1] - box.min[1] + 1, box.max[2] - box.min[2] + 1];
}

/** A copy of the voxels of `data` inside `box`, as an array of the same type (x fastest). */
export function cropLabels<T extends LabelArray>(data: T, size: Size3, box: LabelBox): T {
  const [bx, by, bz] = boxSize(box);
  const out = new (data.constructor as new (n: number) => T)(bx * by * bz);
  let o = 0;
  for (let z = box.min[2]; z <= box.max[2]; z++) {
    for (let y = box.min[1]; y <= box.max[1]; y++, o += bx) {
      const start = box.min[0] + size[0] * (y + size[1] * z);
      out.set(data.subarray(start, start + bx) as never, o);
    }
  }
  return out;
}

/** Writes `crop` (the voxels of `box`, as cropLabels gives them) back into `data` in place. */
export function pasteLabels<T extends LabelArray>(data: T, size: Size3, box: LabelBox, crop: T): void {
  const [bx, by, bz] = boxSize(box);
  if (crop.length !== bx * by * bz)
    throw new RangeError(`a ${bx}x${by}x${bz} box needs ${bx * by * bz} labels`);
  let o = 0;
  for (let z = box.min[2]; z <= box.max[2]; z++) {
    for (let y = box.min[1]; y <= box.max[1]; y++, o += bx) {
      data.set(crop.subarray(o, o + bx) as never, box.min[0] + size[0] * (y + size[1] * z));
    }
  }
}
