import type { Volume } from '../../functions/lib/geometry/volume.js';

/** Brute-force 6-connected components of the non-zero voxels (BFS), as an oracle. */
export function components6(v: Volume): { count: number; labelsOf: Set<number>[] } {
  const [X, Y, Z] = v.size;
  const seen = new Uint8Array(v.data.length);
  const labelsOf: Set<number>[] = [];
  const queue: number[] = [];
  for (let start = 0; start < v.data.length; start++) {
    if (!v.data[start] || seen[start]) continue;
    const labels = new Set<number>();
    seen[start] = 1;
    queue.push(start);
    while (queue.length) {
      const n = queue.pop()!;
      labels.add(v.data[n]);
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
      for (const [ok, m] of neighbours) {
        if (ok && v.data[m] && !seen[m]) {
          seen[m] = 1;
          queue.push(m);
        }
      }
    }
    labelsOf.push(labels);
  }
  return { count: labelsOf.length, labelsOf };
}
