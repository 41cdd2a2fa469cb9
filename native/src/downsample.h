// Kernel: block downsampling for the report's viewer copies (pure C++, no Node-API).
//
// The grid is cut into blocks of f = (fx, fy, fz) voxels from voxel (0, 0, 0), the last block
// of an axis cut at the edge; the output has ceil(size / f) voxels per axis, x fastest, one per
// block. Both kernels give exactly what functions/lib/report's TypeScript gave (the oracle in
// test/oracles/downsample.ts): the same doubles, rounded the way JavaScript rounds.
#pragma once

#include <array>
#include <cstddef>

#include "shape.h"

namespace medals {

// The output grid: ceil(size / f) per axis. f >= 1 on every axis.
Shape3 BlockGridOf(const Shape3& size, const std::array<std::size_t, 3>& f);

// Block means. Integer T: the exact sum over the block divided by its voxel count in double,
// rounded as JavaScript's Math.round (halves toward +infinity). float: the voxels added one by
// one in (z, y, x) order into a double (NaN and infinities propagate), divided, rounded to float.
template <typename T>
void BlockMean(const T* in, const Shape3& size, const std::array<std::size_t, 3>& f, T* out);

// Block modes of a label map (integer T): the most frequent value of each block, ties to the
// smaller value; 0 is a value like any other.
template <typename T>
void BlockMode(const T* in, const Shape3& size, const std::array<std::size_t, 3>& f, T* out);

}  // namespace medals
