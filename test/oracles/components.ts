/**
 * Plain TypeScript versions of the component kernels: the test oracle for native/components.ts
 * and native/postprocess.ts.
 * Connected components by breadth-first flood fill (not the addon's union-find), and each
 * Medal S rule written after the Python it reproduces (inference.py, seg_postprocess/): one
 * binary mask and one labeling per label value. Clarity over speed; arguments assumed valid.
 */
import type * as native from '../../native/index.js';
import type { Components, Connectivity, LabelArray, LabelFilterOptions } from '../../native/index.js';
import { probableRule } from '../../native/index.js';

/** Neighbour steps [dx, dy, dz] moving along at most 1 (6), 2 (18) or 3 (26) axes. */
export function neighbourSteps(connectivity: Connectivity): [number, number, number][] {
  const maxAxes = connectivity === 6 ? 1 : connectivity === 18 ? 2 : 3;
  const steps: [number, number, number][] = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const moved = Number(dx !== 0) + Number(dy !== 0) + Number(dz !== 0);
        if (moved >= 1 && moved <= maxAxes) steps.push([dx, dy, dz]);
      }
    }
  }
  return steps;
}

/** Flood fill from each unlabelled non-zero voxel in raster order: labels come out in scan order. */
export const connectedComponents: typeof native.connectedComponents = (data, size, options = {}) => {
  const [nx, ny, nz] = size;
  const n = nx * ny * nz;
  const labels = options.out ?? new Uint32Array(n);
  labels.fill(0);
  const steps = neighbourSteps(options.connectivity ?? 6);
  const binary = options.binary ?? false;
  let count = 0;
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    const value = data[start];
    if (value === 0 || labels[start] !== 0) continue;
    labels[start] = ++count;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % nx;
      const y = Math.floor(i / nx) % ny;
      const z = Math.floor(i / (nx * ny));
      for (const [dx, dy, dz] of steps) {
        const a = x + dx;
        const b = y + dy;
        const c = z + dz;
        if (a < 0 || a >= nx || b < 0 || b >= ny || c < 0 || c >= nz) continue;
        const j = a + nx * (b + ny * c);
        if (labels[j] !== 0) continue;
        if (binary ? data[j] === 0 : data[j] !== value) continue;
        labels[j] = count;
        stack.push(j);
      }
    }
  }
  return { labels, count };
};

/** Statistics of labels 0..count; throws RangeError on a label above count. */
export const componentStats: typeof native.componentStats = (labels, size, count, options = {}) => {
  const [nx, ny, nz] = size;
  const slots = count + 1;
  const { values, weights } = options;
  const voxels = new Float64Array(slots);
  const boxMin = new Int32Array(3 * slots).fill(-1);
  const boxMax = new Int32Array(3 * slots).fill(-1);
  const sums = new Float64Array(3 * slots);
  const value = values ? new Float64Array(slots).fill(NaN) : null;
  const weightSums = new Float64Array(slots);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const l = labels[i];
        if (l > count) throw new RangeError(`componentStats: labels[${i}] = ${l} exceeds count = ${count}`);
        const c = [x, y, z];
        for (let a = 0; a < 3; a++) {
          const k = 3 * l + a;
          if (voxels[l] === 0 || c[a] < boxMin[k]) boxMin[k] = c[a];
          if (voxels[l] === 0 || c[a] > boxMax[k]) boxMax[k] = c[a];
          sums[k] += c[a];
        }
        if (voxels[l] === 0 && value && values) value[l] = values[i];
        voxels[l]++;
        if (weights) weightSums[l] += weights[i];
      }
    }
  }
  const centroid = sums.map((s, k) =>
    voxels[Math.floor(k / 3)] === 0 ? NaN : s / voxels[Math.floor(k / 3)],
  );
  const mean = weights ? weightSums.map((s, l) => (voxels[l] === 0 ? NaN : s / voxels[l])) : null;
  return { count, voxels, boxMin, boxMax, centroid, value, mean };
};

/** The distinct non-zero values of `labels` (or of `values` if given), ascending. */
function selectedValues(labels: LabelArray, values: LabelFilterOptions['values']): number[] {
  const present = new Set<number>(labels);
  present.delete(0);
  const chosen = values === undefined ? [...present] : [...new Set(values)].filter((v) => present.has(v));
  return chosen.sort((a, b) => a - b);
}

/** `labels === value` as a 0/1 mask. */
function maskOf(labels: LabelArray, value: number): Uint8Array {
  return Uint8Array.from(labels, (v) => (v === value ? 1 : 0));
}

function sizesOf(cc: Components): number[] {
  const sizes = new Array<number>(cc.count + 1).fill(0);
  for (const l of cc.labels) sizes[l]++;
  return sizes;
}

/** out[i] = 0 where mask's component is not kept; counts what went. */
function dropComponents<T extends LabelArray>(
  out: T,
  cc: Components,
  keep: (label: number) => boolean,
  removed: { components: number; voxels: number },
): void {
  const sizes = sizesOf(cc);
  for (let l = 1; l <= cc.count; l++) {
    if (keep(l)) continue;
    removed.components++;
    removed.voxels += sizes[l];
  }
  cc.labels.forEach((l, i) => {
    if (l !== 0 && !keep(l)) out[i] = 0;
  });
}

/** inference.py remove_small_objects_binary (perLabel false), or the same per label value. */
export const removeSmallComponents: typeof native.removeSmallComponents = (labels, size, options) => {
  const { minSize, connectivity = 6, perLabel = false } = options;
  const out = labels.slice() as typeof labels;
  const removed = { components: 0, voxels: 0 };
  const cc = connectedComponents(labels, size, { connectivity, binary: !perLabel });
  const sizes = sizesOf(cc);
  dropComponents(out, cc, (l) => sizes[l] >= minSize, removed);
  return { labels: out, removedComponents: removed.components, removedVoxels: removed.voxels };
};

/** remove_all_but_largest_component_cc3d per value: keeps every component of the largest size. */
export const keepLargestComponents: typeof native.keepLargestComponents = (labels, size, options = {}) => {
  const out = labels.slice() as typeof labels;
  const removed = { components: 0, voxels: 0 };
  for (const value of selectedValues(labels, options.values)) {
    const cc = connectedComponents(maskOf(labels, value), size, { connectivity: options.connectivity ?? 6 });
    const sizes = sizesOf(cc);
    const largest = sizes.slice(1).reduce((a, b) => Math.max(a, b), 0);
    dropComponents(out, cc, (l) => sizes[l] === largest, removed);
  }
  return { labels: out, removedComponents: removed.components, removedVoxels: removed.voxels };
};

/** remove_all_but_prob_or_size_component_cc3d for each value (seg_postprocess). */
export const keepProbableComponents: typeof native.keepProbableComponents = (
  labels,
  size,
  probability,
  options = {},
) => {
  const rule = probableRule(options);
  const out = labels.slice() as typeof labels;
  const removed = { components: 0, voxels: 0 };
  for (const value of selectedValues(labels, options.values)) {
    const cc = connectedComponents(maskOf(labels, value), size, { connectivity: options.connectivity ?? 6 });
    const sizes = sizesOf(cc);
    const sums = new Array<number>(cc.count + 1).fill(0);
    cc.labels.forEach((l, i) => (sums[l] += probability[i]));
    // sorted(component_sizes.items(), key=lambda x: -x[1])[:3]: a stable sort.
    const ids = Array.from({ length: cc.count }, (_, k) => k + 1);
    const top = ids.sort((a, b) => sizes[b] - sizes[a]).slice(0, rule.candidates);
    // np.mean of a float32 array is a float32.
    const means = top.map((l) => Math.fround(sums[l] / sizes[l]));
    let best = 0;
    for (let k = 1; k < means.length; k++) if (means[k] > means[best]) best = k;
    const close = top.filter(
      (_, k) => Math.fround(means[best] - means[k]) <= rule.tolerance && means[k] > rule.minProbability,
    );
    const keep = close.length >= 2 ? close : [best < rule.shortlist ? top[best] : top[0]];
    dropComponents(out, cc, (l) => keep.includes(l), removed);
  }
  return { labels: out, removedComponents: removed.components, removedVoxels: removed.voxels };
};

/**
 * Per value: the 6-connected components of `labels !== value` over the whole volume that do
 * not touch its border are holes; background voxels in a hole take the value, the smallest
 * hole winning where several values enclose a voxel (ties: the lower value).
 */
export const fillHoles: typeof native.fillHoles = (labels, size, options = {}) => {
  const [nx, ny, nz] = size;
  const out = labels.slice() as typeof labels;
  const claimed = new Float64Array(labels.length);
  for (const value of selectedValues(labels, options.values)) {
    const outside = Uint8Array.from(labels, (v) => (v !== value ? 1 : 0));
    const cc = connectedComponents(outside, size, { connectivity: 6, binary: true });
    const sizes = sizesOf(cc);
    const open = new Array<boolean>(cc.count + 1).fill(false);
    cc.labels.forEach((l, i) => {
      const x = i % nx;
      const y = Math.floor(i / nx) % ny;
      const z = Math.floor(i / (nx * ny));
      if (x === 0 || y === 0 || z === 0 || x === nx - 1 || y === ny - 1 || z === nz - 1) open[l] = true;
    });
    cc.labels.forEach((l, i) => {
      if (l === 0 || open[l] || labels[i] !== 0) return;
      if (claimed[i] !== 0 && claimed[i] <= sizes[l]) return;
      claimed[i] = sizes[l];
      out[i] = value;
    });
  }
  let filled = 0;
  for (let i = 0; i < labels.length; i++) if (out[i] !== labels[i]) filled++;
  return { labels: out, filled };
};
