// Kernel: bounding box and count of the nonzero voxels of a volume (pure C++).
#pragma once

#include <array>
#include <cstddef>

#include "shape.h"

namespace medals {

struct BoundingBox3 {
  bool empty = true;                 // no nonzero voxel; min/max are meaningless then
  std::array<std::size_t, 3> min{};  // inclusive, (x, y, z)
  std::array<std::size_t, 3> max{};  // inclusive, (x, y, z)
};

// A voxel is nonzero when v != 0 (so NaN counts as nonzero and -0.0 as zero).
// data must hold shape.count() elements.
template <typename T>
BoundingBox3 NonzeroBoundingBox(const T* data, const Shape3& shape);

template <typename T>
std::size_t CountNonzero(const T* data, const Shape3& shape);

}  // namespace medals
