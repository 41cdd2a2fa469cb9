"""
The bare Python pipeline that `medals segment` is measured against (issue 16): the same kinds of
work around a network, written the plain numpy/scipy way, with no network, report or statistics.

    python bare_pipeline.py IMAGE.nii.gz OUT.nii.gz CLASSES

1. nibabel reads the image (float32);
2. a soft-tissue window (level 40, width 400 HU) scales it to 0..255;
3. scipy.ndimage.zoom (linear) resamples it to the 1.5 x 1.5 x 3 mm stage-1 grid;
4. an ROI (the box of voxels above 100 on that grid, the body's soft tissue) is cropped from the
   scaled image and resampled to 1 mm;
5. CLASSES probability maps on the ROI grid (smooth functions of the ROI image, standing in for
   the network's output) are restored linearly to the input grid over the ROI and argmaxed;
6. cc3d keeps each class's largest component;
7. nibabel writes the label map (uint8, gzipped).

Prints one JSON line: seconds per stage and in all (measured inside python, after imports) and
the process's peak resident memory in bytes.
"""
import json
import resource
import sys
import time

import cc3d
import nibabel as nib
import numpy as np
from scipy import ndimage


def main(image_path: str, out_path: str, classes: int) -> None:
    times = {}
    t0 = time.perf_counter()
    last = t0

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        times[name] = now - last
        last = now

    img = nib.load(image_path)
    data = np.asarray(img.dataobj, dtype=np.float32)
    spacing = np.array(img.header.get_zooms()[:3], dtype=np.float64)
    lap('read')

    low, high = 40 - 200, 40 + 200
    scaled = (np.clip(data, low, high) - low) * np.float32(255 / (high - low))
    del data
    lap('window')

    stage1 = ndimage.zoom(scaled, spacing / np.array([1.5, 1.5, 3.0]), order=1)
    lap('stage-1 resample')

    inside = np.argwhere(stage1 > 100)
    lo = np.floor(inside.min(0) * np.array(scaled.shape) / np.array(stage1.shape)).astype(int)
    hi = np.ceil((inside.max(0) + 1) * np.array(scaled.shape) / np.array(stage1.shape)).astype(int)
    hi = np.minimum(hi, scaled.shape)
    roi = scaled[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    roi_1mm = ndimage.zoom(roi, spacing / 1.0, order=1)
    lap('ROI resample')

    probabilities = [
        1 / (1 + np.exp(-(roi_1mm - 40.0 * (c + 1)) / 8.0, dtype=np.float32)) for c in range(classes)
    ]
    lap('stand-in probabilities')

    best = np.zeros(roi.shape, dtype=np.float32)
    labels_roi = np.zeros(roi.shape, dtype=np.uint8)
    factors = np.array(roi.shape) / np.array(roi_1mm.shape)
    for c, p in enumerate(probabilities):
        restored = ndimage.zoom(p, factors, order=1)[: roi.shape[0], : roi.shape[1], : roi.shape[2]]
        pad = [(0, s - r) for s, r in zip(roi.shape, restored.shape)]
        restored = np.pad(restored, pad, mode='edge')
        wins = (restored > 0.5) & (restored > best)
        labels_roi[wins] = c + 1
        best = np.maximum(best, restored)
    labels = np.zeros(scaled.shape, dtype=np.uint8)
    labels[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = labels_roi
    lap('restore')

    for c in range(1, classes + 1):
        mask = labels == c
        if mask.any():
            largest = cc3d.largest_k(mask, k=1, connectivity=26)
            labels[mask & (largest == 0)] = 0
    lap('keep largest')

    nib.save(nib.Nifti1Image(labels, img.affine), out_path)
    lap('write')
    times['total'] = time.perf_counter() - t0
    result = {k: round(v, 3) for k, v in times.items()}
    result['maxRssBytes'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
