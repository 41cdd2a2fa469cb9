// Kernel: exact Euclidean distance transform with anisotropic spacing (pure C++, no Node-API).
//
// Separable: one 1D pass per axis (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled
// Functions", 2012): a nearest-feature scan along z, then the lower envelope of parabolas along y
// and along x. The passes run in the order z, y, x (numpy axes 0, 1, 2 of the same bytes), and
// each adds its axis's term ((delta * spacing)^2, the delta a whole number of voxels) to the
// previous total, so the squared distance of a voxel is, bit for bit, the expression
// scipy.ndimage.distance_transform_edt evaluates for its nearest feature:
//   ((dz * sz)^2 + (dy * sy)^2) + (dx * sx)^2.
// Its square root is then numpy's float64 distance (both are correctly rounded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "shape.h"

namespace medals {

// In place on g (shape.count() doubles): on entry 0 at the features and +infinity elsewhere; on
// return the squared distance (mm^2) of every voxel to its nearest feature, +infinity everywhere
// when there is no feature. spacing is (sx, sy, sz) in mm, each > 0.
// limit (mm^2): every squared distance <= limit is exact as above; a larger one may come back
// as +infinity (partial sums above limit are dropped after each pass, which keeps the lines of
// the later passes sparse: the NSD only needs distances up to its tolerance).
void SquaredEdtInPlace(double* g, const Shape3& shape, const double spacing[3],
                       double limit = std::numeric_limits<double>::infinity());

// Distance (mm, float32) of every voxel to the nearest voxel with mask != 0 (NaN counts as
// non-zero, -0.0 as zero): 0 on those voxels, +infinity everywhere when there is none.
// out holds shape.count() floats and does not overlap mask.
template <typename T>
void DistanceTransform(const T* mask, const Shape3& shape, const double spacing[3], float* out);

}  // namespace medals
