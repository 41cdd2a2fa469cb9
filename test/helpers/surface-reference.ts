/**
 * Independent python3 + numpy + scipy computations of the challenge metrics, written from the
 * procedure in surface-dice/README.md of the shared data (shared-data.ts) and the metric definitions (not from the
 * addon): NSD with scipy.ndimage.correlate and distance_transform_edt, neighbour codes, semantic
 * DSC/NSD case scores, and instance F1 / DSC TP with scipy.ndimage.label and
 * scipy.optimize.linear_sum_assignment.
 *
 * Volumes are sent as C-order arrays of shape (Z, Y, X) (the bytes of an x-fastest volume), and
 * spacings in numpy order (sz, sy, sx).
 */
import path from 'node:path';
import { packageRoot } from '../../functions/lib/core/package-info.js';
import type { Size3 } from '../../native/index.js';
import { type NpyData, runPython } from './python.js';

/** The procedure's functions (python); TABLE is the surfel normals JSON file's path, quoted. */
const FUNCTIONS = String.raw`
import json, math, sys, os, time
import numpy as np
from scipy import ndimage, optimize

normals = json.load(open(TABLE))
KERNEL = np.array([[[128, 64], [32, 16]], [[8, 4], [2, 1]]])

def load(name):
    return np.load(os.path.join(folder, name + ".npy"))

def surfel_areas(spacing):
    s0, s1, s2 = spacing
    table = np.zeros(256)
    for code in range(256):
        total = 0.0
        for n in normals[code]:
            total += float(np.sqrt((n[0] * s1 * s2) ** 2 + (n[1] * s0 * s2) ** 2 + (n[2] * s0 * s1) ** 2))
        table[code] = total
    return table

def codes(mask):
    return ndimage.correlate(mask.astype(np.uint8), KERNEL, mode="constant", cval=0)

def nsd(gt, pred, spacing, tol):
    union = gt | pred
    if not union.any():
        return {"nsd": None, "gtArea": 0.0, "predArea": 0.0, "gtSurfels": 0, "predSurfels": 0}
    where = np.nonzero(union)
    lo = [int(w.min()) for w in where]
    hi = [int(w.max()) for w in where]
    window = tuple(slice(l, h + 1) for l, h in zip(lo, hi))
    shape = tuple(h - l + 2 for l, h in zip(lo, hi))
    g = np.zeros(shape, np.uint8)
    p = np.zeros(shape, np.uint8)
    g[:-1, :-1, :-1] = gt[window]
    p[:-1, :-1, :-1] = pred[window]
    cg, cp = codes(g), codes(p)
    bg = (cg != 0) & (cg != 255)
    bp = (cp != 0) & (cp != 255)
    def distance_to(border):
        if border.any():
            return ndimage.distance_transform_edt(~border, sampling=spacing)
        return np.full(border.shape, np.inf)
    d_gp = distance_to(bp)[bg]
    d_pg = distance_to(bg)[bp]
    areas = surfel_areas(spacing)
    a_g = areas[cg[bg]]
    a_p = areas[cp[bp]]
    total = a_g.sum() + a_p.sum()
    within = a_g[d_gp <= tol].sum() + a_p[d_pg <= tol].sum()
    return {"nsd": float(within / total) if total > 0 else None, "gtArea": float(a_g.sum()),
            "predArea": float(a_p.sum()), "gtSurfels": int(bg.sum()), "predSurfels": int(bp.sum())}

def dice(a, b):
    s = int(a.sum()) + int(b.sum())
    return None if s == 0 else 2.0 * int((a & b).sum()) / s

def semantic(gt, pred, spacing, tol, labels):
    present = [int(v) for v in np.unique(gt)[1:]]
    if labels is not None:
        present = [v for v in present if v in labels]
    rows = []
    for v in sorted(present):
        rows.append({"label": v, "dsc": dice(gt == v, pred == v), "nsd": nsd(gt == v, pred == v, spacing, tol)["nsd"]})
    mean = lambda xs: (sum(xs) / len(xs)) if xs else None
    return {"dsc": mean([r["dsc"] for r in rows]), "nsd": mean([r["nsd"] for r in rows]), "classes": rows}

def instance(gt, pred):
    if len(np.unique(pred)) == 2:
        # 6-connectivity (the default cross structure); the test predictions are {0, v}
        comp, _ = ndimage.label(pred > 0)
        pred = np.where(comp > 0, comp.astype(np.int64) + int(pred.max()), pred)
    def sequential(a):
        values = np.unique(a)
        values = values[values != 0]
        out = np.zeros(a.shape, np.int64)
        for k, v in enumerate(values):
            out[a == v] = k + 1
        return out, len(values)
    g, n_g = sequential(gt)
    p, n_p = sequential(pred)
    if n_p == 0:
        return {"f1": 0.0, "dscTp": 0.0, "tp": 0, "fp": 0, "fn": 0}
    inter = np.zeros((n_g + 1, n_p + 1))
    np.add.at(inter, (g.ravel(), p.ravel()), 1)
    size_g = inter.sum(axis=1)[1:]
    size_p = inter.sum(axis=0)[1:]
    inter = inter[1:, 1:]
    union = size_g[:, None] + size_p[None, :] - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    tp = 0
    dices = []
    if n_g > 0:
        n_min = min(n_g, n_p)
        rows, cols = optimize.linear_sum_assignment(-(iou >= 0.5).astype(float) - iou / (2 * n_min))
        for r, c in zip(rows, cols):
            if iou[r, c] >= 0.5:
                tp += 1
                dices.append(2 * inter[r, c] / (size_g[r] + size_p[c]))
    fp, fn = n_p - tp, n_g - tp
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"f1": f1, "dscTp": float(np.mean(dices)) if dices else 0.0, "tp": tp, "fp": int(fp), "fn": int(fn)}

`;

const SCRIPT =
  FUNCTIONS +
  String.raw`
folder = sys.argv[1]
spec = json.loads(SPEC_JSON)
results = []
for k, case in enumerate(spec["cases"]):
    gt = load("gt_%d" % k)
    pred = load("pred_%d" % k)
    kind = case["kind"]
    started = time.perf_counter()
    if kind == "nsd":
        results.append(nsd(gt != 0, pred != 0, tuple(case["spacing"]), case["tolerance"]))
    elif kind == "codes":
        c = codes(np.pad(gt != 0, ((0, 1), (0, 1), (0, 1))))
        np.save(os.path.join(folder, "out_codes_%d.npy" % k), c.astype(np.uint8))
        results.append({})
    elif kind == "semantic":
        results.append(semantic(gt, pred, tuple(case["spacing"]), case["tolerance"], case.get("labels")))
    elif kind == "instance":
        results.append(instance(gt, pred))
    # Compute time only (the arrays are already loaded), for the benchmarks.
    results[-1]["seconds"] = time.perf_counter() - started
print(json.dumps(results))
`;

export type ReferenceCase =
  | { kind: 'nsd'; spacing: [number, number, number]; tolerance: number }
  | { kind: 'codes' }
  | { kind: 'semantic'; spacing: [number, number, number]; tolerance: number; labels?: number[] }
  | { kind: 'instance' };

/** The result of an 'nsd' case (nsd is null where neither mask has a surface). */
export interface NsdResult {
  nsd: number | null;
  gtArea: number;
  predArea: number;
  gtSurfels: number;
  predSurfels: number;
  /** Compute time in python, after loading the arrays. */
  seconds: number;
}

export interface ReferenceInput {
  /** x-fastest volume data of `size`; sent to python as (Z, Y, X). */
  gt: NpyData;
  pred: NpyData;
  size: Size3;
  /** Spacings in this object are volume order [sx, sy, sz]; they are reversed for python. */
  case: ReferenceCase;
}

/** numpy-order (sz, sy, sx) of a volume spacing [sx, sy, sz]. */
function numpyOrder(s: [number, number, number]): [number, number, number] {
  return [s[2], s[1], s[0]];
}

/**
 * Runs every case in one python process; returns one JSON result per case (python None -> null;
 * each with `seconds`, its compute time after loading) and the arrays it saved (codes_<k> for the
 * 'codes' cases).
 */
export function runReference(python: string, inputs: ReferenceInput[], timeoutMs?: number) {
  const arrays: Record<string, { data: NpyData; shape: readonly number[] }> = {};
  const cases = inputs.map((input, k) => {
    const shape = [input.size[2], input.size[1], input.size[0]];
    arrays[`gt_${k}`] = { data: input.gt, shape };
    arrays[`pred_${k}`] = { data: input.pred, shape };
    const c = input.case;
    return 'spacing' in c ? { ...c, spacing: numpyOrder(c.spacing) } : c;
  });
  const spec = {
    table: path.join(packageRoot(), 'functions', 'lib', 'metrics', 'surfel-normals.json'),
    cases,
  };
  const script = SCRIPT.replace('TABLE', JSON.stringify(spec.table)).replace(
    'SPEC_JSON',
    JSON.stringify(JSON.stringify(spec)),
  );
  return runPython<Record<string, unknown>[]>(python, script, arrays, timeoutMs);
}

/**
 * A whole python process doing `medals evaluate`'s job with the reference procedure: start-up,
 * importing numpy, scipy and nibabel, reading the two image files with nibabel (the stored voxel
 * type, cast to uint8 as the evaluator casts), the semantic DSC and NSD of every ground-truth
 * label at `tolerance` mm (spacing: the ground truth header's, in the arrays' axis order), and
 * writing them as JSON to `out`. Run it as `python -c SCRIPT`; returns the script.
 */
export function referenceEvaluateScript(
  gtFile: string,
  predFile: string,
  tolerance: number,
  out: string,
): string {
  const table = path.join(packageRoot(), 'functions', 'lib', 'metrics', 'surfel-normals.json');
  return (
    FUNCTIONS.replace('TABLE', JSON.stringify(table)) +
    String.raw`
import nibabel as nib
g_img = nib.load(${JSON.stringify(gtFile)})
p_img = nib.load(${JSON.stringify(predFile)})
gt = np.asanyarray(g_img.dataobj).astype(np.uint8)
pred = np.asanyarray(p_img.dataobj).astype(np.uint8)
spacing = tuple(float(s) for s in g_img.header.get_zooms()[:3])
result = semantic(gt, pred, spacing, ${JSON.stringify(tolerance)}, None)
with open(${JSON.stringify(out)}, "w") as f:
    json.dump(result, f)
`
  );
}

/** One case as the challenge harness holds it: its input npz, ground-truth npz and output npz. */
export interface HarnessCase {
  input: string;
  gt: string;
  output: string;
}

/**
 * A python script scoring outputs as the challenge harness (CVPR25_text_eval.py) does, with the
 * reference procedure above: `gts` of the ground-truth npz and `segs` of the output npz, both
 * read with np.load(allow_pickle=True) and cast to uint8; `spacing`, `instance_label` and the
 * class ids from the INPUT npz (its `text_prompts`); a semantic case scores the prompted classes
 * present in the ground truth (DSC, NSD at 2 mm with that spacing on the (D, H, W) axes), an
 * instance case F1 and DSC TP. It also reports what the output holds (keys, segs dtype and
 * shape, spacing, whether its text_prompts equal the input's) and writes one JSON list to `out`.
 * Run it as `python -c SCRIPT`.
 */
export function referenceHarnessScript(cases: HarnessCase[], out: string): string {
  const table = path.join(packageRoot(), 'functions', 'lib', 'metrics', 'surfel-normals.json');
  return (
    FUNCTIONS.replace('TABLE', JSON.stringify(table)) +
    String.raw`
results = []
for case in json.loads(${JSON.stringify(JSON.stringify(cases))}):
    image = np.load(case["input"], allow_pickle=True)
    output = np.load(case["output"], allow_pickle=True)
    prompts = image["text_prompts"].item()
    segs = output["segs"]
    gt = np.load(case["gt"], allow_pickle=True)["gts"].astype(np.uint8)
    pred = segs.astype(np.uint8)
    spacing = tuple(float(s) for s in image["spacing"])
    row = {
        "keys": sorted(output.files),
        "dtype": str(segs.dtype),
        "shape": list(segs.shape),
        "imageShape": list(image["imgs"].shape),
        "spacing": [float(s) for s in output["spacing"]],
        "inputSpacing": list(spacing),
        "promptsEqual": bool(output["text_prompts"].item() == prompts),
    }
    if prompts["instance_label"] == 1:
        row["task"] = "instance"
        row.update(instance(gt, pred))
    else:
        row["task"] = "semantic"
        ids = sorted(int(k) for k in prompts if k != "instance_label")
        row.update(semantic(gt, pred, spacing, 2.0, ids))
    results.append(row)
with open(${JSON.stringify(out)}, "w") as f:
    json.dump(results, f)
`
  );
}
