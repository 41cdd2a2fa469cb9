#include "connected_components.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_error.h"

namespace medals {
namespace {

// Union-find over provisional labels. Roots are the smallest label of their set (union links
// the larger root under the smaller one), so parent[l] <= l always.
class Forest {
 public:
  Forest() : parent_(1, 0) {}

  std::uint32_t Add() {
    if (parent_.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw KernelRangeError("more than 2^32 - 1 provisional labels");
    }
    const auto label = static_cast<std::uint32_t>(parent_.size());
    parent_.push_back(label);
    return label;
  }

  std::uint32_t Find(std::uint32_t label) {
    while (parent_[label] != label) {
      parent_[label] = parent_[parent_[label]];  // path halving
      label = parent_[label];
    }
    return label;
  }

  // Joins the set of root a with the set of label b; returns the root of the union.
  std::uint32_t JoinRoot(std::uint32_t a, std::uint32_t b) {
    b = Find(b);
    if (a == b) return a;
    if (a < b) {
      parent_[b] = a;
      return a;
    }
    parent_[a] = b;
    return b;
  }

  // Replaces parent[] by the final label of each provisional label: roots get 1, 2, ... in
  // increasing order, which is scan order (a component's smallest provisional label was
  // created at its first voxel). Returns the number of components.
  std::uint32_t Finalize() {
    std::uint32_t count = 0;
    for (std::size_t l = 1; l < parent_.size(); ++l) {
      const std::uint32_t p = parent_[l];
      parent_[l] = p == l ? ++count : parent_[p];  // parent_[p] (p < l) is already final
    }
    return count;
  }

  const std::vector<std::uint32_t>& table() const { return parent_; }

 private:
  std::vector<std::uint32_t> parent_;
};

// A maximal stretch [first, last] of one row whose voxels are all foreground (binary) or all
// hold the same non-zero value (multi-label), with its provisional label. Coord is uint16_t
// when rows are at most 65536 voxels long, which keeps a run at 8 bytes: even a checkerboard
// (one run per two voxels) then needs no more memory than the output.
template <typename Coord>
struct Run {
  Coord first;
  Coord last;
  std::uint32_t label;
};

// An earlier row whose runs may touch the current row's, and whether touching includes a
// one-voxel shift in x (the neighbour rows reached by an edge or corner step).
struct NeighbourRow {
  std::ptrdiff_t dy;
  std::ptrdiff_t dz;
  bool diagonal;
};

// The rows a raster scan has finished that hold neighbours of the current row: (y-1, z) and
// (y, z-1) always; (y-1, z-1) and (y+1, z-1) from 18-connectivity on (their own neighbours
// sit at dx = 0 at 18, also at dx = +-1 at 26); dx = +-1 within the face rows from 18 on.
std::vector<NeighbourRow> NeighbourRows(int connectivity) {
  const bool edges = connectivity >= 18;
  std::vector<NeighbourRow> rows = {{-1, 0, edges}, {0, -1, edges}};
  if (edges) {
    const bool corners = connectivity == 26;
    rows.push_back({-1, -1, corners});
    rows.push_back({1, -1, corners});
  }
  return rows;
}

// Row scanning, 8 bytes at a time where a whole word decides (most of a label map is long
// stretches of background or of one label), then voxel by voxel. Each returns the first x at
// or after `x` that ends the stretch, or nx.
template <typename T>
std::size_t SkipZeros(const T* src, std::size_t x, std::size_t nx) {
  constexpr std::size_t kPer = sizeof(std::uint64_t) / sizeof(T);
  for (std::uint64_t word; x + kPer <= nx; x += kPer) {
    std::memcpy(&word, src + x, sizeof word);
    if (word != 0) break;
  }
  while (x < nx && src[x] == T(0)) ++x;
  return x;
}

template <typename T>
std::size_t SkipNonzero(const T* src, std::size_t x, std::size_t nx) {
  if constexpr (sizeof(T) == 1) {
    // A word holds a zero byte iff (w - 0x01..01) & ~w & 0x80..80 is non-zero.
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    for (std::uint64_t word; x + 8 <= nx; x += 8) {
      std::memcpy(&word, src + x, sizeof word);
      if (((word - kOnes) & ~word & kHighs) != 0) break;
    }
  }
  while (x < nx && src[x] != T(0)) ++x;
  return x;
}

template <typename T>
std::size_t SkipEqual(const T* src, std::size_t x, std::size_t nx, T value) {
  if constexpr (sizeof(T) == 1) {
    const std::uint64_t pattern = 0x0101010101010101ULL * static_cast<std::uint8_t>(value);
    for (std::uint64_t word; x + 8 <= nx; x += 8) {
      std::memcpy(&word, src + x, sizeof word);
      if (word != pattern) break;
    }
  }
  while (x < nx && src[x] == value) ++x;
  return x;
}

template <bool kBinary, typename T, typename Coord>
std::uint32_t Label(const T* data, const Shape3& shape, int connectivity, std::uint32_t* out) {
  const std::size_t nx = shape.x;
  const std::size_t rowCount = shape.y * shape.z;
  const std::vector<NeighbourRow> neighbours = NeighbourRows(connectivity);
  Forest forest;
  std::vector<Run<Coord>> runs;
  runs.reserve(std::min<std::size_t>(rowCount * 4, shape.count() / 2 + 1));
  std::vector<std::size_t> rowBegin(rowCount + 1, 0);

  // Pass 1: runs of each row in raster order, joined to the runs they touch in earlier rows.
  for (std::size_t z = 0; z < shape.z; ++z) {
    for (std::size_t y = 0; y < shape.y; ++y) {
      const std::size_t row = y + shape.y * z;
      const T* src = data + row * nx;
      rowBegin[row] = runs.size();
      // Neighbour rows as [begin, end) spans of runs, with a cursor that only moves forward:
      // runs in a row are sorted, so a neighbour run ending before this run also ends before
      // every later one.
      struct Span {
        std::size_t cursor, end;
        const T* src;
        bool diagonal;
      };
      Span spans[4];
      int spanCount = 0;
      for (const NeighbourRow& n : neighbours) {
        const auto ny = static_cast<std::ptrdiff_t>(y) + n.dy;
        const auto nz = static_cast<std::ptrdiff_t>(z) + n.dz;
        if (ny < 0 || nz < 0 || ny >= static_cast<std::ptrdiff_t>(shape.y)) continue;
        const std::size_t other = static_cast<std::size_t>(ny) + shape.y * static_cast<std::size_t>(nz);
        if (rowBegin[other] == rowBegin[other + 1]) continue;
        spans[spanCount++] = {rowBegin[other], rowBegin[other + 1], data + other * nx, n.diagonal};
      }
      std::size_t x = 0;
      while (x < nx) {
        x = SkipZeros(src, x, nx);
        if (x == nx) break;
        const T value = src[x];
        const std::size_t first = x;
        x = kBinary ? SkipNonzero(src, x, nx) : SkipEqual(src, x, nx, value);
        const std::size_t last = x - 1;
        std::uint32_t label = 0;
        for (int s = 0; s < spanCount; ++s) {
          Span& span = spans[s];
          // Touching: the neighbour run [a, b] meets [first, last], or at a diagonal one
          // voxel beyond either end of it.
          const std::size_t lo = span.diagonal && first > 0 ? first - 1 : first;
          const std::size_t hi = span.diagonal ? last + 1 : last;
          while (span.cursor < span.end && runs[span.cursor].last < lo) ++span.cursor;
          for (std::size_t k = span.cursor; k < span.end && runs[k].first <= hi; ++k) {
            if constexpr (!kBinary) {
              if (span.src[runs[k].first] != value) continue;
            }
            // label stays a root, so each touching run costs one Find.
            label = label == 0 ? forest.Find(runs[k].label) : forest.JoinRoot(label, runs[k].label);
          }
        }
        runs.push_back({static_cast<Coord>(first), static_cast<Coord>(last), label != 0 ? label : forest.Add()});
      }
    }
  }
  rowBegin[rowCount] = runs.size();

  // Pass 2: the output written once, row by row, from the runs and the final labels.
  const std::uint32_t count = forest.Finalize();
  const std::vector<std::uint32_t>& final = forest.table();
  for (std::size_t row = 0; row < rowCount; ++row) {
    std::uint32_t* dst = out + row * nx;
    std::size_t x = 0;
    for (std::size_t k = rowBegin[row]; k < rowBegin[row + 1]; ++k) {
      const Run<Coord>& run = runs[k];
      std::fill(dst + x, dst + run.first, 0u);
      std::fill(dst + run.first, dst + run.last + 1, final[run.label]);
      x = static_cast<std::size_t>(run.last) + 1;
    }
    std::fill(dst + x, dst + nx, 0u);
  }
  return count;
}

template <bool kBinary, typename T>
std::uint32_t LabelRuns(const T* data, const Shape3& shape, int connectivity, std::uint32_t* out) {
  if (shape.x <= std::size_t{1} << 16) return Label<kBinary, T, std::uint16_t>(data, shape, connectivity, out);
  return Label<kBinary, T, std::uint32_t>(data, shape, connectivity, out);
}

}  // namespace

template <typename T>
std::uint32_t ConnectedComponents(const T* data, const Shape3& shape, int connectivity, bool binary,
                                  std::uint32_t* out) {
  return binary ? LabelRuns<true>(data, shape, connectivity, out)
                : LabelRuns<false>(data, shape, connectivity, out);
}

#define MEDALS_INSTANTIATE_CC(T) \
  template std::uint32_t ConnectedComponents<T>(const T*, const Shape3&, int, bool, std::uint32_t*);
MEDALS_FOR_EACH_LABEL_DTYPE(MEDALS_INSTANTIATE_CC)
#undef MEDALS_INSTANTIATE_CC

}  // namespace medals
