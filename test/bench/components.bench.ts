/**
 * Connected-components benchmark (issue 3): 512 x 512 x 300 volumes (an organ-like map of 24
 * labels, a binary map of ~40 blobs, 300 small lesions) and 256^3 random noise at 50 %, all made
 * deterministically in TypeScript (test/bench/volumes.ts), labelled at 6 and 26 connectivity by
 * - the native addon (connectedComponents into an output buffer reused across calls; the first
 *   call into a fresh buffer is shown as "cold"), best of a few passes;
 * - the TypeScript oracle (test/oracles: a flood fill), one pass; skipped at 26 connectivity on
 *   a volume where its 6-connectivity pass took more than 60 s;
 * - scipy.ndimage.label in python3 on the same arrays (time measured inside python around the
 *   label calls only, into a preallocated int32 output; no file I/O), best of 3 (the 24-label
 *   loop: 1 pass).
 * The organ map is labelled multi-label (each value separately) in one native call; the
 * oracle does the same, and scipy loops over its 24 labels (label(volume == k)), as a user of
 * scipy has to. Prints a table (ratios and million voxels per second) and the issue's targets;
 * asserts only that the component counts agree, nothing about time.
 *
 * Second section, against cc3d (python connected-components-3d 3.24.0, requirements-dev.txt;
 * skipped, and said so, where python lacks it), issue 16: blobs, the 24-label map, 256^3 noise
 * at 30 % density and the lesions, at 6 (the pipeline's) and 26 connectivity, multi-label (as
 * structureStats and instanceMetrics call it, and cc3d's default):
 * - native fresh: connectedComponentsAsync with a new output each call, as the pipeline calls it
 *   (the output is the smallest type that holds the count, as cc3d's default out_dtype);
 * - native reused: connectedComponents into one Uint32Array reused across calls;
 * - cc3d.connected_components(vol, connectivity=c), timed inside python on the same arrays;
 * each best of 5, with the ratios and the targets (fresh >= 1.2x cc3d, reused >= 1x). Prints;
 * asserts only that the counts agree.
 */
import { describe, expect, it } from 'vitest';

import {
  connectedComponents,
  connectedComponentsAsync,
  type Connectivity,
  type Size3,
} from '../../native/index.js';
import { connectedComponents as oracleComponents } from '../oracles/index.js';
import { findPython, runPython } from '../helpers/python.js';
import { best, bestAsync, seconds } from '../helpers/timing.js';
import { BENCH_SIZE, blobMap, lesionMap, noiseMap, organMap } from './volumes.js';

const ORACLE_LIMIT_S = 60;
const NATIVE_PASSES = 5;
const SCIPY_PASSES = 3;

interface Volume {
  name: string;
  size: Size3;
  data: Uint8Array;
  /** Multi-label (each value separately) rather than binary. */
  multi: boolean;
  /** Target ratio over scipy at 26 connectivity, if the issue sets one. */
  target?: number;
}

interface ScipyResult {
  /** By connectivity: seconds (best of the passes) and number of components. */
  [connectivity: string]: { seconds: number; count: number };
}

/** Times scipy.ndimage.label on vol.npy at 6 and 26 connectivity (loop over labels if multi). */
const SCIPY_SCRIPT = `
import json, sys, time
import numpy as np
from scipy import ndimage
vol = np.load(sys.argv[1] + '/vol.npy')
multi = bool(int(np.load(sys.argv[1] + '/multi.npy')[0]))
passes = int(np.load(sys.argv[1] + '/passes.npy')[0])
out = np.empty(vol.shape, np.int32)
result = {}
for conn, structure in ((6, ndimage.generate_binary_structure(3, 1)), (26, np.ones((3, 3, 3), bool))):
    best = float('inf')
    for _ in range(passes):
        t = time.perf_counter()
        if multi:
            count = 0
            for k in range(1, int(vol.max()) + 1):
                count += ndimage.label(vol == k, structure, output=out)
        else:
            count = ndimage.label(vol, structure, output=out)
        best = min(best, time.perf_counter() - t)
    result[str(conn)] = {'seconds': best, 'count': int(count)}
print(json.dumps(result))
`;

describe('connected components benchmark', () => {
  it('native vs TypeScript oracle vs scipy.ndimage.label, 6 and 26 connectivity', () => {
    const python = findPython(['numpy', 'scipy.ndimage']);
    let volumes: Volume[] = [];
    const generateSeconds = seconds(() => {
      volumes = [
        { name: 'organs (24 labels)', size: BENCH_SIZE, data: organMap(), multi: true, target: 20 },
        { name: 'blobs (binary)', size: BENCH_SIZE, data: blobMap(), multi: false, target: 4 },
        { name: 'lesions (300)', size: BENCH_SIZE, data: lesionMap(), multi: false, target: 4 },
        { name: 'noise 50 % (256^3)', size: [256, 256, 256], data: noiseMap([256, 256, 256]), multi: false },
      ];
    });

    const lines: string[] = [
      '',
      `Connected components (volumes generated in ${generateSeconds.toFixed(1)} s; ` +
        `native best of ${NATIVE_PASSES} into a reused output buffer, oracle 1 pass, scipy best of ${SCIPY_PASSES} inside python, its 24-label loop 1 pass)`,
      python === null
        ? 'python3 with numpy + scipy not found: scipy columns skipped'
        : `scipy.ndimage.label via ${python}`,
      '',
      `${'volume'.padEnd(20)}${'conn'.padStart(5)}${'comps'.padStart(8)}${'cold ms'.padStart(9)}` +
        `${'native ms'.padStart(10)}${'Mvox/s'.padStart(8)}${'oracle ms'.padStart(11)}${'Mvox/s'.padStart(8)}` +
        `${'x oracle'.padStart(9)}${'scipy ms'.padStart(10)}${'Mvox/s'.padStart(8)}${'x scipy'.padStart(9)}` +
        `${'target'.padStart(8)}`,
    ];
    const notes: string[] = [];
    const summary: string[] = [];

    for (const volume of volumes) {
      const { name, size, data, multi } = volume;
      const voxels = size[0] * size[1] * size[2];
      const scipy: ScipyResult | null =
        python === null
          ? null
          : runPython<ScipyResult>(
              python,
              SCIPY_SCRIPT,
              {
                vol: { data, shape: [size[2], size[1], size[0]] },
                multi: { data: Uint8Array.of(multi ? 1 : 0), shape: [1] },
                passes: { data: Uint8Array.of(multi ? 1 : SCIPY_PASSES), shape: [1] },
              },
              600_000,
            ).json;
      let oracleTooSlow = false;
      for (const connectivity of [6, 26] as Connectivity[]) {
        const options = { connectivity, binary: !multi };
        let count = 0;
        const cold = seconds(() => {
          count = connectedComponents(data, size, options).count;
        });
        const out = new Uint32Array(voxels);
        connectedComponents(data, size, { ...options, out });
        const warm = best(NATIVE_PASSES, () => connectedComponents(data, size, { ...options, out }));

        let oracle: number | null = null;
        if (!oracleTooSlow) {
          let oracleCount = 0;
          oracle = seconds(() => {
            oracleCount = oracleComponents(data, size, { ...options, out }).count;
          });
          expect(oracleCount, `${name} ${connectivity}: oracle count`).toBe(count);
          if (oracle > ORACLE_LIMIT_S) {
            oracleTooSlow = true;
            notes.push(
              `oracle took ${oracle.toFixed(0)} s on ${name} at 6-connectivity: skipped at 26 (> ${ORACLE_LIMIT_S} s)`,
            );
          }
        }
        const ref = scipy?.[String(connectivity)];
        if (ref) expect(ref.count, `${name} ${connectivity}: scipy count`).toBe(count);

        const mvox = (s: number) => (voxels / s / 1e6).toFixed(0);
        const ratioScipy = ref ? ref.seconds / warm : null;
        // The issue's 4x is at 26 connectivity; its 20x for the 24-label map names none (both shown).
        const targeted = volume.target !== undefined && (multi || connectivity === 26);
        const target = targeted ? `>= ${volume.target}x` : '';
        lines.push(
          `${name.padEnd(20)}${String(connectivity).padStart(5)}${String(count).padStart(8)}` +
            `${(cold * 1e3).toFixed(0).padStart(9)}${(warm * 1e3).toFixed(0).padStart(10)}${mvox(warm).padStart(8)}` +
            `${(oracle === null ? 'skipped' : (oracle * 1e3).toFixed(0)).padStart(11)}` +
            `${(oracle === null ? '-' : mvox(oracle)).padStart(8)}` +
            `${(oracle === null ? '-' : `${(oracle / warm).toFixed(1)}x`).padStart(9)}` +
            `${(ref ? (ref.seconds * 1e3).toFixed(0) : '-').padStart(10)}${(ref ? mvox(ref.seconds) : '-').padStart(8)}` +
            `${(ratioScipy === null ? '-' : `${ratioScipy.toFixed(1)}x`).padStart(9)}${target.padStart(8)}`,
        );
        if (ratioScipy !== null && volume.target !== undefined) {
          const what = multi
            ? `${name}: one native multi-label call vs scipy's loop over the 24 labels`
            : `${name}: native vs scipy.ndimage.label`;
          const verdict = targeted
            ? ` (target >= ${volume.target}x: ${ratioScipy >= volume.target! ? 'met' : 'NOT met'})`
            : ' (no target)';
          summary.push(`${what}, ${connectivity}-conn: ${ratioScipy.toFixed(1)}x${verdict}`);
        }
      }
    }
    lines.push('', ...summary, ...notes, '');
    console.log(lines.join('\n'));
  });
});

/** Native (as the pipeline calls it, and into a reused buffer) against cc3d: see the file header. */
const CC3D_PASSES = 5;
const CC3D_TARGET = 1.2;

interface Cc3dResult {
  /** By connectivity: seconds (best of the passes), number of components, output dtype. */
  [connectivity: string]: { seconds: number; count: number; dtype: string };
}

/** Times cc3d.connected_components (multi-label, its default out_dtype) on vol.npy. */
const CC3D_SCRIPT = `
import json, sys, time
import numpy as np
import cc3d
vol = np.load(sys.argv[1] + '/vol.npy')
passes = int(np.load(sys.argv[1] + '/passes.npy')[0])
result = {}
for conn in (6, 26):
    best = float('inf')
    for _ in range(passes):
        t = time.perf_counter()
        labels, n = cc3d.connected_components(vol, connectivity=conn, return_N=True)
        best = min(best, time.perf_counter() - t)
        dtype = str(labels.dtype)
        del labels
    result[str(conn)] = {'seconds': best, 'count': int(n), 'dtype': dtype}
print(json.dumps(result))
`;

describe('connected components vs cc3d', () => {
  it('native (fresh output as the pipeline calls it; reused buffer) vs cc3d, 6 and 26 connectivity', async () => {
    const python = findPython(['numpy', 'cc3d']);
    const noiseSize: Size3 = [256, 256, 256];
    const volumes: { name: string; size: Size3; data: Uint8Array }[] = [
      { name: 'blobs (binary)', size: BENCH_SIZE, data: blobMap() },
      { name: 'organs (24 labels)', size: BENCH_SIZE, data: organMap() },
      { name: 'noise 30 % (256^3)', size: noiseSize, data: noiseMap(noiseSize, 50, 0.3) },
      { name: 'lesions (300)', size: BENCH_SIZE, data: lesionMap() },
    ];
    const typeName = (a: ArrayLike<number>) => a.constructor.name.replace('Array', '').toLowerCase();
    const lines: string[] = [
      '',
      `Connected components vs cc3d (multi-label, as the pipeline and cc3d's default; best of ${CC3D_PASSES}):`,
      '- fresh: connectedComponentsAsync with a new output each call, as structureStats and instanceMetrics call it',
      '- reused: connectedComponents into one output buffer reused across calls',
      python === null
        ? 'python3 with numpy + cc3d (connected-components-3d) not found: cc3d columns skipped'
        : `cc3d.connected_components(vol, connectivity=c) timed inside python via ${python}`,
      '',
      `${'volume'.padEnd(20)}${'conn'.padStart(5)}${'comps'.padStart(9)}${'out'.padStart(8)}` +
        `${'fresh ms'.padStart(10)}${'reused ms'.padStart(11)}${'cc3d ms'.padStart(9)}${'cc3d out'.padStart(10)}` +
        `${'x fresh'.padStart(9)}${'x reused'.padStart(10)}${'target'.padStart(8)}`,
    ];
    const summary: string[] = [];
    for (const { name, size, data } of volumes) {
      const voxels = size[0] * size[1] * size[2];
      const cc3d: Cc3dResult | null =
        python === null
          ? null
          : runPython<Cc3dResult>(
              python,
              CC3D_SCRIPT,
              {
                vol: { data, shape: [size[2], size[1], size[0]] },
                passes: { data: Uint8Array.of(CC3D_PASSES), shape: [1] },
              },
              600_000,
            ).json;
      for (const connectivity of [6, 26] as Connectivity[]) {
        const options = { connectivity, binary: false };
        let count = 0;
        let outType = '';
        const fresh = await bestAsync(CC3D_PASSES, async () => {
          const r = await connectedComponentsAsync(data, size, options);
          count = r.count;
          outType = typeName(r.labels);
        });
        const out = new Uint32Array(voxels);
        connectedComponents(data, size, { ...options, out });
        const reused = best(CC3D_PASSES, () => connectedComponents(data, size, { ...options, out }));
        const ref = cc3d?.[String(connectivity)];
        if (ref) expect(ref.count, `${name} ${connectivity}: cc3d count`).toBe(count);
        const xFresh = ref ? ref.seconds / fresh : null;
        const xReused = ref ? ref.seconds / reused : null;
        const ratio = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}x`);
        lines.push(
          `${name.padEnd(20)}${String(connectivity).padStart(5)}${String(count).padStart(9)}${outType.padStart(8)}` +
            `${(fresh * 1e3).toFixed(0).padStart(10)}${(reused * 1e3).toFixed(0).padStart(11)}` +
            `${(ref ? (ref.seconds * 1e3).toFixed(0) : '-').padStart(9)}${(ref?.dtype ?? '-').padStart(10)}` +
            `${ratio(xFresh).padStart(9)}${ratio(xReused).padStart(10)}${`>= ${CC3D_TARGET}x`.padStart(8)}`,
        );
        if (xFresh !== null && xReused !== null) {
          const met = (r: number, t: number) => (r >= t ? 'met' : 'NOT met');
          summary.push(
            `${name}, ${connectivity}-conn: fresh ${xFresh.toFixed(2)}x cc3d (target >= ${CC3D_TARGET}x: ` +
              `${met(xFresh, CC3D_TARGET)}), reused ${xReused.toFixed(2)}x (target >= 1x: ${met(xReused, 1)})`,
          );
        }
      }
    }
    lines.push('', ...summary, '');
    console.log(lines.join('\n'));
  });
});
