// Kernel: per-value voxel counts and bounding boxes of a (ground truth, prediction) pair of uint8
// label maps in one pass, for the semantic metrics (pure C++, no Node-API). For every value v:
// how many voxels hold v in gt, in pred, and in both at once (gt == pred == v), and the bounding
// boxes of v in gt and in pred. The metrics' DSC is 2 same[v] / (gt[v] + pred[v]); each class's
// surface Dice works on the union of its two boxes.
#pragma once

#include <array>
#include <cstdint>

#include "bbox.h"
#include "shape.h"

namespace medals {

struct LabelOverlap {
  std::array<std::uint64_t, 256> gt{}, pred{}, same{};
  // Boxes of the non-zero values (gtBox[0] and predBox[0] stay empty: 0 is the background).
  std::array<BoundingBox3, 256> gtBox{}, predBox{};
};

// gt and pred hold shape.count() values each (they may be the same array).
LabelOverlap ComputeLabelOverlap(const std::uint8_t* gt, const std::uint8_t* pred, const Shape3& shape);

}  // namespace medals
