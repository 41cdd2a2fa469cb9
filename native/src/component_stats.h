// Kernel: per-component statistics of a label map in one pass (pure C++, no Node-API).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "shape.h"

namespace medals {

// Every array has count + 1 entries indexed by label (index 0 is the background, label 0);
// per-axis arrays hold 3 entries per label, (x, y, z). A label without voxels has box -1,
// and NaN centroid, value and mean.
struct ComponentStats {
  std::uint32_t count = 0;
  std::vector<double> voxels;            // voxel count
  std::vector<std::int32_t> boxMin;      // inclusive bounding box
  std::vector<std::int32_t> boxMax;
  std::vector<double> centroid;          // mean voxel index
  std::vector<double> value;             // values[] at the label's first voxel (if values given)
  std::vector<double> mean;              // mean of weights[] over the label (if weights given)
};

// labels: shape.count() labels (uint8, uint16 or uint32), each <= count (else KernelRangeError). values (any element
// type V, may be null) and weights (may be null) have shape.count() elements too. Requires
// every dimension of shape to fit in int32. Sums run in raster order (weights in double).
template <typename L, typename V>
ComponentStats ComputeComponentStats(const L* labels, const Shape3& shape, std::uint32_t count,
                                     const V* values, const float* weights);

}  // namespace medals
