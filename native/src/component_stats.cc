#include "component_stats.h"

#include <limits>
#include <string>

#include "kernel_error.h"

namespace medals {

template <typename L, typename V>
ComponentStats ComputeComponentStats(const L* labels, const Shape3& shape, std::uint32_t count,
                                     const V* values, const float* weights) {
  const std::size_t slots = static_cast<std::size_t>(count) + 1;
  constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint64_t> voxels(slots, 0);
  std::vector<std::uint32_t> lo(3 * slots, kNone);
  std::vector<std::uint32_t> hi(3 * slots, 0);
  std::vector<std::uint64_t> sums(3 * slots, 0);
  std::vector<double> weightSums(weights != nullptr ? slots : 0, 0.0);
  ComponentStats stats;
  stats.count = count;
  if (values != nullptr) stats.value.assign(slots, std::numeric_limits<double>::quiet_NaN());

  std::size_t i = 0;
  for (std::uint32_t z = 0; z < shape.z; ++z) {
    for (std::uint32_t y = 0; y < shape.y; ++y) {
      for (std::uint32_t x = 0; x < shape.x; ++x, ++i) {
        const std::uint32_t label = labels[i];
        if (label > count) {
          throw KernelRangeError("labels[" + std::to_string(i) + "] = " + std::to_string(label) +
                                 " exceeds count = " + std::to_string(count));
        }
        std::uint32_t* l = &lo[3 * std::size_t{label}];
        std::uint32_t* h = &hi[3 * std::size_t{label}];
        std::uint64_t* s = &sums[3 * std::size_t{label}];
        if (voxels[label]++ == 0) {
          if (values != nullptr) stats.value[label] = static_cast<double>(values[i]);
          l[0] = x, l[1] = y, l[2] = z;  // the first voxel in raster order has the smallest z
        }
        if (x < l[0]) l[0] = x;
        if (y < l[1]) l[1] = y;
        if (x > h[0]) h[0] = x;
        if (y > h[1]) h[1] = y;
        h[2] = z;  // z never decreases
        s[0] += x, s[1] += y, s[2] += z;
        if (weights != nullptr) weightSums[label] += static_cast<double>(weights[i]);
      }
    }
  }

  const double nan = std::numeric_limits<double>::quiet_NaN();
  stats.voxels.resize(slots);
  stats.boxMin.resize(3 * slots);
  stats.boxMax.resize(3 * slots);
  stats.centroid.resize(3 * slots);
  if (weights != nullptr) stats.mean.resize(slots);
  for (std::size_t label = 0; label < slots; ++label) {
    const std::uint64_t n = voxels[label];
    stats.voxels[label] = static_cast<double>(n);
    for (std::size_t a = 0; a < 3; ++a) {
      const std::size_t k = 3 * label + a;
      stats.boxMin[k] = n == 0 ? -1 : static_cast<std::int32_t>(lo[k]);
      stats.boxMax[k] = n == 0 ? -1 : static_cast<std::int32_t>(hi[k]);
      stats.centroid[k] = n == 0 ? nan : static_cast<double>(sums[k]) / static_cast<double>(n);
    }
    if (weights != nullptr) stats.mean[label] = n == 0 ? nan : weightSums[label] / static_cast<double>(n);
  }
  return stats;
}

#define MEDALS_INSTANTIATE_STATS_L(L, V) \
  template ComponentStats ComputeComponentStats<L, V>(const L*, const Shape3&, std::uint32_t, const V*, const float*);
#define MEDALS_INSTANTIATE_STATS(V)                 \
  MEDALS_INSTANTIATE_STATS_L(std::uint8_t, V)       \
  MEDALS_INSTANTIATE_STATS_L(std::uint16_t, V)      \
  MEDALS_INSTANTIATE_STATS_L(std::uint32_t, V)
MEDALS_FOR_EACH_DTYPE(MEDALS_INSTANTIATE_STATS)
#undef MEDALS_INSTANTIATE_STATS
#undef MEDALS_INSTANTIATE_STATS_L

}  // namespace medals
