#!/usr/bin/env python3
"""The parity cases, built by the project itself: `python cases.py OUT_DIR [NAME ...]`.

Each is a challenge npz (`imgs` (D, H, W) uint8 0..255, `spacing` (x, y, z) as the challenge
stores it, `text_prompts` with `instance_label`) made from `medals phantom` volumes:

- ct-organs: the CT phantom, five organs (Spleen is one of the "improved" classes);
- mri-organs: the MRI phantom with 4 mm slices (resampled separate-z), four organs;
- ct-lesions: the CT phantom's liver lesions, an instance task;
- ct-large: the CT phantom placed in a 330 x 330 x 400 field of air at 0.8 mm (43.6 M voxels,
  over the 650 * 650 * 100 where the official code stops applying the improved-classes rule),
  three organs, Spleen among them (an "improved" class).

Intensities are brought to 0..255 as the challenge data were: CT through a fixed soft-tissue
window, MRI by its 0.5..99.5 percentiles.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORGANS = ["Liver", "Spleen", "Left kidney", "Right kidney", "Aorta"]


def catalog_sentence(modality: str, name: str) -> str:
    with open(os.path.join(ROOT, "models", "catalog", "catalog.json"), encoding="utf-8") as f:
        catalog = json.load(f)
    for c in catalog["modalities"][modality]:
        if c["name"] == name and c.get("sentence"):
            return c["sentence"]
    raise KeyError(f"{modality} {name}: no catalog sentence")


def phantom(folder: str, *args: str) -> None:
    subprocess.run(["node", os.path.join(ROOT, "bin", "medals.js"), "phantom", "--out", folder, *args],
                   check=True, capture_output=True)


def read(folder: str, name: str):
    img = nib.load(os.path.join(folder, name))
    # nibabel gives (x, y, z); the challenge stores (z, y, x) = (D, H, W).
    return np.asarray(img.dataobj).transpose(2, 1, 0), [float(v) for v in img.header.get_zooms()[:3]]


def ct_to_uint8(hu: np.ndarray, low: float = -160.0, high: float = 240.0) -> np.ndarray:
    return np.rint(np.clip((hu - low) / (high - low), 0, 1) * 255).astype(np.uint8)


def mri_to_uint8(v: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(v, [0.5, 99.5])
    return np.rint(np.clip((v - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)


def save(path: str, imgs: np.ndarray, spacing, prompts: dict) -> None:
    np.savez_compressed(path, imgs=imgs, spacing=np.asarray(spacing, dtype=np.float64),
                        text_prompts=np.array(prompts, dtype=object))


def build(out: str, names) -> list:
    os.makedirs(out, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        ct = os.path.join(tmp, "ct")
        if {"ct-organs", "ct-lesions", "ct-large"} & set(names):
            phantom(ct, "--seed", "3")
        if "ct-organs" in names:
            hu, spacing = read(ct, "image.nii.gz")
            prompts = {str(i + 1): catalog_sentence("CT", n) for i, n in enumerate(ORGANS)}
            save(os.path.join(out, "ct-organs.npz"), ct_to_uint8(hu), spacing, {**prompts, "instance_label": 0})
            written.append("ct-organs")
        if "mri-organs" in names:
            mri = os.path.join(tmp, "mri")
            # 4 mm slices: the nominal spacing (1, 1, 4) is anisotropic enough (> 3) for separate-z.
            phantom(mri, "--seed", "4", "--modality", "MRI", "--spacing", "0.8,0.8,4", "--size", "128,128,32")
            v, spacing = read(mri, "image.nii.gz")
            prompts = {str(i + 1): catalog_sentence("MRI", n) for i, n in enumerate(ORGANS[:4])}
            save(os.path.join(out, "mri-organs.npz"), mri_to_uint8(v), spacing, {**prompts, "instance_label": 0})
            written.append("mri-organs")
        if "ct-lesions" in names:
            hu, spacing = read(ct, "image.nii.gz")
            prompts = {"1": catalog_sentence("CT", "Liver tumors"), "instance_label": 1}
            save(os.path.join(out, "ct-lesions.npz"), ct_to_uint8(hu), spacing, prompts)
            written.append("ct-lesions")
        if "ct-large" in names:
            hu, spacing = read(ct, "image.nii.gz")
            small = ct_to_uint8(hu)
            # 400 x 330 x 330 (D, H, W) at 0.8 mm: 43.6 M voxels, and with in-plane sides under
            # two stage-2 patches the ROI stays a few windows wide (a 660 x 660 x 100 field plans
            # a 330-voxel ROI, 18 stage-2 windows).
            field = np.zeros((400, 330, 330), dtype=np.uint8)  # air: 0 after the window
            d, h, w = small.shape
            z0, y0, x0 = 170, 120, 90
            field[z0:z0 + d, y0:y0 + h, x0:x0 + w] = small
            prompts = {str(i + 1): catalog_sentence("CT", n) for i, n in enumerate(ORGANS[:3])}
            save(os.path.join(out, "ct-large.npz"), field, [0.8, 0.8, 0.8], {**prompts, "instance_label": 0})
            written.append("ct-large")
    return written


CASES = ["ct-organs", "mri-organs", "ct-lesions", "ct-large"]

if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: cases.py OUT_DIR [NAME ...]; names: " + ", ".join(CASES), file=sys.stderr)
        sys.exit(2)
    wanted = sys.argv[2:] or CASES
    unknown = set(wanted) - set(CASES)
    if unknown:
        print(f"unknown case(s) {sorted(unknown)}; names: {', '.join(CASES)}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(build(sys.argv[1], wanted)))
