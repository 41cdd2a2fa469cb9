#!/usr/bin/env python3
"""PyTorch vs onnxruntime on an exported model folder: max abs difference of the outputs.

For every stage of the folder's manifest, random inputs of the contract's shapes (queries ~ N(0, 1),
image uniform 0..255, 0/1 block prompts with sc_prompt their union) for each N asked (default 1
and 3: the graphs were traced with N = 2, so both differ from it), run through the PyTorch
reference and through onnxruntime (CPU, default optimisations, as the engine opens it); with a
text encoder, a few token batches too. Reports max |torch - onnx| per run; fails (exit 1) when one
is above --tol (default 1e-4).

A deep float32 network differs from itself by more than rounding-free tolerances allow once the
summation order changes (onnxruntime's convolutions are not PyTorch's). With --float64 the
reference also runs in float64 and a stage run passes when onnxruntime is within --tol of PyTorch
or at least as close to the float64 result as PyTorch's own float32 run is (within a factor 2):
the export then adds no error of its own. (Tried on the official MedalS with random weights at a
32x32x64 patch: torch float32 vs float64 8.5e-5, onnxruntime vs float64 7.2e-5, torch vs
onnxruntime 1.5e-4.)

The reference is what the official inference calls: MedalS.forward(queries, image, sc, mc,
train_mode=False), and Knowledge_Encoder(texts, modality, device) on the official tokenization.
For the official checkpoints:

    python3 models/export/parity.py --model ~/medal-s-model --repo Medal-S \\
        --checkpoint <stage 1 .pth> --checkpoint2 <stage 2 .pth> \\
        [--biolord checkpoints/BioLORD-2023-C --text-checkpoint checkpoints/text_encoder.pth]

`check_folder(...)` is the same check for any networks (models/export/proof.py uses it).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from typing import Callable, Dict, Mapping, Optional, Sequence

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_medal_s import (  # noqa: E402
    MANIFEST_FILE,
    MEDALS_STAGES,
    STAGE_INPUTS,
    build_official_stage,
    build_official_text_encoder,
)

StageReference = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def random_stage_inputs(rng: np.random.Generator, n: int, width: int, patch: Sequence[int]) -> Dict[str, np.ndarray]:
    """Contract inputs: queries (N, E) ~ N(0,1); image 0..255; mc_prompt random 4^3-voxel blocks
    (0/1) per class; sc_prompt their union."""
    h, w, d = patch
    blocks = rng.random((n, -(-h // 4), -(-w // 4), -(-d // 4))) > 0.6
    mc = blocks.repeat(4, 1).repeat(4, 2).repeat(4, 3)[:, :h, :w, :d].astype(np.float32)[None]
    return {
        "queries": rng.standard_normal((n, width)).astype(np.float32),
        "image": (rng.random((1, 1, h, w, d)) * 255.0).astype(np.float32),
        "sc_prompt": mc.max(axis=1, keepdims=True),
        "mc_prompt": mc,
    }


def open_session(path: str):
    import onnxruntime as ort

    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def stage_parity(onnx_path: str, reference: StageReference, width: int, patch: Sequence[int],
                 ns: Sequence[int] = (1, 3), seed: int = 0, device="cpu",
                 save_dir: Optional[str] = None, prefix: str = "stage",
                 reference64: Optional[StageReference] = None, tol: float = 1e-4) -> list:
    sess = open_session(onnx_path)
    rng = np.random.default_rng(seed)
    runs = []
    for n in ns:
        feed = random_stage_inputs(rng, n, width, patch)
        t0 = time.time()
        with torch.no_grad():
            ref = reference(*(torch.from_numpy(feed[k]).to(device) for k in STAGE_INPUTS))
        ref = ref.detach().float().cpu().numpy()
        t1 = time.time()
        (out,) = sess.run(["logits"], feed)
        t2 = time.time()
        if out.shape != ref.shape:
            raise AssertionError(f"{onnx_path} N={n}: onnx logits {out.shape}, torch {ref.shape}")
        diff = float(np.max(np.abs(out - ref)))
        run = {"n": n, "shape": list(out.shape), "maxAbsDiff": diff,
               "maxAbsLogit": float(np.max(np.abs(ref))), "meanAbsLogit": float(np.mean(np.abs(ref))),
               "torchSeconds": round(t1 - t0, 3), "onnxSeconds": round(t2 - t1, 3), "ok": diff <= tol}
        if reference64 is not None:
            with torch.no_grad():
                ref64 = reference64(*(torch.from_numpy(feed[k]).to(device, torch.float64) for k in STAGE_INPUTS))
            ref64 = ref64.detach().cpu().numpy()
            run["torchVsFloat64"] = float(np.max(np.abs(ref - ref64)))
            run["onnxVsFloat64"] = float(np.max(np.abs(out - ref64)))
            run["ok"] = run["ok"] or run["onnxVsFloat64"] <= 2 * run["torchVsFloat64"]
        runs.append(run)
        if save_dir:
            os.makedirs(save_dir, exist_ok=True)
            for k, v in feed.items():
                np.save(os.path.join(save_dir, f"{prefix}_n{n}_{k}.npy"), v)
            np.save(os.path.join(save_dir, f"{prefix}_n{n}_logits.npy"), ref)
    return runs


def text_parity(onnx_path: str, reference: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
                batches: Sequence[Mapping[str, np.ndarray]]) -> list:
    """reference(input_ids, attention_mask, modality) -> (N, E) numpy; batches of int64 arrays."""
    sess = open_session(onnx_path)
    runs = []
    for b in batches:
        feed = {k: np.ascontiguousarray(b[k], dtype=np.int64) for k in ("input_ids", "attention_mask", "modality")}
        ref = reference(feed["input_ids"], feed["attention_mask"], feed["modality"])
        (out,) = sess.run(["embeddings"], feed)
        runs.append({"n": int(feed["input_ids"].shape[0]), "length": int(feed["input_ids"].shape[1]),
                     "maxAbsDiff": float(np.max(np.abs(out - ref))), "maxAbs": float(np.max(np.abs(ref)))})
    return runs


def read_manifest(model_dir: str) -> dict:
    with open(os.path.join(model_dir, MANIFEST_FILE), encoding="utf-8") as f:
        return json.load(f)


def check_folder(model_dir: str, stage_references: Mapping[int, StageReference],
                 text_reference=None, text_batches: Sequence[Mapping[str, np.ndarray]] = (),
                 ns: Sequence[int] = (1, 3), seed: int = 0, device="cpu", tol: float = 1e-4,
                 save_dir: Optional[str] = None,
                 float64_references: Optional[Mapping[int, StageReference]] = None) -> dict:
    """Parity of every stage in `stage_references` (and the text encoder) of the folder."""
    manifest = read_manifest(model_dir)
    width = manifest["embeddingWidth"]
    report = {"model": os.path.abspath(model_dir), "tol": tol, "stages": {}, "text": []}
    for key, reference in sorted(stage_references.items()):
        spec = manifest["stages"][str(key)]
        report["stages"][str(key)] = stage_parity(
            os.path.join(model_dir, spec["onnx"]["path"]), reference, width, spec["patch"], ns,
            seed + key, device, save_dir, f"stage{key}", (float64_references or {}).get(key), tol)
    if text_reference is not None and text_batches:
        enc = manifest["text"]["encoder"]
        report["text"] = text_parity(os.path.join(model_dir, enc["onnx"]["path"]), text_reference, text_batches)
    diffs = [r["maxAbsDiff"] for runs in report["stages"].values() for r in runs] + \
            [r["maxAbsDiff"] for r in report["text"]]
    report["maxAbsDiff"] = max(diffs) if diffs else None
    report["ok"] = bool(diffs) and all(r["ok"] for runs in report["stages"].values() for r in runs) and \
        all(r["maxAbsDiff"] <= tol for r in report["text"])
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="PyTorch vs onnxruntime parity of an exported Medal S folder")
    ap.add_argument("--model", required=True, help="the exported model folder")
    ap.add_argument("--repo", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--checkpoint2")
    ap.add_argument("--biolord")
    ap.add_argument("--text-checkpoint")
    ap.add_argument("--n", type=int, nargs="+", default=[1, 3], help="numbers of classes to try")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--save", help="folder for the inputs and torch logits (.npy)")
    ap.add_argument("--float64", action="store_true",
                    help="also run a float64 copy of each stage (twice the weights' memory, slower)")
    args = ap.parse_args(argv)
    torch.set_grad_enabled(False)

    refs, refs64 = {}, {}

    def official(m):
        return lambda q, im, sc, mc: m(q, im, sc, mc, train_mode=False)

    for key, ckpt in ((1, args.checkpoint), (2, args.checkpoint2)):
        if ckpt:
            net = build_official_stage(args.repo, ckpt, MEDALS_STAGES[key]["patch"], args.device)
            refs[key] = official(net)
            if args.float64:
                refs64[key] = official(copy.deepcopy(net).double())
    text_ref, batches = None, []
    if args.biolord:
        ke, _ = build_official_text_encoder(args.repo, args.biolord, args.text_checkpoint, args.device)
        names = ["Liver in abdominal CT.", "Left kidney.", "Pulmonary nodules in chest CT scans.",
                 "Brain tumour in T1-weighted MRI."]
        tok = ke.text_tower.tokenizer.tokenize(names)  # the official tokenization
        for modality, count in ((0, 4), (1, 2)):
            batches.append({"input_ids": tok["input_ids"][:count].numpy(),
                            "attention_mask": tok["attention_mask"][:count].numpy(),
                            "modality": np.full(count, modality, dtype=np.int64),
                            "texts": names[:count]})

        def text_ref(ids, mask, modality):  # the official forward, on the batch's sentences
            b = next(b for b in batches if b["input_ids"] is ids or np.array_equal(b["input_ids"], ids))
            code = torch.tensor([int(modality[0])], device=args.device)
            with torch.no_grad():
                return ke(b["texts"], code, args.device).float().cpu().numpy()

    report = check_folder(args.model, refs, text_ref, batches, args.n, args.seed, args.device, args.tol, args.save,
                          refs64)
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
