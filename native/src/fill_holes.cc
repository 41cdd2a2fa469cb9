// FillHoles (declared in postprocess.h). The holes of a value lie inside its bounding box, so
// each value is handled inside its box grown by one voxel (clipped to the volume): a
// component of `in != value` there is a hole exactly when it does not reach the region's
// boundary (past the box every voxel is `!= value` and leads straight to the border).
#include <algorithm>
#include <limits>
#include <map>

#include "connected_components.h"
#include "postprocess.h"

namespace medals {
namespace {

struct Box {
  std::size_t lo[3];
  std::size_t hi[3];  // inclusive
};

}  // namespace

template <typename T>
std::uint64_t FillHoles(const T* in, const Shape3& shape, const ValueSet& values, T* out) {
  const std::size_t n = shape.count();
  std::copy(in, in + n, out);

  // Bounding box of every selected value, in ascending value order.
  std::map<std::int64_t, Box> boxes;
  std::size_t i = 0;
  for (std::size_t z = 0; z < shape.z; ++z) {
    for (std::size_t y = 0; y < shape.y; ++y) {
      for (std::size_t x = 0; x < shape.x; ++x, ++i) {
        const T v = in[i];
        if (v == T(0) || !values.Contains(v)) continue;
        auto [it, fresh] = boxes.try_emplace(v, Box{{x, y, z}, {x, y, z}});
        if (fresh) continue;
        Box& b = it->second;
        const std::size_t c[3] = {x, y, z};
        for (int a = 0; a < 3; ++a) {
          b.lo[a] = std::min(b.lo[a], c[a]);
          b.hi[a] = std::max(b.hi[a], c[a]);
        }
      }
    }
  }

  // Size of the smallest hole that claimed each voxel so far (0: none).
  std::vector<std::uint64_t> claimed;
  std::vector<std::uint8_t> mask;
  std::vector<std::uint32_t> labels;
  std::vector<std::uint64_t> size;
  std::vector<char> open;  // component reaches the region's boundary
  const std::size_t dims[3] = {shape.x, shape.y, shape.z};
  for (const auto& [value, box] : boxes) {
    std::size_t lo[3];
    std::size_t hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = box.lo[a] > 0 ? box.lo[a] - 1 : 0;
      hi[a] = std::min(box.hi[a] + 1, dims[a] - 1);
    }
    const Shape3 region{hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1};
    const std::size_t m = region.count();
    mask.resize(m);
    labels.resize(m);
    std::size_t j = 0;
    for (std::size_t z = lo[2]; z <= hi[2]; ++z) {
      for (std::size_t y = lo[1]; y <= hi[1]; ++y) {
        const T* row = in + shape.index(0, y, z);
        for (std::size_t x = lo[0]; x <= hi[0]; ++x) mask[j++] = row[x] != static_cast<T>(value) ? 1 : 0;
      }
    }
    const std::uint32_t count = ConnectedComponents(mask.data(), region, 6, true, labels.data());
    size.assign(std::size_t{count} + 1, 0);
    open.assign(std::size_t{count} + 1, 0);
    j = 0;
    for (std::size_t z = 0; z < region.z; ++z) {
      for (std::size_t y = 0; y < region.y; ++y) {
        for (std::size_t x = 0; x < region.x; ++x, ++j) {
          const std::uint32_t l = labels[j];
          ++size[l];
          if (x == 0 || y == 0 || z == 0 || x + 1 == region.x || y + 1 == region.y || z + 1 == region.z) open[l] = 1;
        }
      }
    }
    bool anyHole = false;
    for (std::uint32_t l = 1; l <= count && !anyHole; ++l) anyHole = !open[l];
    if (!anyHole) continue;
    if (claimed.empty()) claimed.assign(n, 0);
    j = 0;
    for (std::size_t z = lo[2]; z <= hi[2]; ++z) {
      for (std::size_t y = lo[1]; y <= hi[1]; ++y) {
        for (std::size_t x = lo[0]; x <= hi[0]; ++x, ++j) {
          const std::uint32_t l = labels[j];
          if (l == 0 || open[l]) continue;
          const std::size_t k = shape.index(x, y, z);
          if (in[k] != T(0)) continue;
          // Values come in ascending order, so a tie keeps the lower value.
          if (claimed[k] != 0 && claimed[k] <= size[l]) continue;
          claimed[k] = size[l];
          out[k] = static_cast<T>(value);
        }
      }
    }
  }
  std::uint64_t filled = 0;
  for (std::size_t k = 0; k < n; ++k) filled += out[k] != in[k] ? 1 : 0;
  return filled;
}

#define MEDALS_INSTANTIATE_FILL(T) \
  template std::uint64_t FillHoles<T>(const T*, const Shape3&, const ValueSet&, T*);
MEDALS_FOR_EACH_LABEL_DTYPE(MEDALS_INSTANTIATE_FILL)
#undef MEDALS_INSTANTIATE_FILL

}  // namespace medals
