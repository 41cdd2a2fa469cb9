import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../functions/lib/geometry/volume.js';
import {
  copyWindow,
  cropFromPadded,
  fromHwd,
  hwdShape,
  padToPatch,
  toHwd,
} from '../../../functions/steps/segment/layout.js';

const size: Vec3 = [5, 4, 3]; // X, Y, Z
const n = 60;
/** Voxel value encodes its own (x, y, z): 100x + 10y + z. */
const volume = Float32Array.from({ length: n }, (_, i) => {
  const x = i % 5;
  const y = Math.floor(i / 5) % 4;
  const z = Math.floor(i / 20);
  return 100 * x + 10 * y + z;
});

describe('model layout (H, W, D) = (y, x, z), d fastest', () => {
  it('puts voxel (x, y, z) at tensor index (y * X + x) * Z + z', () => {
    const hwd = toHwd(volume, size, new Float32Array(n));
    for (let x = 0; x < 5; x++)
      for (let y = 0; y < 4; y++)
        for (let z = 0; z < 3; z++) expect(hwd[(y * 5 + x) * 3 + z]).toBe(100 * x + 10 * y + z);
    expect(Array.from(fromHwd(hwd, size, new Float32Array(n)))).toEqual(Array.from(volume));
    expect(hwdShape(size)).toEqual([4, 5, 3]);
  });

  it('copies windows and pads at the high end', () => {
    const hwd = toHwd(volume, size, new Float32Array(n));
    const shape = hwdShape(size);
    const out = new Float32Array(2 * 3 * 2);
    copyWindow(hwd, shape, [1, 2, 1], [2, 3, 2], out);
    // window element (h, w, d) is voxel y = 1 + h, x = 2 + w, z = 1 + d.
    expect(out[0]).toBe(100 * 2 + 10 * 1 + 1);
    expect(out[(1 * 3 + 2) * 2 + 1]).toBe(100 * 4 + 10 * 2 + 2);
    let o = 0;
    for (let h = 0; h < 2; h++)
      for (let w = 0; w < 3; w++)
        for (let d = 0; d < 2; d++, o++)
          expect(out[o]).toBe(hwd[((1 + h) * shape[1] + 2 + w) * shape[2] + 1 + d]);
    expect(() => copyWindow(hwd, shape, [3, 0, 0], [2, 3, 2], out)).toThrow(/outside/);
    const padded = padToPatch(hwd, shape, [6, 5, 4]);
    expect(padded.shape).toEqual([6, 5, 4]);
    expect(padded.data[(5 * 5 + 4) * 4 + 3]).toBe(0);
    expect(Array.from(cropFromPadded(padded.data, padded.shape, shape, new Float32Array(n)))).toEqual(
      Array.from(hwd),
    );
  });
});
