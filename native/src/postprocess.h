// Kernels: Medal S post-processing of label maps (pure C++, no Node-API).
// Each reads a label map `in` and writes the filtered map to `out` (same shape and type,
// not overlapping `in`); voxels are only ever set to 0 (filters) or to a label (FillHoles).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "shape.h"

namespace medals {

// The label values an operation applies to: all non-zero values, or a given list.
struct ValueSet {
  bool all = true;
  std::vector<std::int64_t> sorted;  // when !all: ascending, unique
  bool Contains(std::int64_t v) const { return all || std::binary_search(sorted.begin(), sorted.end(), v); }
};

struct FilterResult {
  std::uint64_t removedComponents = 0;
  std::uint64_t removedVoxels = 0;
};

// Zeroes every component with fewer than minSize voxels. binary: components of the non-zero
// union (Medal S: `label(seg > 0)` then `seg * keep`); otherwise components per label value.
template <typename T>
FilterResult RemoveSmallComponents(const T* in, const Shape3& shape, std::uint64_t minSize, int connectivity,
                                   bool binary, T* out);

// For each label value in `values`, keeps only its largest component(s); components tied for
// the largest size are all kept (as Medal S's remove_all_but_largest_component_cc3d). Other
// values pass through.
template <typename T>
FilterResult KeepLargestComponents(const T* in, const Shape3& shape, int connectivity, const ValueSet& values,
                                   T* out);

// Medal S's rule for the "improved classes" (seg_postprocess): per label value, rank its
// components by size (ties: scan order), take the first `candidates`, and their mean
// probability m (float32, as np.mean of a float32 map). Keep all candidates with
// float32(max m - m) <= tolerance and m > minProbability when at least 2 qualify; else the
// most probable candidate (first maximum) when it ranks below `shortlist`; else the largest.
struct ProbableRule {
  std::uint32_t candidates = 3;
  std::uint32_t shortlist = 2;
  double tolerance = 0.1;
  double minProbability = 0.86;
};

template <typename T>
FilterResult KeepProbableComponents(const T* in, const float* probability, const Shape3& shape, int connectivity,
                                    const ValueSet& values, const ProbableRule& rule, T* out);

// Fills the holes of each label value in `values`: the 6-connected components of
// `in != value` that do not touch the volume border. Only background voxels (0) are filled,
// so other labels inside a hole stay; a voxel in the holes of several values takes the value
// with the smallest such hole (ties: the lower value). Holes are found on `in`, so the result
// does not depend on the order of values. Returns the number of voxels filled.
template <typename T>
std::uint64_t FillHoles(const T* in, const Shape3& shape, const ValueSet& values, T* out);

}  // namespace medals
