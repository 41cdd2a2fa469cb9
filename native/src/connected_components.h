// Kernel: connected-component labeling of 3D volumes (pure C++, no Node-API).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "shape.h"

namespace medals {

// A maximal stretch [first, last] of one row whose voxels are all foreground (binary) or all
// hold the same non-zero value (multi-label). Coord is uint16_t when rows are at most 65536
// voxels long, which keeps a run at 4 bytes.
template <typename Coord>
struct Run {
  Coord first;
  Coord last;
};

// The components of a volume, found by the first pass of the labeling and held as runs, so
// that the caller can pick the output type from the count before any output voxel is written.
//
// Labels the non-zero voxels of data with 6-, 18- or 26-connectivity (faces; + edges;
// + corners). binary: every non-zero voxel is foreground. Otherwise (multi-label, as cc3d)
// two voxels join only when their values are equal, so each value gets its own components.
// Labels 1..count are numbered in raster scan order: the component whose first voxel in
// x-fastest order comes first is 1.
//
// Pass 1 (Scan) splits each row into runs (from bit masks of 64 voxels: non-zero, and
// continuing the previous voxel's run) and joins each run with the runs it touches in the up
// to four earlier neighbour rows, in a union-find forest over the runs themselves (a run's
// provisional label is its index; union by the smaller index, path halving). A component's
// smallest run index is its first run, so numbering the roots in increasing index order gives
// scan order without a sort. Pass 2 (Write) writes every output voxel exactly once, row by
// row, from the runs.
//
// Requirements: connectivity is 6, 18 or 26; shape.count() < 2^31; for Write, out holds
// shape.count() elements of a type that holds count(), and does not overlap data.
class ComponentRuns {
 public:
  template <typename T>
  static ComponentRuns Scan(const T* data, const Shape3& shape, int connectivity, bool binary);

  std::uint32_t count() const { return count_; }

  // Writes labels 1..count() (0 for the background) to out, every voxel once.
  template <typename L>
  void Write(L* out) const;

 private:
  Shape3 shape_;
  std::vector<Run<std::uint16_t>> narrow_;  // rows of at most 65536 voxels
  std::vector<Run<std::uint32_t>> wide_;    // longer rows
  std::vector<std::uint32_t> rowBegin_;     // runs of row r: [rowBegin_[r], rowBegin_[r + 1])
  std::vector<std::uint32_t> label_;        // the final label of each run
  std::uint32_t count_ = 0;
};

// Both passes into a uint32 output: writes labels 1..K (0 for background) to out and returns
// K (see ComponentRuns for the labels and the requirements).
template <typename T>
std::uint32_t ConnectedComponents(const T* data, const Shape3& shape, int connectivity, bool binary,
                                  std::uint32_t* out);

}  // namespace medals
