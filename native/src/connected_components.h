// Kernel: connected-component labeling of 3D volumes (pure C++, no Node-API).
#pragma once

#include <cstddef>
#include <cstdint>

#include "shape.h"

namespace medals {

// Labels the non-zero voxels of data with 6-, 18- or 26-connectivity (faces; + edges;
// + corners). binary: every non-zero voxel is foreground. Otherwise (multi-label, as cc3d)
// two voxels join only when their values are equal, so each value gets its own components.
//
// Writes labels 1..K to out (0 for background) numbered in raster scan order: the component
// whose first voxel in x-fastest order comes first is 1. Returns K.
//
// Two passes: runs of each row joined, in a union-find forest (union by smaller label, path
// halving), to the runs they touch in earlier rows; then the output written once from the runs.
// The smallest provisional label of a component belongs to its first run, so numbering the
// roots in increasing order yields scan order without a further sort.
//
// Requirements: connectivity is 6, 18 or 26; shape.count() < 2^32; out holds shape.count()
// elements and does not overlap data.
template <typename T>
std::uint32_t ConnectedComponents(const T* data, const Shape3& shape, int connectivity, bool binary,
                                  std::uint32_t* out);

}  // namespace medals
