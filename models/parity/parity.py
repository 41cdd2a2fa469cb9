#!/usr/bin/env python3
"""npm run parity -- CASE.npz [--out DIR] [--network small|full] [--seed N]

Runs the official Medal S inference (../shared/medal-s-official, unmodified, through official.py)
and `medals segment CASE.npz --model <the same weights, exported>` as a user runs it, then
compares them stage by stage and writes DIR/parity.json; the last line printed is a one-line
summary. Exit status 1 when anything is out of tolerance, 2 on bad usage.

CASE is a challenge npz: `imgs` (D, H, W) 0..255, `spacing`, `text_prompts` with `instance_label`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import official as O  # noqa: E402
import weights as W  # noqa: E402

# Tolerances of issue 14; tighten, never loosen.
INPUT_TOL = 0.01  # stage inputs, 0..255 units
PROB_TOL = 1e-3  # stitched probabilities
QUERY_TOL = 1e-4  # text embeddings (the export's own parity tolerance)
FINAL_DSC = 0.999


def load(path: str) -> Optional[np.ndarray]:
    return np.load(path) if os.path.isfile(path) else None


def dsc(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = int(a.sum()), int(b.sum())
    if sa + sb == 0:
        return 1.0
    return 2.0 * int(np.logical_and(a, b).sum()) / (sa + sb)


class Report:
    def __init__(self):
        self.failures: List[str] = []

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
        return ok


def compare_stage(k: int, off_dir: str, med_dir: str, off_meta: dict, med_meta: dict, med_plans: dict,
                  report: Report) -> Dict[str, Any]:
    om = off_meta["stages"].get(str(k))
    mm = (med_meta.get("stages") or {}).get(str(k))
    ran_o = om is not None
    ran_m = os.path.isfile(os.path.join(med_dir, f"stage{k}_input.npy"))
    out: Dict[str, Any] = {"ran": {"official": ran_o, "medals": ran_m}}
    if not report.check(ran_o == ran_m, f"stage {k} ran in {'the official code' if ran_o else 'medals'} only"):
        return out
    if not ran_o:
        return out
    o_in, m_in = load(os.path.join(off_dir, f"stage{k}_input.npy")), load(os.path.join(med_dir, f"stage{k}_input.npy"))
    plan = {"official": {"targetSpacing": om["plan"]["targetSpacing"], "workingShape": om["plan"]["workingShape"]},
            "medals": {"targetSpacing": (med_plans.get(k) or {}).get("targetSpacing"), "workingShape": list(m_in.shape)}}
    plan["equal"] = (plan["official"]["workingShape"] == plan["medals"]["workingShape"]
                     and plan["medals"]["targetSpacing"] is not None
                     and np.allclose(plan["official"]["targetSpacing"], plan["medals"]["targetSpacing"], rtol=1e-6, atol=0))
    out["plan"] = plan
    if not report.check(plan["equal"], f"stage {k} plan differs: official {plan['official']}, medals {plan['medals']}"):
        return out
    diff = float(np.abs(o_in.astype(np.float64) - m_in).max())
    out["input"] = {"max_abs": diff, "tolerance": INPUT_TOL}
    report.check(diff <= INPUT_TOL, f"stage {k} network input differs by {diff:.4g} (tolerance {INPUT_TOL})")

    o_win = [list(w) for w in om["windows"]]
    m_win = [list(w) for w in (mm or {}).get("windows", {}).get("starts", [])]
    out["windows"] = {"equal": o_win == m_win, "count": len(o_win)}
    report.check(o_win == m_win, f"stage {k} window origins differ: official {o_win[:4]}..., medals {m_win[:4]}...")

    if k == 2 or os.path.isfile(os.path.join(off_dir, f"stage{k}_prompts.npy")):
        o_pr, m_pr = load(os.path.join(off_dir, f"stage{k}_prompts.npy")), load(os.path.join(med_dir, f"stage{k}_prompts.npy"))
        if o_pr is not None or m_pr is not None:
            if report.check(o_pr is not None and m_pr is not None and o_pr.shape == m_pr.shape,
                            f"stage {k} spatial prompts: given in one pipeline only or on different grids"):
                agree = float((np.rint(o_pr).astype(np.int64) == m_pr).mean())
                out["prompts"] = {"agreement": agree}
                report.check(agree == 1.0, f"stage {k} spatial prompts agree on {agree:.6f} of the voxels (want all)")

    fb = compare_feedback(k, off_dir, med_dir, len(o_win), report)
    if fb:
        out["feedback"] = fb

    o_p, m_p = load(os.path.join(off_dir, f"stage{k}_prob.npy")), load(os.path.join(med_dir, f"stage{k}_prob.npy"))
    h, w, d = m_in.shape
    o_p = o_p[:, :h, :w, :d]
    pdiff = float(np.abs(o_p - m_p).max())
    out["probabilities"] = {"max_abs": pdiff, "tolerance": PROB_TOL}
    report.check(pdiff <= PROB_TOL, f"stage {k} probabilities differ by {pdiff:.4g} (tolerance {PROB_TOL})")

    o_l = load(os.path.join(off_dir, f"stage{k}_worklabels.npy")).astype(np.int64)
    m_l = load(os.path.join(med_dir, f"stage{k}_worklabels.npy")).astype(np.int64)
    band = O.near_ties(o_p)
    equal = o_l == m_l
    decided_agree = float(equal[~band].mean()) if (~band).any() else 1.0
    out["labels"] = {"agreement": float(equal.mean()), "decided_agreement": decided_agree,
                     "left_out": int(band.sum()), "differing_decided_voxels": int((~equal & ~band).sum())}
    report.check(decided_agree == 1.0,
                 f"stage {k} labels differ on {out['labels']['differing_decided_voxels']} voxels away from the threshold")
    return out


def compare_feedback(k: int, off_dir: str, med_dir: str, windows: int, report: Report) -> Optional[Dict[str, Any]]:
    """Instance tasks: each window's own prediction, thresholded at 0.5, is its next prompt. A
    voxel may differ there only where the official prediction was a near tie (within the band
    of 0.5): float rounding decides those, in either pipeline."""
    rounds, differing, ties = 0, 0, 0
    for w in range(windows):
        r = 0
        while True:
            o = load(os.path.join(off_dir, f"stage{k}_feedback_w{w}_r{r}.npy"))
            m = load(os.path.join(med_dir, f"stage{k}_feedback_w{w}_r{r}.npy"))
            if o is None and m is None:
                break
            if not report.check(o is not None and m is not None and o.shape == m.shape,
                                f"stage {k} window {w}: feedback round {r} in one pipeline only"):
                return None
            prob = load(os.path.join(off_dir, f"stage{k}_feedbackprob_w{w}_r{r}.npy"))
            diff = o != m
            near = np.abs(prob - 0.5) < O.TIE_BAND
            rounds, differing, ties = rounds + 1, differing + int(diff.sum()), ties + int((diff & near).sum())
            r += 1
    if rounds == 0:
        return None
    report.check(differing == ties, f"stage {k}: the instance feedback differs on {differing - ties} voxels "
                                    f"that are not near ties of the official prediction")
    return {"rounds": rounds, "differing_voxels": differing, "near_ties": ties}


def run_medals(case: str, model: str, out_dir: str, trace_dir: str) -> float:
    env = dict(os.environ, MEDALS_PARITY_TRACE=trace_dir)
    cmd = ["node", os.path.join(ROOT, "bin", "medals.js"), "segment", case, "--model", model, "--out", out_dir]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    with open(os.path.join(os.path.dirname(trace_dir), "medals.log"), "w") as f:
        f.write(proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"medals segment failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="npm run parity --", description=__doc__.split("\n\n")[1])
    ap.add_argument("case", help="a challenge npz (imgs, spacing, text_prompts)")
    ap.add_argument("--out", help="folder for parity.json and both pipelines' outputs (default: parity-<case>)")
    ap.add_argument("--network", choices=["small", "full"], default="small")
    ap.add_argument("--seed", type=int, default=0, help="seed of the stand-in weights")
    args = ap.parse_args(argv)
    case = os.path.abspath(args.case)
    if not os.path.isfile(case):
        print(f"NOT_FOUND: no file {args.case}", file=sys.stderr)
        return 2
    try:
        with np.load(case, allow_pickle=True) as z:
            missing = [k for k in ("imgs", "spacing", "text_prompts") if k not in z.files]
    except Exception as e:  # not a zip / npz at all
        print(f"INVALID_INPUT: {args.case} is not a readable npz ({e})", file=sys.stderr)
        return 2
    if missing:
        print(f"INVALID_INPUT: {args.case} lacks {', '.join(missing)}: parity needs a challenge npz "
              "(imgs, spacing, text_prompts with instance_label)", file=sys.stderr)
        return 2
    name = os.path.splitext(os.path.basename(case))[0]
    out = os.path.abspath(args.out or f"parity-{name}")
    os.makedirs(out, exist_ok=True)

    print(f"weights: {args.network} network, seed {args.seed}", file=sys.stderr)
    paths = W.ensure_weights(args.network, args.seed, os.path.join(ROOT, "models", "generated", "parity"))
    med_dir, med_trace = os.path.join(out, "medals"), os.path.join(out, "medals-trace")
    # A rerun into the same folder must not compare against an earlier run's arrays.
    for sub in (med_trace, os.path.join(out, "official")):
        if os.path.isdir(sub):
            for f in os.listdir(sub):
                if f.endswith(".npy") or f == "trace.json":
                    os.remove(os.path.join(sub, f))
    print("medals segment ...", file=sys.stderr)
    report = Report()
    try:
        med_wall = run_medals(case, paths["model"], med_dir, med_trace)
    except RuntimeError as e:
        report.failures.append(str(e))
        return finish(out, {"network": args.network, "case": case}, report)
    with open(os.path.join(med_trace, "trace.json")) as f:
        med_meta = json.load(f)
    with open(os.path.join(med_dir, "segment.json")) as f:
        segment = json.load(f)
    print("official inference ...", file=sys.stderr)
    off_dir = os.path.join(out, "official")
    try:
        off_meta = O.run_official(case, off_dir, paths["checkpoints"], args.network, med_meta.get("draws", []),
                                  sync=med_trace)
    except Exception as e:  # the official code itself may fail on a case (section 9 of its notes)
        report.failures.append(f"official run failed: {type(e).__name__}: {e}")
        return finish(out, {"network": args.network, "case": case}, report)

    result: Dict[str, Any] = {"case": case, "network": args.network, "seed": args.seed, "model": paths["model"]}
    o_tok = off_meta.get("tokens", {})
    m_tok = med_meta.get("text", {}).get("tokens", {})
    result["tokens"] = {"equal": o_tok == m_tok, "official": o_tok, "medals": m_tok}
    report.check(o_tok == m_tok, "token ids differ")
    o_q, m_q = load(os.path.join(off_dir, "queries.npy")), load(os.path.join(med_trace, "queries.npy"))
    qdiff = float(np.abs(o_q - m_q).max()) if o_q is not None and m_q is not None and o_q.shape == m_q.shape else float("inf")
    result["queries"] = {"max_abs": qdiff, "tolerance": QUERY_TOL}
    report.check(qdiff <= QUERY_TOL, f"query embeddings differ by {qdiff:.4g} (tolerance {QUERY_TOL})")
    o_code = off_meta.get("modalityCode", [])
    m_codes = med_meta.get("text", {}).get("modalityCodes", [])
    result["modality_codes"] = {"official": o_code, "medals": m_codes}
    report.check(len(o_code) == 1 and all(c == o_code[0] for c in m_codes),
                 f"text encoder modality codes differ: official {o_code} for every query, medals {m_codes}")

    # medals' plans as its records give them: stage 1 in preprocess.json, stage 2 in segment.json.
    with open(os.path.join(med_dir, "preprocess.json")) as f:
        stage1_plan = (json.load(f).get("stage1") or {}).get("plan")
    stage2 = next((s for s in segment["stages"] if s["stage"] == 2), None)
    med_plans = {1: stage1_plan, 2: ((stage2 or {}).get("stage2") or {}).get("plan")}
    for k in (1, 2):
        result[f"stage{k}"] = compare_stage(k, off_dir, med_trace, off_meta, med_meta, med_plans, report)

    o_roi = off_meta.get("roi")
    m_box = ((stage2 or {}).get("stage2") or {}).get("roi")
    m_roi = None
    if m_box:
        lo, hi = m_box["index"]["min"], m_box["index"]["max"]  # (x, y, z) = (W, H, D) of the npz
        m_roi = [[lo[2], hi[2] + 1], [lo[1], hi[1] + 1], [lo[0], hi[0] + 1]]
    result["roi"] = {"official": o_roi, "medals": m_roi}
    result["roi_equal"] = o_roi == m_roi
    report.check(o_roi == m_roi, f"stage-2 ROI differs: official {o_roi}, medals {m_roi} ((D, H, W) [start, stop))")
    draws = {"medals": len(med_meta.get("draws", [])), "official_used": off_meta.get("drawsUsed")}
    result["draws"] = draws
    # Near ties handed to the official code as medals decided them (official.py run_official).
    result["synced_ties"] = off_meta.get("synced", {})
    report.check(draws["medals"] == draws["official_used"],
                 f"medals drew {draws['medals']} block masks, the official code used {draws['official_used']}")

    o_final = load(os.path.join(off_dir, "final.npy"))
    with np.load(os.path.join(med_dir, "seg.npz"), allow_pickle=True) as z:
        m_final = z["segs"]
    final: Dict[str, Any] = {"shape_equal": o_final.shape == m_final.shape}
    if report.check(final["shape_equal"], f"final label maps differ in shape: {o_final.shape} vs {m_final.shape}"):
        final["agreement"] = float((o_final == m_final).mean())
        values = sorted(int(v) for v in set(np.unique(o_final)) | set(np.unique(m_final)) if v != 0)
        prompted = sorted(int(k) for k in np.load(case, allow_pickle=True)["text_prompts"].item() if k != "instance_label")
        final["dsc"] = {str(v): dsc(o_final == v, m_final == v) for v in sorted(set(values) | set(prompted))}
        for v, s in final["dsc"].items():
            report.check(s >= FINAL_DSC, f"final label {v}: DSC {s:.5f} against the official (want >= {FINAL_DSC})")
    result["final"] = final
    med_model = sum(s.get("inferenceSeconds", 0) for s in segment["stages"])
    med_text = med_meta.get("text", {}).get("seconds", 0.0)
    result["official_non_model_s"] = off_meta["nonModelSeconds"]
    result["medals_non_model_s"] = med_wall - med_model - med_text
    result["official_wall_s"], result["medals_wall_s"] = off_meta["wallSeconds"], med_wall
    return finish(out, result, report)


def finish(out: str, result: Dict[str, Any], report: Report) -> int:
    result["pass"] = not report.failures
    result["failures"] = report.failures
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump(result, f, indent=2)
    for line in report.failures:
        print(f"  out of tolerance: {line}", file=sys.stderr)
    final = result.get("final", {})
    dscs = final.get("dsc", {})
    summary = (f"parity {'PASS' if result['pass'] else 'FAIL'}: {os.path.basename(result.get('case', '?'))} "
               f"({result.get('network')}), final agreement {final.get('agreement', float('nan')):.6f}, "
               f"min DSC {min(dscs.values()) if dscs else float('nan'):.5f}, ROI {'equal' if result.get('roi_equal') else 'DIFFERENT'}, "
               f"non-model s official {result.get('official_non_model_s', float('nan')):.1f} / medals "
               f"{result.get('medals_non_model_s', float('nan')):.1f}; {len(report.failures)} out of tolerance -> "
               f"{os.path.join(out, 'parity.json')}")
    print(summary)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
