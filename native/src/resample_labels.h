// Kernel: label-map resampling onto another grid (pure C++, no Node-API).
//
// Target voxel (i, j, k) (x fastest, Shape3 layout) maps to the continuous input index
//   c[r] = A[r*3] * i + A[r*3+1] * j + A[r*3+2] * k + b[r]   (float64, left to right, no FMA)
// for r = 0, 1, 2. A voxel with c[r] < -0.5 or c[r] > size[r] - 0.5 on any axis is outside the
// input: background 0. Otherwise, per axis, c is clamped into [0, size - 1], base =
// min(floor(c), max(size - 2, 0)) and frac = c - base (0 on an axis of size 1); the 8 corners
// base + {0, 1}^3 get the trilinear weights (1 - frac or frac per axis, multiplied x, y, z), and
// the label value with the largest summed weight wins, ties within 1e-12 going to the lower
// value. Corners of weight exactly 0 take no part. This is Medal S's one-hot linear
// interpolation followed by argmax, computed from the 8 neighbours at once. The arithmetic is the
// TypeScript oracle's (test/oracles/resample.ts) operation for operation, so both give the same
// labels bit for bit; the file is compiled with -ffp-contract=off for that.
//
// Fast path: when the 8 corner values are all equal, that value is the answer (it is the only
// candidate, and at least one corner has a non-zero weight), so no weight is computed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "shape.h"

namespace medals {

// The affine map from target index to continuous input index: c = A t + b (A row-major).
struct LabelAffine {
  double a[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  double b[3] = {0, 0, 0};
};

// Resamples src (shape `from`) onto `to`, writing every one of to.count() voxels of dst. The caller
// has checked the lengths, that A and b are finite and that no |c| can overflow (see
// ResampleCoordinatesFinite), and that src and dst do not overlap. threads >= 1: how many threads
// share the z planes; the result does not depend on it. T: uint8, int16, uint16 or int32.
template <typename T>
void ResampleLabels(const T* src, const Shape3& from, const LabelAffine& affine, const Shape3& to, T* dst,
                    unsigned threads);

// True when every coordinate c of every target voxel of `to`, and every partial sum on the way,
// is a finite double: sum over the row of |A| * (extent - 1), plus |b|, stays finite.
bool ResampleCoordinatesFinite(const LabelAffine& affine, const Shape3& to);

// Threads to use when the caller asks for 0 (auto): the hardware's, at most 8.
unsigned DefaultResampleThreads();

// ---------------------------------------------------------------------------------------------
// Kernel: label-map resampling by separable two-tap tables, the way torch's F.interpolate
// resamples one-hot channels (Medal S's respace_mask -> resample_torch_fornnunet(is_seg=True),
// data/resample_torch.py L53-81, L98-160).
//
// Each axis a has a table of two taps per target index t: input indices index[2t], index[2t+1]
// (in [0, size_a - 1]) and float32 weights weight[2t], weight[2t+1] (in [0, 1]). The caller
// builds them: torch's linear weights (align_corners=False), or one tap of weight 1 for
// 'nearest-exact' or an axis that keeps its size. For target voxel (i, j, k) the 8 corners are
// the taps' inputs; every label value u among them gets the score of its one-hot channel x 1000
// interpolated in float32 with torch's CPU arithmetic: innermost along z, then x, then y (torch
// nests the first spatial dim outermost, and Medal S's arrays are (H, W, D) = (y, x, z)), each
// step fma(v0, w0, v1 * w1) (one product rounded, then a fused multiply-add, as torch's AVX2
// kernel does). The score is rounded to float16 (the one-hot values are held in float16) and
// the largest wins, ties to the lower value (torch argmax over the sorted unique values; a
// score above 700, the official first test, is always the unique largest). Labels of no corner
// score 0 and never win. 8 equal corners give their value without any arithmetic.
struct AxisTaps {
  const std::int32_t* index = nullptr;  // 2 x count
  const float* weight = nullptr;        // 2 x count
  std::size_t count = 0;                // target voxels on the axis
};

// Resamples src (shape `from`) onto (taps[0].count, taps[1].count, taps[2].count), writing every
// voxel of dst. The caller has checked the tables (indices within `from`, weights finite in
// [0, 1]), the lengths, and that src and dst do not overlap. Threads as ResampleLabels.
template <typename T>
void ResampleLabelsTaps(const T* src, const Shape3& from, const AxisTaps (&taps)[3], T* dst, unsigned threads);

}  // namespace medals
