"""Run the official Medal S inference, unmodified, and record what it computes on the way.

The official code (../shared/medal-s-official, read-only) is imported as it is; nothing in it is
edited or copied. Its `main()` runs as the authors run it, from a working folder that provides
./inputs, ./outputs, ./text_preprocess and ./seg_postprocess. Around it, this module only replaces
module-level names of `inference` from the outside:

- `run_segmentation`: the same function, with device "cpu" and our checkpoint folder; records each
  stage's inputs and outputs;
- `MedalS`, `Knowledge_Encoder`: the official classes (or the `small` variant of weights.py), their
  forward timed and the text encoder's token ids and queries recorded;
- `torch`: the real module except `autocast` (off: float32, as the ONNX export) and `randperm`
  (fed the block choices medals drew);
- `random`: `choice` fed the block sizes medals drew;
- `respace_image`, `respace_mask`, `split_3d`, `remove_padding`: the same functions, their results
  recorded (network input, stage-2 prompts, window origins, working-grid labels);
- `np`: numpy, except that `argmax` records the stitched probabilities it is given and `load`
  hands out the image as an array that records how main() slices it (the stage-2 ROI box).
"""
from __future__ import annotations

import json
import os
import time
import types
from typing import Any, Dict, List, Optional

import numpy as np
import torch

import weights as W


class Trace:
    def __init__(self, out: str):
        self.out = out
        os.makedirs(out, exist_ok=True)
        self.meta: Dict[str, Any] = {"stages": {}, "roi": None}
        self.stage: Optional[int] = None
        self.model_seconds = 0.0
        self.text_seconds = 0.0

    def save(self, name: str, array) -> None:
        np.save(os.path.join(self.out, name + ".npy"), np.ascontiguousarray(array))

    def stage_meta(self) -> Dict[str, Any]:
        return self.meta["stages"].setdefault(str(self.stage), {})

    def write(self) -> None:
        with open(os.path.join(self.out, "trace.json"), "w") as f:
            json.dump(self.meta, f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


class RoiRecordingArray(np.ndarray):
    """The npz image as main() sees it: a box slice (the stage-2 ROI crop) is written down."""

    on_box = None

    def __getitem__(self, key):
        if (isinstance(key, tuple) and len(key) == 3 and all(isinstance(k, slice) for k in key)
                and RoiRecordingArray.on_box is not None):
            RoiRecordingArray.on_box([[k.start, k.stop] for k in key])
        return super().__getitem__(key)


class Feed:
    """Block choices for compute_patch_prediction, in the order medals drew them."""

    def __init__(self, draws: Optional[List[dict]]):
        # None: no medals run to follow (the official code alone); draw from a seeded generator.
        self.free = draws is None
        self.draws = list(draws or [])
        self.used = 0
        self.rng = np.random.default_rng(0)

    def _next(self, what: str) -> dict:
        if self.used >= len(self.draws):
            raise RuntimeError(f"the official code asked for block choice #{self.used + 1} ({what}) but medals "
                               f"drew only {len(self.draws)}: the two run different numbers of refinement passes")
        return self.draws[self.used]

    def choice(self, seq):
        if self.free:
            self.draws.append({"blockSize": int(self.rng.choice(list(seq)))})
        draw = self._next("block size")
        if draw["blockSize"] not in list(seq):
            raise RuntimeError(f"medals used block size {draw['blockSize']} where the official code chooses from {list(seq)}")
        return draw["blockSize"]

    def randperm(self, total, device=None, **kw):
        if self.free:
            self.draws[-1].update(blocks=int(total), selected=self.rng.permutation(total)[: max(1, total // 2)].tolist())
        draw = self._next("block permutation")
        self.used += 1
        if draw["blocks"] != total:
            raise RuntimeError(f"block choice #{self.used}: medals split the patch into {draw['blocks']} blocks, "
                               f"the official code into {total}")
        chosen = [int(i) for i in draw["selected"]]
        rest = sorted(set(range(total)) - set(chosen))
        return torch.tensor(chosen + rest, dtype=torch.long, device=device)


TIE_BAND = 1e-3


def near_ties(prob: np.ndarray) -> np.ndarray:
    """(C, ...) probabilities -> voxels whose decision is a near tie: the best class within the
    band of the 0.5 threshold, or the two best within the band of each other."""
    if prob.shape[0] == 1:
        return np.abs(prob[0] - 0.5) < TIE_BAND
    top = np.sort(prob, axis=0)[-2:]
    return (np.abs(top[1] - 0.5) < TIE_BAND) | ((top[1] - top[0]) < TIE_BAND)


def run_official(case: str, out: str, checkpoints: str, network: str, draws: Optional[List[dict]],
                 sync: Optional[str] = None) -> Dict[str, Any]:
    """main() on `case` (a challenge npz), recording into `out`; returns the trace's meta.

    `sync`: medals' trace folder. Where the official code's own decision is a near tie (a label
    or an instance feedback voxel whose probability is within TIE_BAND of 0.5, or two classes
    within TIE_BAND of each other), float rounding decides it, differently in each pipeline, and
    every later step inherits the difference. Like the block draws, such a decision is handed to
    the official code as medals made it, only at those voxels, and counted (`synced`)."""
    W.official_on_path()
    workdir = os.path.join(out, "work")
    for sub in ("inputs", "outputs"):
        os.makedirs(os.path.join(workdir, sub), exist_ok=True)
    for sub in ("text_preprocess", "seg_postprocess"):
        link = os.path.join(workdir, sub)
        if not os.path.islink(link):
            os.symlink(os.path.join(W.OFFICIAL, sub), link)
    name = os.path.basename(case)
    for f in os.listdir(os.path.join(workdir, "inputs")):
        os.remove(os.path.join(workdir, "inputs", f))
    os.symlink(os.path.abspath(case), os.path.join(workdir, "inputs", name))

    import inference as official  # the authors' module, unmodified

    trace = Trace(out)
    feed = Feed(draws)
    real = {k: getattr(official, k) for k in ("run_segmentation", "respace_image", "respace_mask", "split_3d",
                                                "remove_padding", "MedalS", "Knowledge_Encoder", "torch",
                                                "random", "np", "compute_patch_prediction")}

    def run_segmentation(**kw):
        trace.stage = 1 if kw.get("stage_1_flag") else 2
        meta = trace.stage_meta()
        if "calls" in meta:
            raise RuntimeError(f"stage {trace.stage} ran twice")
        meta.update(calls=1, prompts=kw.get("scaled_roi_lowres_pred_array") is not None,
                    rawShape=list(kw["raw_image"].shape), rawSpacing=[float(v) for v in kw["raw_spacing"]],
                    classNames=sorted(kw.get("class_name_list", [])), modality=kw.get("modality"),
                    returnMaxProb=bool(kw.get("return_max_prob")))
        kw["raw_image"] = np.asarray(kw["raw_image"]).view(np.ndarray)
        kw.update(device="cpu", checkpoints_path=checkpoints)
        labels, max_prob = real["run_segmentation"](**kw)
        trace.save(f"stage{trace.stage}_labels", labels)
        if max_prob is not None:
            trace.save(f"stage{trace.stage}_maxprob", max_prob)
        return labels, max_prob

    def respace_image(image, current_spacing, target_spacing, device):
        result = real["respace_image"](image, current_spacing, target_spacing, device)
        trace.stage_meta()["plan"] = {"spacing": [float(v) for v in current_spacing],
                                      "targetSpacing": [float(v) for v in target_spacing],
                                      "workingShape": list(result.shape[1:])}
        trace.save(f"stage{trace.stage}_input", result[0].astype(np.float32))
        return result

    def respace_mask(mask, current_spacing, target_spacing, device):
        result = real["respace_mask"](mask, current_spacing, target_spacing, device)
        trace.save(f"stage{trace.stage}_prompts", result[0])
        return result

    def split_3d(image_tensor, crop_size=None):
        patches, idx = real["split_3d"](image_tensor, crop_size=crop_size)
        meta = trace.stage_meta()
        starts = [[int(b[0]), int(b[2]), int(b[4])] for b in idx]
        if "windows" in meta and meta["windows"] != starts:
            raise RuntimeError("the official image and prompt windows differ")
        meta["windows"] = starts
        meta["paddedShape"] = list(image_tensor.shape[1:])
        return patches, idx

    def synced(name: str, decided: np.ndarray, ties: np.ndarray) -> np.ndarray:
        """`decided` with medals' decisions (trace array `name`) at the near ties."""
        path = os.path.join(sync, name + ".npy") if sync else None
        if path is None or not os.path.isfile(path) or not ties.any():
            return decided
        theirs = np.load(path)
        if theirs.shape != decided.shape:
            return decided
        out = decided.copy()
        out[ties] = theirs[ties].astype(out.dtype)
        changed = int((out != decided).sum())
        counts = trace.meta.setdefault("synced", {})
        counts[name] = counts.get(name, 0) + changed
        return out

    def remove_padding(padded, padding_info):
        result = real["remove_padding"](padded, padding_info)
        meta = trace.stage_meta()
        if not meta.get("workLabelsSaved") and np.issubdtype(np.asarray(result).dtype, np.integer):
            trace.save(f"stage{trace.stage}_worklabels", result)
            meta["workLabelsSaved"] = True
            h, w, d = result.shape
            prob = last["prob"][:, :h, :w, :d]
            result = synced(f"stage{trace.stage}_worklabels", np.asarray(result), near_ties(prob))
        return result

    def argmax(a, *args, **kw):
        if isinstance(a, np.ndarray) and a.ndim == 4 and kw.get("axis", args[0] if args else None) == 0:
            trace.save(f"stage{trace.stage}_prob", a.astype(np.float32))
            last["prob"] = a
        return np.argmax(a, *args, **kw)

    # Instance tasks feed a window's own prediction back as its prompt (inference.py L666-673):
    # the feedback and the prediction it was thresholded from are recorded per window, so that a
    # feedback voxel that differs between the pipelines can be told apart as a near tie.
    # A window starts with a pass outside compute_patch_prediction (no prompts) or with its
    # 8-voxel-block refinement; the 4-voxel-block calls after it are the feedback rounds.
    last = {"logits": None, "inside": False, "round": 0, "prob": None}

    def next_window():
        meta = trace.stage_meta()
        meta["windowIndex"] = meta.get("windowIndex", -1) + 1
        last["round"] = 0

    def compute_patch_prediction(queries, patches, sc, mc, model, possible_block_sizes, n_repeats=1, disable_tta=True):
        if list(possible_block_sizes) == [4] and last["logits"] is not None:
            w, r = trace.stage_meta()["windowIndex"], last["round"]
            last["round"] += 1
            name = f"stage{trace.stage}_feedback_w{w}_r{r}"
            prob = torch.sigmoid(last["logits"][0]).float().cpu().numpy()
            feedback = mc[0].to(torch.uint8).cpu().numpy()
            trace.save(name, feedback)
            trace.save(f"stage{trace.stage}_feedbackprob_w{w}_r{r}", prob)
            # Each class is its own decision here (prob > 0.5 per class, inference.py L668-669).
            feedback = synced(name, feedback, np.abs(prob - 0.5) < TIE_BAND)
            mc = torch.from_numpy(feedback.astype(np.float32))[None].to(mc.device)
            sc = (mc.sum(dim=1, keepdim=True) > 0).float()
        else:
            next_window()
        last["inside"] = True
        try:
            out = real["compute_patch_prediction"](queries, patches, sc, mc, model, possible_block_sizes, n_repeats, disable_tta)
        finally:
            last["inside"] = False
        last["logits"] = out
        return out

    def load(path, *args, **kw):
        data = dict(np.load(path, *args, **kw))
        data["imgs"] = data["imgs"].view(RoiRecordingArray)
        return data

    def on_box(box):
        if trace.meta["roi"] is None:
            trace.meta["roi"] = box

    RoiRecordingArray.on_box = on_box
    np_proxy = types.ModuleType("numpy_recording")
    np_proxy.__getattr__ = lambda attr: getattr(np, attr)
    np_proxy.argmax, np_proxy.load = argmax, load

    torch_proxy = types.ModuleType("torch_fed")
    torch_proxy.__getattr__ = lambda attr: getattr(torch, attr)
    torch_proxy.autocast = lambda device_type, enabled=True, **kw: torch.autocast(device_type, enabled=False)
    torch_proxy.randperm = feed.randperm

    random_proxy = types.SimpleNamespace(choice=feed.choice)

    medals_cls = W.medals_class(network)

    class TimedMedalS(medals_cls):
        def forward(self, *args, **kw):
            t0 = time.perf_counter()
            if not last["inside"]:
                next_window()
            try:
                out = super().forward(*args, **kw)
                if not last["inside"]:
                    last["logits"] = out
                return out
            finally:
                spent = time.perf_counter() - t0
                trace.model_seconds += spent
                meta = trace.stage_meta()
                meta["passes"] = meta.get("passes", 0) + 1
                meta["modelSeconds"] = meta.get("modelSeconds", 0.0) + spent

    class RecordingKnowledgeEncoder(real["Knowledge_Encoder"]):
        def forward(self, text, modality, device):
            t0 = time.perf_counter()
            ids = self.text_tower.tokenizer.tokenize(text)["input_ids"]
            queries = super().forward(text, modality, device)
            trace.text_seconds += time.perf_counter() - t0
            if "tokens" not in trace.meta:
                trace.meta["tokens"] = {s: [int(t) for t in row if t > 0] for s, row in zip(text, ids.tolist())}
                trace.meta["modalityCode"] = [int(m) for m in modality.reshape(-1).tolist()]
                trace.save("queries", queries.float().cpu().numpy())
            return queries

    patched = dict(run_segmentation=run_segmentation, respace_image=respace_image, respace_mask=respace_mask,
                   split_3d=split_3d, remove_padding=remove_padding, MedalS=TimedMedalS,
                   compute_patch_prediction=compute_patch_prediction,
                   Knowledge_Encoder=RecordingKnowledgeEncoder, torch=torch_proxy, random=random_proxy, np=np_proxy)
    cwd = os.getcwd()
    torch.set_grad_enabled(False)
    t0 = time.perf_counter()
    try:
        os.chdir(workdir)
        for k, v in patched.items():
            setattr(official, k, v)
        official.main()
    finally:
        os.chdir(cwd)
        for k, v in real.items():
            setattr(official, k, v)
        RoiRecordingArray.on_box = None
    wall = time.perf_counter() - t0
    result = np.load(os.path.join(workdir, "outputs", name), allow_pickle=True)
    trace.save("final", result["segs"])
    trace.meta.update(
        wallSeconds=wall, modelSeconds=trace.model_seconds, textSeconds=trace.text_seconds,
        nonModelSeconds=wall - trace.model_seconds - trace.text_seconds,
        drawsUsed=feed.used, drawsGiven=len(feed.draws), synced=trace.meta.get("synced", {}),
        outputSpacing=[float(v) for v in result["spacing"]],
    )
    trace.write()
    return trace.meta
