#include "connected_components.h"

#include <limits>
#include <vector>

#include "kernel_error.h"

namespace medals {
namespace {

struct Step {
  int dx, dy, dz;
};

int AxesMoved(int dx, int dy, int dz) { return (dx != 0) + (dy != 0) + (dz != 0); }

// The neighbours a raster scan has already visited, except the left one (-1, 0, 0).
// `all` is used when the left neighbour is not in the current voxel's component; `afterLeft`
// when it is: then every neighbour that is also adjacent to the left voxel was already joined
// with it when the left voxel was scanned, so only the others need a look (4 of 13 at 26).
struct Stencil {
  std::vector<Step> all;
  std::vector<Step> afterLeft;
};

Stencil MakeStencil(int connectivity) {
  const int maxAxes = connectivity == 6 ? 1 : connectivity == 18 ? 2 : 3;
  Stencil stencil;
  for (int dz = -1; dz <= 0; ++dz) {
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0))) continue;  // not scanned yet
        if (dz == 0 && dy == 0) continue;                           // (-1, 0, 0): the left one
        if (AxesMoved(dx, dy, dz) > maxAxes) continue;
        stencil.all.push_back({dx, dy, dz});
        // Seen from the left voxel this neighbour sits at (dx + 1, dy, dz).
        const bool adjacentToLeft = dx + 1 <= 1 && AxesMoved(dx + 1, dy, dz) <= maxAxes;
        if (!adjacentToLeft) stencil.afterLeft.push_back({dx, dy, dz});
      }
    }
  }
  return stencil;
}

// A stencil entry resolved for one row: linear offset plus the x step (for the x bounds check).
struct RowStep {
  std::ptrdiff_t offset;
  int dx;
};

void ResolveRow(const std::vector<Step>& steps, const Shape3& shape, std::size_t y, std::size_t z,
                std::vector<RowStep>& row) {
  row.clear();
  const auto sx = static_cast<std::ptrdiff_t>(shape.x);
  const auto sxy = static_cast<std::ptrdiff_t>(shape.x * shape.y);
  for (const Step& s : steps) {
    if (s.dy < 0 && y == 0) continue;
    if (s.dy > 0 && y + 1 == shape.y) continue;
    if (s.dz < 0 && z == 0) continue;
    row.push_back({s.dx + sx * s.dy + sxy * s.dz, s.dx});
  }
}

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

  std::uint32_t Join(std::uint32_t a, std::uint32_t b) {
    a = Find(a);
    b = Find(b);
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

template <bool kBinary, typename T>
inline bool Joins(T neighbour, T value) {
  if constexpr (kBinary) {
    return neighbour != T(0);
  } else {
    return neighbour == value;
  }
}

template <bool kBinary, typename T>
std::uint32_t Label(const T* data, const Shape3& shape, const Stencil& stencil, std::uint32_t* out) {
  Forest forest;
  std::vector<RowStep> all;
  std::vector<RowStep> afterLeft;
  const std::size_t nx = shape.x;
  for (std::size_t z = 0; z < shape.z; ++z) {
    for (std::size_t y = 0; y < shape.y; ++y) {
      ResolveRow(stencil.all, shape, y, z, all);
      ResolveRow(stencil.afterLeft, shape, y, z, afterLeft);
      const std::size_t start = shape.index(0, y, z);
      const T* src = data + start;
      std::uint32_t* dst = out + start;
      for (std::size_t x = 0; x < nx; ++x) {
        const T value = src[x];
        if (value == T(0)) {
          dst[x] = 0;
          continue;
        }
        std::uint32_t label = 0;
        const std::vector<RowStep>* steps = &all;
        if (x > 0 && Joins<kBinary>(src[x - 1], value)) {
          label = dst[x - 1];
          steps = &afterLeft;
        }
        for (const RowStep& step : *steps) {
          if ((step.dx < 0 && x == 0) || (step.dx > 0 && x + 1 == nx)) continue;
          const std::ptrdiff_t j = static_cast<std::ptrdiff_t>(x) + step.offset;
          if (!Joins<kBinary>(src[j], value)) continue;
          const std::uint32_t other = dst[j];
          if (label == 0) {
            label = other;
          } else if (other != label) {
            label = forest.Join(label, other);
          }
        }
        dst[x] = label != 0 ? label : forest.Add();
      }
    }
  }
  const std::uint32_t count = forest.Finalize();
  const std::vector<std::uint32_t>& final = forest.table();
  const std::size_t n = shape.count();
  for (std::size_t i = 0; i < n; ++i) out[i] = final[out[i]];
  return count;
}

}  // namespace

template <typename T>
std::uint32_t ConnectedComponents(const T* data, const Shape3& shape, int connectivity, bool binary,
                                  std::uint32_t* out) {
  const Stencil stencil = MakeStencil(connectivity);
  return binary ? Label<true>(data, shape, stencil, out) : Label<false>(data, shape, stencil, out);
}

#define MEDALS_INSTANTIATE_CC(T) \
  template std::uint32_t ConnectedComponents<T>(const T*, const Shape3&, int, bool, std::uint32_t*);
MEDALS_FOR_EACH_LABEL_DTYPE(MEDALS_INSTANTIATE_CC)
#undef MEDALS_INSTANTIATE_CC

}  // namespace medals
