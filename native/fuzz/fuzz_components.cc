// libFuzzer harness: connected components, component statistics and post-processing
// (connected_components.h, component_stats.h, postprocess.h). Calls each kernel as
// components_binding.cc does after its checks: a label dtype, connectivity 6/18/26, exact-size
// input and output buffers that do not overlap; componentStats with labels of any value and
// count <= voxels (labels above count throw KernelRangeError, which the binding reports).
// Results are checked against a breadth-first reference labelling; a violation traps.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "component_stats.h"
#include "connected_components.h"
#include "fuzz_input.h"
#include "kernel_error.h"
#include "postprocess.h"
#include "shape.h"

using namespace medals;
using namespace medals_fuzz;

namespace {

constexpr std::size_t kMaxAxis = 24;

struct Offset {
  int dx, dy, dz;
};

std::vector<Offset> Neighbourhood(int connectivity) {
  const int maxSteps = connectivity == 6 ? 1 : connectivity == 18 ? 2 : 3;
  std::vector<Offset> out;
  for (int dz = -1; dz <= 1; ++dz)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int steps = (dx != 0) + (dy != 0) + (dz != 0);
        if (steps >= 1 && steps <= maxSteps) out.push_back({dx, dy, dz});
      }
  return out;
}

template <typename T>
bool Joins(T a, T b, bool binary) {
  if (a == T(0) || b == T(0)) return false;
  return binary || a == b;
}

// Breadth-first labelling, components numbered by their first voxel in raster order.
template <typename T>
std::uint32_t ReferenceLabels(const T* data, const Shape3& s, int connectivity, bool binary,
                              std::vector<std::uint32_t>& labels) {
  const std::size_t n = s.count();
  labels.assign(n, 0);
  const std::vector<Offset> nb = Neighbourhood(connectivity);
  std::vector<std::size_t> queue;
  std::uint32_t count = 0;
  for (std::size_t start = 0; start < n; ++start) {
    if (data[start] == T(0) || labels[start] != 0) continue;
    labels[start] = ++count;
    queue.assign(1, start);
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const std::size_t i = queue[q];
      const std::size_t x = i % s.x, y = (i / s.x) % s.y, z = i / (s.x * s.y);
      for (const Offset& o : nb) {
        const std::ptrdiff_t nx = static_cast<std::ptrdiff_t>(x) + o.dx;
        const std::ptrdiff_t ny = static_cast<std::ptrdiff_t>(y) + o.dy;
        const std::ptrdiff_t nz = static_cast<std::ptrdiff_t>(z) + o.dz;
        if (nx < 0 || ny < 0 || nz < 0 || nx >= static_cast<std::ptrdiff_t>(s.x) ||
            ny >= static_cast<std::ptrdiff_t>(s.y) || nz >= static_cast<std::ptrdiff_t>(s.z))
          continue;
        const std::size_t j = s.index(nx, ny, nz);
        if (labels[j] != 0 || !Joins(data[i], data[j], binary)) continue;
        labels[j] = count;
        queue.push_back(j);
      }
    }
  }
  return count;
}

// The invariants the issue asks for, checked directly on the kernel's output.
template <typename T>
void CheckLabelInvariants(const T* data, const Shape3& s, bool binary, const std::uint32_t* labels,
                          std::uint32_t count) {
  const std::size_t n = s.count();
  std::uint32_t next = 1;  // raster order: label k + 1 first appears after label k
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t l = labels[i];
    if (data[i] == T(0)) {
      FUZZ_CHECK(l == 0);
      continue;
    }
    FUZZ_CHECK(l >= 1 && l <= count);
    if (l == next) ++next;
    FUZZ_CHECK(l < next);
  }
  FUZZ_CHECK(next == count + 1);
  // Face neighbours that join share a label.
  for (std::size_t z = 0; z < s.z; ++z)
    for (std::size_t y = 0; y < s.y; ++y)
      for (std::size_t x = 0; x < s.x; ++x) {
        const std::size_t i = s.index(x, y, z);
        if (x + 1 < s.x && Joins(data[i], data[i + 1], binary)) FUZZ_CHECK(labels[i] == labels[i + 1]);
        if (y + 1 < s.y && Joins(data[i], data[i + s.x], binary)) FUZZ_CHECK(labels[i] == labels[i + s.x]);
        if (z + 1 < s.z && Joins(data[i], data[i + s.x * s.y], binary))
          FUZZ_CHECK(labels[i] == labels[i + s.x * s.y]);
      }
}

int ReadConnectivity(Input& in) {
  static const int kConn[3] = {6, 18, 26};
  return kConn[in.Byte() % 3];
}

// null (all) or a few int32 values, sorted and unique as ParseValues makes them.
template <typename T>
ValueSet ReadValues(Input& in, const T* palette, std::size_t paletteSize) {
  ValueSet set;
  set.all = in.Bool();
  if (set.all) return set;
  const std::size_t k = in.Range(0, 6);
  for (std::size_t i = 0; i < k; ++i) {
    const std::uint8_t b = in.Byte();
    set.sorted.push_back(b < 200 ? static_cast<std::int64_t>(palette[b % paletteSize])
                                 : static_cast<std::int64_t>(in.Raw<std::int32_t>()));
  }
  std::sort(set.sorted.begin(), set.sorted.end());
  set.sorted.erase(std::unique(set.sorted.begin(), set.sorted.end()), set.sorted.end());
  return set;
}

template <typename T>
void CheckFilter(const T* data, const T* out, std::size_t n, const FilterResult& r, std::uint32_t count) {
  std::uint64_t removed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(out[i] == data[i] || out[i] == T(0));
    removed += (data[i] != T(0) && out[i] == T(0)) ? 1 : 0;
  }
  FUZZ_CHECK(removed == r.removedVoxels);
  FUZZ_CHECK(r.removedComponents <= count);
  FUZZ_CHECK((r.removedComponents == 0) == (r.removedVoxels == 0));
}

template <typename V>
void CheckStats(const ComponentStats& st, const std::uint32_t* labels, const Shape3& s, std::uint32_t count,
                const V* values, const float* weights) {
  const std::size_t slots = std::size_t{count} + 1;
  FUZZ_CHECK(st.count == count && st.voxels.size() == slots && st.boxMin.size() == 3 * slots &&
             st.boxMax.size() == 3 * slots && st.centroid.size() == 3 * slots);
  FUZZ_CHECK(values == nullptr ? st.value.empty() : st.value.size() == slots);
  FUZZ_CHECK(weights == nullptr ? st.mean.empty() : st.mean.size() == slots);
  std::vector<double> voxels(slots, 0.0);
  for (std::size_t i = 0; i < s.count(); ++i) voxels[labels[i]] += 1.0;
  const std::size_t dims[3] = {s.x, s.y, s.z};
  for (std::size_t l = 0; l < slots; ++l) {
    FUZZ_CHECK(st.voxels[l] == voxels[l]);
    for (int a = 0; a < 3; ++a) {
      const std::int32_t lo = st.boxMin[3 * l + a], hi = st.boxMax[3 * l + a];
      if (voxels[l] == 0) {
        FUZZ_CHECK(lo == -1 && hi == -1);
      } else {
        FUZZ_CHECK(lo >= 0 && lo <= hi && static_cast<std::size_t>(hi) < dims[a]);
        const double c = st.centroid[3 * l + a];
        FUZZ_CHECK(c >= lo && c <= hi);
      }
    }
  }
}

template <typename T>
void RunLabelOps(Input& in, std::uint8_t op) {
  const Shape3 s = ReadShape(in, kMaxAxis);
  const std::size_t n = s.count();
  T palette[16];
  const std::size_t paletteSize = in.Range(1, 16);
  ReadPalette(in, palette, paletteSize);
  const int connectivity = ReadConnectivity(in);
  const bool binary = in.Bool();

  // Parameters first, then the volume from the remaining bytes.
  const std::uint64_t minSize = in.Range(0, 64);
  const ValueSet values = ReadValues(in, palette, paletteSize);
  ProbableRule rule;
  rule.candidates = static_cast<std::uint32_t>(in.Range(1, 5));
  rule.shortlist = static_cast<std::uint32_t>(in.Range(1, 5));
  rule.tolerance = in.Bool() ? in.Uniform(-0.5, 1.5) : in.FiniteDouble();
  rule.minProbability = in.Bool() ? in.Uniform(-0.5, 1.5) : in.FiniteDouble();
  const std::uint8_t probMode = in.Byte();

  auto data = Buffer<T>(n);
  FillVolume(in, data.get(), n, palette, paletteSize);
  auto out = Buffer<T>(n);

  std::vector<std::uint32_t> ref;
  switch (op) {
    case 0: {  // connectedComponents, then componentStats on its labels
      auto labels = Buffer<std::uint32_t>(n);
      std::memset(labels.get(), 0xAB, n * sizeof(std::uint32_t));  // kernel must write every voxel
      const std::uint32_t count = ConnectedComponents(data.get(), s, connectivity, binary, labels.get());
      CheckLabelInvariants(data.get(), s, binary, labels.get(), count);
      const std::uint32_t refCount = ReferenceLabels(data.get(), s, connectivity, binary, ref);
      FUZZ_CHECK(count == refCount);
      for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(labels[i] == ref[i]);
      // The narrow outputs (as the binding picks for a fresh output) hold the same labels.
      const ComponentRuns runs = ComponentRuns::Scan(data.get(), s, connectivity, binary);
      FUZZ_CHECK(runs.count() == count);
      if (count <= 0xFF) {
        auto narrow = Buffer<std::uint8_t>(n);
        std::memset(narrow.get(), 0xAB, n);
        runs.Write(narrow.get());
        for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(narrow[i] == ref[i]);
      }
      if (count <= 0xFFFF) {
        auto narrow = Buffer<std::uint16_t>(n);
        std::memset(narrow.get(), 0xAB, n * sizeof(std::uint16_t));
        runs.Write(narrow.get());
        for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(narrow[i] == ref[i]);
      }
      std::unique_ptr<float[]> weights;
      if (probMode & 1) {
        weights = Buffer<float>(n);
        for (std::size_t i = 0; i < n; ++i) weights[i] = static_cast<float>(data[i]) * 0.25f;
      }
      const ComponentStats st = ComputeComponentStats(labels.get(), s, count, data.get(), weights.get());
      CheckStats(st, labels.get(), s, count, data.get(), weights.get());
      std::vector<char> seen(std::size_t{count} + 1, 0);  // value: the label's first voxel
      for (std::size_t i = 0; i < n; ++i) {
        if (seen[labels[i]]) continue;
        seen[labels[i]] = 1;
        FUZZ_CHECK(st.value[labels[i]] == static_cast<double>(data[i]));
      }
      break;
    }
    case 1: {  // removeSmallComponents
      const FilterResult r = RemoveSmallComponents(data.get(), s, minSize, connectivity, binary, out.get());
      const std::uint32_t count = ReferenceLabels(data.get(), s, connectivity, binary, ref);
      CheckFilter(data.get(), out.get(), n, r, count);
      std::vector<std::uint64_t> size(std::size_t{count} + 1, 0);
      for (std::size_t i = 0; i < n; ++i) ++size[ref[i]];
      for (std::size_t i = 0; i < n; ++i) {
        if (ref[i] != 0) FUZZ_CHECK(out[i] == (size[ref[i]] >= minSize ? data[i] : T(0)));
      }
      break;
    }
    case 2: {  // keepLargestComponents (components per value)
      const FilterResult r = KeepLargestComponents(data.get(), s, connectivity, values, out.get());
      const std::uint32_t count = ReferenceLabels(data.get(), s, connectivity, false, ref);
      CheckFilter(data.get(), out.get(), n, r, count);
      std::vector<std::uint64_t> size(std::size_t{count} + 1, 0);
      std::vector<T> value(std::size_t{count} + 1, T(0));
      for (std::size_t i = 0; i < n; ++i) ++size[ref[i]], value[ref[i]] = data[i];
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t l = ref[i];
        if (l == 0) continue;
        bool keep = true;
        if (values.Contains(value[l])) {
          for (std::uint32_t m = 1; m <= count; ++m)
            if (value[m] == value[l] && size[m] > size[l]) keep = false;
        }
        FUZZ_CHECK(out[i] == (keep ? data[i] : T(0)));
      }
      break;
    }
    case 3: {  // keepProbableComponents (probability: any float32, as the binding allows)
      auto prob = Buffer<float>(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (probMode & 2) {
          prob[i] = in.Raw<float>();
        } else {
          prob[i] = static_cast<float>(in.Byte()) / 255.0f;
        }
      }
      const FilterResult r =
          KeepProbableComponents(data.get(), prob.get(), s, connectivity, values, rule, out.get());
      const std::uint32_t count = ReferenceLabels(data.get(), s, connectivity, false, ref);
      CheckFilter(data.get(), out.get(), n, r, count);
      // Every voxel of a component shares its fate, and each selected value keeps >= 1.
      std::vector<int> kept(std::size_t{count} + 1, -1);
      for (std::size_t i = 0; i < n; ++i) {
        if (ref[i] == 0) continue;
        const int k = out[i] != T(0);
        FUZZ_CHECK(kept[ref[i]] == -1 || kept[ref[i]] == k);
        kept[ref[i]] = k;
      }
      break;
    }
    case 4: {  // fillHoles
      const std::uint64_t filled = FillHoles(data.get(), s, values, out.get());
      std::uint64_t diff = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (out[i] == data[i]) continue;
        ++diff;
        FUZZ_CHECK(data[i] == T(0) && out[i] != T(0) && values.Contains(out[i]));
      }
      FUZZ_CHECK(diff == filled);
      // No filled voxel touches the volume border.
      for (std::size_t z = 0; z < s.z; ++z)
        for (std::size_t y = 0; y < s.y; ++y)
          for (std::size_t x = 0; x < s.x; ++x) {
            const std::size_t i = s.index(x, y, z);
            if (out[i] == data[i]) continue;
            FUZZ_CHECK(x > 0 && y > 0 && z > 0 && x + 1 < s.x && y + 1 < s.y && z + 1 < s.z);
          }
      break;
    }
  }
}

// componentStats with arbitrary labels and count <= voxels, values of any dtype, optional weights.
template <typename V>
void RunStats(Input& in) {
  const Shape3 s = ReadShape(in, kMaxAxis);
  const std::size_t n = s.count();
  const std::uint32_t count = static_cast<std::uint32_t>(in.Range(0, std::min<std::size_t>(n, 40)));
  const bool withValues = in.Bool();
  const bool withWeights = in.Bool();
  auto labels = Buffer<std::uint32_t>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b = in.Byte();
    labels[i] = b == 255 ? in.Raw<std::uint32_t>() : b % (count + 1);
  }
  auto values = Buffer<V>(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = in.Raw<V>();
  auto weights = Buffer<float>(n);
  for (std::size_t i = 0; i < n; ++i) weights[i] = in.Raw<float>();
  bool inRange = true;
  for (std::size_t i = 0; i < n; ++i) inRange = inRange && labels[i] <= count;
  try {
    const ComponentStats st = ComputeComponentStats(labels.get(), s, count, withValues ? values.get() : nullptr,
                                                    withWeights ? weights.get() : nullptr);
    FUZZ_CHECK(inRange);
    CheckStats(st, labels.get(), s, count, withValues ? values.get() : nullptr,
               withWeights ? weights.get() : nullptr);
  } catch (const KernelRangeError&) {
    FUZZ_CHECK(!inRange);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t head = in.Byte();
  const std::uint8_t op = head % 6;  // 0..4: label-map kernels, 5: componentStats on raw labels
  const std::uint8_t dtype = (head / 6) % 5;
  if (op == 5) {
    DispatchDType(static_cast<DType>(dtype), [&](auto tag) { RunStats<typename decltype(tag)::type>(in); });
  } else {
    DispatchLabelDType(static_cast<DType>(dtype % 4),
                       [&](auto tag) { RunLabelOps<typename decltype(tag)::type>(in, op); });
  }
  return 0;
}
