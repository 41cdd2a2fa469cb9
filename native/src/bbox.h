// Kernel: bounding box and count of the nonzero voxels of a volume (pure C++).
#pragma once

#include <array>
#include <cstddef>

#include "shape.h"

namespace medals {

struct BoundingBox3 {
  bool empty = true;                 // no voxel selected; min/max are meaningless then
  std::array<std::size_t, 3> min{};  // inclusive, (x, y, z)
  std::array<std::size_t, 3> max{};  // inclusive, (x, y, z)
};

// Bounding box of the voxels v with on(v), row by row: each row is searched from both ends only
// as far as its first and last selected voxel. data must hold shape.count() elements.
template <typename T, typename On>
BoundingBox3 BoundingBoxWhere(const T* data, const Shape3& shape, On on) {
  BoundingBox3 box;
  const std::size_t nx = shape.x;
  for (std::size_t z = 0; z < shape.z; ++z) {
    for (std::size_t y = 0; y < shape.y; ++y) {
      const T* row = data + shape.index(0, y, z);
      std::size_t first = 0;
      while (first < nx && !on(row[first])) ++first;
      if (first == nx) continue;  // empty row
      std::size_t last = nx - 1;
      while (!on(row[last])) --last;  // stops at `first` at the latest
      if (box.empty) {
        box.empty = false;
        box.min = {first, y, z};
        box.max = {last, y, z};
        continue;
      }
      if (first < box.min[0]) box.min[0] = first;
      if (last > box.max[0]) box.max[0] = last;
      if (y < box.min[1]) box.min[1] = y;
      if (y > box.max[1]) box.max[1] = y;
      box.max[2] = z;  // z only grows; min[2] was set by the first selected row
    }
  }
  return box;
}

// A voxel is nonzero when v != 0 (so NaN counts as nonzero and -0.0 as zero).
// data must hold shape.count() elements.
template <typename T>
BoundingBox3 NonzeroBoundingBox(const T* data, const Shape3& shape);

template <typename T>
std::size_t CountNonzero(const T* data, const Shape3& shape);

}  // namespace medals
