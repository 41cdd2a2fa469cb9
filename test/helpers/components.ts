/**
 * Brute-force 6-connected components (a flood fill over face neighbours), as an oracle: the
 * voxels of `data` (x fastest, `size`) for which `member` holds (default: non-zero), two member
 * voxels joined when they share a face. Components are numbered 1..count in the storage order
 * of their first voxel; `labels` holds each voxel's component (0 for non-members) and
 * `voxels[c - 1]` the indices of component c.
 */
export function components6(
  data: ArrayLike<number>,
  size: readonly number[],
  member: (value: number) => boolean = (v) => v !== 0,
): { count: number; labels: Int32Array; voxels: number[][] } {
  const [X, Y, Z] = size;
  const labels = new Int32Array(data.length);
  const voxels: number[][] = [];
  for (let start = 0; start < data.length; start++) {
    if (!member(data[start]) || labels[start] !== 0) continue;
    const label = voxels.length + 1;
    const found = [start];
    labels[start] = label;
    for (let q = 0; q < found.length; q++) {
      const n = found[q];
      const i = n % X;
      const j = Math.floor(n / X) % Y;
      const k = Math.floor(n / (X * Y));
      const neighbours: [boolean, number][] = [
        [i > 0, n - 1],
        [i < X - 1, n + 1],
        [j > 0, n - X],
        [j < Y - 1, n + X],
        [k > 0, n - X * Y],
        [k < Z - 1, n + X * Y],
      ];
      for (const [inside, m] of neighbours) {
        if (inside && labels[m] === 0 && member(data[m])) {
          labels[m] = label;
          found.push(m);
        }
      }
    }
    voxels.push(found);
  }
  return { count: voxels.length, labels, voxels };
}
