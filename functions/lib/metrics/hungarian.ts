/**
 * Minimum-cost assignment of a rectangular cost matrix (what scipy.optimize.linear_sum_assignment
 * computes): every row of the smaller side gets a distinct column (or the other way round) and
 * the total cost is minimal. Hungarian algorithm with potentials (Kuhn-Munkres, shortest
 * augmenting paths), O(n^2 m) for n <= m, on float64 costs.
 */

interface Assignment {
  /** Matched rows, ascending (as scipy returns them). */
  rows: number[];
  /** cols[k] is the column assigned to rows[k]. */
  cols: number[];
  /** Sum of the matched costs. */
  cost: number;
}

/** A dense matrix, row-major: entry (r, c) at data[r * cols + c]. */
interface CostMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** The rows of `cost` (each of the same length) as a CostMatrix. */
function costMatrix(cost: readonly (readonly number[])[]): CostMatrix {
  const rows = cost.length;
  const cols = rows === 0 ? 0 : cost[0].length;
  const data = new Float64Array(rows * cols);
  cost.forEach((row, r) => {
    if (row.length !== cols)
      throw new RangeError(`cost matrix row ${r} has ${row.length} entries, not ${cols}`);
    data.set(row, r * cols);
  });
  return { rows, cols, data };
}

/**
 * Minimum-cost assignment of min(rows, cols) pairs. Costs must be finite (RangeError otherwise).
 * Among several optimal assignments any one may be returned.
 */
export function linearSumAssignment(matrix: CostMatrix | readonly (readonly number[])[]): Assignment {
  const m = Array.isArray(matrix) ? costMatrix(matrix) : (matrix as CostMatrix);
  if (m.data.length !== m.rows * m.cols) throw new RangeError('cost matrix data does not match rows x cols');
  for (const v of m.data)
    if (!Number.isFinite(v)) throw new RangeError(`cost matrix entries must be finite, got ${v}`);
  if (m.rows === 0 || m.cols === 0) return { rows: [], cols: [], cost: 0 };
  if (m.rows <= m.cols) return solve(m.rows, m.cols, (r, c) => m.data[r * m.cols + c]);
  // More rows than columns: solve the transpose, then sort the pairs by row.
  const t = solve(m.cols, m.rows, (r, c) => m.data[c * m.cols + r]);
  const pairs = t.rows.map((col, k) => [t.cols[k], col] as const).sort((a, b) => a[0] - b[0]);
  return { rows: pairs.map((p) => p[0]), cols: pairs.map((p) => p[1]), cost: t.cost };
}

/** n <= m: assigns every row. a(r, c) is the cost, 0-based. */
function solve(n: number, m: number, a: (r: number, c: number) => number): Assignment {
  // 1-based potentials u (rows) and v (columns); p[j]: row matched to column j (0: none).
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOfRow = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j] !== 0) colOfRow[p[j] - 1] = j - 1;
  const rows: number[] = [];
  const cols: number[] = [];
  let cost = 0;
  for (let r = 0; r < n; r++) {
    rows.push(r);
    cols.push(colOfRow[r]);
    cost += a(r, colOfRow[r]);
  }
  return { rows, cols, cost };
}
