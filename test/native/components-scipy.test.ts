/**
 * Connected components against scipy.ndimage.label: the same number of components and the
 * same multiset of component sizes, for 6, 18 and 26 connectivity (structures
 * generate_binary_structure(3, 1 | 2 | 3)); multi-label maps are compared per value (scipy
 * labels `volume == value`). Skipped, with a message, where no python3 with scipy is found
 * (MEDALS_PYTHON, then python3, then /usr/bin/python3).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import type { Connectivity, LabelArray, Size3 } from '../../native/index.js';
import { findPython, runPython } from '../helpers/python.js';

const python = findPython(['numpy', 'scipy.ndimage']);
if (python === null) {
  console.warn(
    'native/components-scipy.test.ts: SKIPPED, no python3 with numpy and scipy found ' +
      '(tried $MEDALS_PYTHON, python3, /usr/bin/python3)',
  );
}

interface Case {
  name: string;
  data: LabelArray;
  size: Size3;
}

/** Noise at several densities plus random boxes; values 1..nValues. */
function makeCases(): Case[] {
  const cases: Case[] = [];
  const shapes: Size3[] = [
    [32, 24, 16],
    [1, 40, 30],
    [50, 1, 1],
    [17, 9, 23],
  ];
  let seed = 1;
  for (const size of shapes) {
    for (const density of [0.05, 0.3, 0.6]) {
      for (const nValues of [1, 3]) {
        const r = prng(seed++);
        const data = new Uint8Array(size[0] * size[1] * size[2]);
        for (let i = 0; i < data.length; i++) if (r() < density) data[i] = 1 + Math.floor(r() * nValues);
        for (let b = 0; b < 4; b++) {
          const lo = size.map((s) => Math.floor(r() * s));
          const hi = lo.map((l, a) => Math.min(size[a] - 1, l + Math.floor(r() * 8)));
          const v = Math.floor(r() * (nValues + 1));
          for (let z = lo[2]; z <= hi[2]; z++)
            for (let y = lo[1]; y <= hi[1]; y++)
              for (let x = lo[0]; x <= hi[0]; x++) data[x + size[0] * (y + size[1] * z)] = v;
        }
        cases.push({ name: `${size.join('x')} density ${density} values ${nValues}`, data, size });
      }
    }
  }
  return cases;
}

/** Sorted component sizes per value ("0" for the binary foreground), from native. */
function nativeSizes(c: Case, connectivity: Connectivity, binary: boolean): Record<string, number[]> {
  const { labels, count } = native.connectedComponents(c.data, c.size, { connectivity, binary });
  const stats = native.componentStats(labels, c.size, count, { values: c.data });
  const out: Record<string, number[]> = {};
  for (let l = 1; l <= count; l++) {
    const key = binary ? '0' : String(stats.value![l]);
    (out[key] ??= []).push(stats.voxels[l]);
  }
  for (const sizes of Object.values(out)) sizes.sort((a, b) => a - b);
  return out;
}

// Labels each volume (binary, then per value) with each structure.
const SCRIPT = `
import json, os, sys
import numpy as np
from scipy import ndimage
d = sys.argv[1]
result = {}
for f in sorted(os.listdir(d)):
    if not f.endswith('.npy'):
        continue
    vol = np.load(os.path.join(d, f))
    per = {}
    for rank, conn in ((1, 6), (2, 18), (3, 26)):
        s = ndimage.generate_binary_structure(3, rank)
        entry = {}
        masks = [('binary', '0', vol != 0)] + [('multi', str(int(v)), vol == v) for v in np.unique(vol) if v != 0]
        for kind, key, mask in masks:
            lab, n = ndimage.label(mask, structure=s)
            sizes = sorted(int(x) for x in np.bincount(lab.ravel())[1:])
            entry.setdefault(kind, {})[key] = {'count': int(n), 'sizes': sizes}
        per[str(conn)] = entry
    result[f[:-4]] = per
print(json.dumps(result))
`;

type ScipyResult = Record<
  string,
  Record<string, Record<string, Record<string, { count: number; sizes: number[] }>>>
>;

describe.skipIf(python === null)(
  'connected components agree with scipy.ndimage.label (needs python3 + scipy)',
  () => {
    const cases = makeCases();
    let scipy: ScipyResult = {};

    // One python run labels every case; a volume [X, Y, Z] is the numpy array (Z, Y, X).
    beforeAll(() => {
      const inputs = Object.fromEntries(
        cases.map((c, k) => [
          `case${String(k).padStart(3, '0')}`,
          { data: c.data, shape: [c.size[2], c.size[1], c.size[0]] },
        ]),
      );
      scipy = runPython<ScipyResult>(python!, SCRIPT, inputs).json;
      expect(Object.keys(scipy)).toHaveLength(cases.length);
    });

    it.each([6, 18, 26] as Connectivity[])(
      'same count and component sizes at %i-connectivity',
      (connectivity) => {
        let compared = 0;
        cases.forEach((c, k) => {
          const expected = scipy[`case${String(k).padStart(3, '0')}`][String(connectivity)];
          const binary = nativeSizes(c, connectivity, true);
          expect(binary['0'] ?? [], `${c.name} binary`).toEqual(expected.binary['0'].sizes);
          expect(native.connectedComponents(c.data, c.size, { connectivity, binary: true }).count).toBe(
            expected.binary['0'].count,
          );
          const multi = nativeSizes(c, connectivity, false);
          const expectedMulti = expected.multi ?? {};
          expect(Object.keys(multi).sort(), `${c.name} values`).toEqual(Object.keys(expectedMulti).sort());
          for (const [value, { count, sizes }] of Object.entries(expectedMulti)) {
            expect(multi[value], `${c.name} value ${value}`).toEqual(sizes);
            expect(multi[value].length).toBe(count);
            compared += count;
          }
        });
        expect(compared).toBeGreaterThan(500);
      },
    );
  },
);

const FILL_SCRIPT = `
import json, os, sys
import numpy as np
from scipy import ndimage
d = sys.argv[1]
names = []
for f in sorted(os.listdir(d)):
    if f.endswith('.npy') and not f.startswith('out_'):
        vol = np.load(os.path.join(d, f))
        np.save(os.path.join(d, 'out_' + f), ndimage.binary_fill_holes(vol != 0).astype(np.uint8))
        names.append(f[:-4])
print(json.dumps(names))
`;
import { prng } from '../helpers/prng.js';

describe.skipIf(python === null)(
  'fillHoles agrees with scipy.ndimage.binary_fill_holes (needs python3 + scipy)',
  () => {
    it('on single-label volumes of every density', () => {
      const cases = makeCases().filter((c) => Math.max(...c.data) <= 1);
      const inputs = Object.fromEntries(
        cases.map((c, k) => [
          `case${String(k).padStart(3, '0')}`,
          { data: c.data, shape: [c.size[2], c.size[1], c.size[0]] },
        ]),
      );
      const { json, arrays } = runPython<string[]>(python!, FILL_SCRIPT, inputs);
      expect(json).toHaveLength(cases.length);
      let filled = 0;
      cases.forEach((c, k) => {
        const expected = arrays[`case${String(k).padStart(3, '0')}`];
        expect(expected.shape).toEqual([c.size[2], c.size[1], c.size[0]]);
        const result = native.fillHoles(c.data, c.size);
        expect(
          Uint8Array.from(result.labels, (v) => (v !== 0 ? 1 : 0)),
          c.name,
        ).toEqual(expected.data);
        filled += result.filled;
      });
      expect(filled).toBeGreaterThan(0);
    });
  },
);
