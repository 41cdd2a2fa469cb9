#include "postprocess.h"

#include <unordered_map>

#include "connected_components.h"

namespace medals {
namespace {

// Components of `in` with their sizes and values (the value at each component's first voxel).
template <typename T>
struct Components {
  std::vector<std::uint32_t> labels;
  std::uint32_t count = 0;
  std::vector<std::uint64_t> size;  // index = label
  std::vector<T> value;

  Components(const T* in, const Shape3& shape, int connectivity, bool binary) : labels(shape.count()) {
    count = ConnectedComponents(in, shape, connectivity, binary, labels.data());
    size.assign(std::size_t{count} + 1, 0);
    value.assign(std::size_t{count} + 1, T(0));
    const std::size_t n = shape.count();
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t l = labels[i];
      if (size[l]++ == 0) value[l] = in[i];
    }
  }

  // out[i] = in[i] where the voxel's component is kept (or background), else 0.
  FilterResult Apply(const T* in, const std::vector<char>& keep, T* out, std::size_t n) const {
    FilterResult result;
    for (std::uint32_t l = 1; l <= count; ++l) {
      if (keep[l]) continue;
      ++result.removedComponents;
      result.removedVoxels += size[l];
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = keep[labels[i]] ? in[i] : T(0);
    return result;
  }
};

}  // namespace

template <typename T>
FilterResult RemoveSmallComponents(const T* in, const Shape3& shape, std::uint64_t minSize, int connectivity,
                                   bool binary, T* out) {
  const Components<T> cc(in, shape, connectivity, binary);
  std::vector<char> keep(std::size_t{cc.count} + 1, 1);
  for (std::uint32_t l = 1; l <= cc.count; ++l) keep[l] = cc.size[l] >= minSize;
  return cc.Apply(in, keep, out, shape.count());
}

template <typename T>
FilterResult KeepLargestComponents(const T* in, const Shape3& shape, int connectivity, const ValueSet& values,
                                   T* out) {
  const Components<T> cc(in, shape, connectivity, false);
  std::unordered_map<std::int64_t, std::uint64_t> largest;
  for (std::uint32_t l = 1; l <= cc.count; ++l) {
    if (!values.Contains(cc.value[l])) continue;
    std::uint64_t& best = largest[cc.value[l]];
    if (cc.size[l] > best) best = cc.size[l];
  }
  std::vector<char> keep(std::size_t{cc.count} + 1, 1);
  for (std::uint32_t l = 1; l <= cc.count; ++l) {
    if (values.Contains(cc.value[l])) keep[l] = cc.size[l] == largest[cc.value[l]];
  }
  return cc.Apply(in, keep, out, shape.count());
}

template <typename T>
FilterResult KeepProbableComponents(const T* in, const float* probability, const Shape3& shape, int connectivity,
                                    const ValueSet& values, const ProbableRule& rule, T* out) {
  const Components<T> cc(in, shape, connectivity, false);
  const std::size_t n = shape.count();
  std::vector<double> sums(std::size_t{cc.count} + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) sums[cc.labels[i]] += static_cast<double>(probability[i]);

  // Components of each selected value, in label (scan) order.
  std::unordered_map<std::int64_t, std::vector<std::uint32_t>> byValue;
  for (std::uint32_t l = 1; l <= cc.count; ++l) {
    if (values.Contains(cc.value[l])) byValue[cc.value[l]].push_back(l);
  }
  std::vector<char> keep(std::size_t{cc.count} + 1, 1);
  std::vector<std::uint32_t> chosen;
  for (auto& [value, group] : byValue) {
    // Largest first; stable, so equal sizes stay in scan order (Python's sorted).
    std::stable_sort(group.begin(), group.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return cc.size[a] > cc.size[b]; });
    const std::size_t top = std::min<std::size_t>(group.size(), rule.candidates);
    std::vector<float> mean(top);
    std::size_t best = 0;
    for (std::size_t k = 0; k < top; ++k) {
      mean[k] = static_cast<float>(sums[group[k]] / static_cast<double>(cc.size[group[k]]));
      if (mean[k] > mean[best]) best = k;  // first maximum, as Python's max()
    }
    chosen.clear();
    for (std::size_t k = 0; k < top; ++k) {
      const float gap = mean[best] - mean[k];  // float32 arithmetic, as numpy float32 scalars
      if (static_cast<double>(gap) <= rule.tolerance && static_cast<double>(mean[k]) > rule.minProbability) {
        chosen.push_back(group[k]);
      }
    }
    if (chosen.size() < 2) {
      chosen.assign(1, best < rule.shortlist ? group[best] : group[0]);
    }
    for (std::uint32_t l : group) keep[l] = 0;
    for (std::uint32_t l : chosen) keep[l] = 1;
  }
  return cc.Apply(in, keep, out, n);
}

#define MEDALS_INSTANTIATE_POSTPROCESS(T)                                                                     \
  template FilterResult RemoveSmallComponents<T>(const T*, const Shape3&, std::uint64_t, int, bool, T*);     \
  template FilterResult KeepLargestComponents<T>(const T*, const Shape3&, int, const ValueSet&, T*);         \
  template FilterResult KeepProbableComponents<T>(const T*, const float*, const Shape3&, int, const ValueSet&, \
                                                  const ProbableRule&, T*);
MEDALS_FOR_EACH_LABEL_DTYPE(MEDALS_INSTANTIATE_POSTPROCESS)
#undef MEDALS_INSTANTIATE_POSTPROCESS

}  // namespace medals
