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
// TypeScript oracle's (native/oracle/resample.ts) operation for operation, so both give the same
// labels bit for bit; the file is compiled with -ffp-contract=off for that.
//
// Fast path: when the 8 corner values are all equal, that value is the answer (it is the only
// candidate, and at least one corner has a non-zero weight), so no weight is computed.
#pragma once

#include <cstddef>

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

}  // namespace medals
