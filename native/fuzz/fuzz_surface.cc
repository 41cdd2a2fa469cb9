// libFuzzer harness: exact Euclidean distance transform (edt.h) and surface distances / the
// normalised surface Dice (surface.h, with and without the union box given). Calls the kernels as surface_binding.cc does after its
// checks: masks of any of the 5 dtypes holding shape.count() elements (gt and pred may differ
// in dtype), spacings finite in [1e-9, 1e9] (mostly 0.1..5), tolerance finite and >= 0, an
// optional int32 label, and for neighbourCodes a box inside the volume. Checks: distances
// against brute force on small volumes, neighbour codes against their definition, NSD NaN or
// in [0, 1] and consistent with the per-surfel distances. A violation traps.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "edt.h"
#include "fuzz_input.h"
#include "surface.h"

using namespace medals;
using namespace medals_fuzz;

namespace {

constexpr std::size_t kMaxAxis = 24;
constexpr double kInf = std::numeric_limits<double>::infinity();

void ReadSpacing(Input& in, double spacing[3]) {
  const bool extreme = in.Byte() >= 240;
  for (int a = 0; a < 3; ++a) {
    spacing[a] = extreme ? std::pow(10.0, in.Uniform(-9.0, 9.0)) : in.Uniform(0.1, 5.0);
    if (spacing[a] < 1e-9) spacing[a] = 1e-9;
    if (spacing[a] > 1e9) spacing[a] = 1e9;
  }
}

template <typename T>
bool On(T v, const MaskSelector& select) {
  return select.byLabel ? static_cast<double>(v) == select.label : v != T(0);
}

// A volume of dtype T from a palette, as an owning buffer plus a MaskSource.
struct Volume {
  std::shared_ptr<void> storage;
  MaskSource source;
};

template <typename T>
Volume ReadVolume(Input& in, std::size_t n) {
  T palette[16];
  const std::size_t paletteSize = in.Range(1, 16);
  ReadPalette(in, palette, paletteSize);
  std::shared_ptr<T> data(new T[n](), [](T* p) { delete[] p; });
  FillVolume(in, data.get(), n, palette, paletteSize);
  Volume v;
  v.storage = data;
  v.source.dtype = DType::kUint8;
  v.source.data = data.get();
  return v;
}

Volume ReadAnyVolume(Input& in, std::size_t n) {
  const DType dtype = static_cast<DType>(in.Byte() % 5);
  Volume v = DispatchDType(dtype, [&](auto tag) { return ReadVolume<typename decltype(tag)::type>(in, n); });
  v.source.dtype = dtype;
  return v;
}

MaskSelector ReadSelector(Input& in) {
  MaskSelector select;
  const std::uint8_t b = in.Byte();
  if (b < 160) return select;
  select.byLabel = true;
  select.label = b < 240 ? static_cast<double>(b % 4) : static_cast<double>(in.Raw<std::int32_t>());
  return select;
}

template <typename T>
void CheckDistanceTransform(const T* mask, const Shape3& s, const double spacing[3]) {
  const std::size_t n = s.count();
  auto out = Buffer<float>(n);
  DistanceTransform(mask, s, spacing, out.get());
  std::vector<std::size_t> features;
  for (std::size_t i = 0; i < n; ++i)
    if (mask[i] != T(0)) features.push_back(i);
  for (std::size_t i = 0; i < n; ++i) {
    if (mask[i] != T(0)) FUZZ_CHECK(out[i] == 0.0f);
    else if (features.empty()) FUZZ_CHECK(out[i] == std::numeric_limits<float>::infinity());
    else FUZZ_CHECK(out[i] > 0.0f);  // not NaN, not zero, not negative
  }
  if (features.empty() || features.size() * n > 200000) return;
  // Brute force: min over features of ((dz sz)^2 + (dy sy)^2) + (dx sx)^2, then sqrt, to float.
  for (std::size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(i % s.x), y = static_cast<double>((i / s.x) % s.y),
                 z = static_cast<double>(i / (s.x * s.y));
    double best = kInf;
    for (std::size_t f : features) {
      const double dx = (x - static_cast<double>(f % s.x)) * spacing[0];
      const double dy = (y - static_cast<double>((f / s.x) % s.y)) * spacing[1];
      const double dz = (z - static_cast<double>(f / (s.x * s.y))) * spacing[2];
      const double d2 = (dz * dz + dy * dy) + dx * dx;
      if (d2 < best) best = d2;
    }
    FUZZ_CHECK(out[i] == static_cast<float>(std::sqrt(best)));
  }
}

template <typename T>
void CheckNeighbourCodes(const T* mask, const Shape3& s, const MaskSelector& select, const Box3& box) {
  const Shape3 grid = CodeGridShape(box);
  auto codes = Buffer<std::uint8_t>(grid.count());
  MaskSource source;
  source.data = mask;
  if (std::is_same<T, std::uint8_t>::value) source.dtype = DType::kUint8;
  if (std::is_same<T, std::int16_t>::value) source.dtype = DType::kInt16;
  if (std::is_same<T, std::uint16_t>::value) source.dtype = DType::kUint16;
  if (std::is_same<T, std::int32_t>::value) source.dtype = DType::kInt32;
  if (std::is_same<T, float>::value) source.dtype = DType::kFloat32;
  NeighbourCodes(source, s, select, box, codes.get());
  auto m = [&](std::ptrdiff_t x, std::ptrdiff_t y, std::ptrdiff_t z) -> int {
    // Voxel box.min + (x, y, z); off outside the box.
    const std::ptrdiff_t vx = static_cast<std::ptrdiff_t>(box.min[0]) + x;
    const std::ptrdiff_t vy = static_cast<std::ptrdiff_t>(box.min[1]) + y;
    const std::ptrdiff_t vz = static_cast<std::ptrdiff_t>(box.min[2]) + z;
    if (vx < static_cast<std::ptrdiff_t>(box.min[0]) || vy < static_cast<std::ptrdiff_t>(box.min[1]) ||
        vz < static_cast<std::ptrdiff_t>(box.min[2]) || vx > static_cast<std::ptrdiff_t>(box.max[0]) ||
        vy > static_cast<std::ptrdiff_t>(box.max[1]) || vz > static_cast<std::ptrdiff_t>(box.max[2]))
      return 0;
    return On(mask[s.index(vx, vy, vz)], select) ? 1 : 0;
  };
  std::size_t g = 0;
  for (std::size_t z = 0; z < grid.z; ++z)
    for (std::size_t y = 0; y < grid.y; ++y)
      for (std::size_t x = 0; x < grid.x; ++x, ++g) {
        const auto X = static_cast<std::ptrdiff_t>(x), Y = static_cast<std::ptrdiff_t>(y),
                   Z = static_cast<std::ptrdiff_t>(z);
        const int code = 128 * m(X - 1, Y - 1, Z - 1) + 64 * m(X, Y - 1, Z - 1) + 32 * m(X - 1, Y, Z - 1) +
                         16 * m(X, Y, Z - 1) + 8 * m(X - 1, Y - 1, Z) + 4 * m(X, Y - 1, Z) + 2 * m(X - 1, Y, Z) +
                         m(X, Y, Z);
        FUZZ_CHECK(codes[g] == code);
      }
}

void CheckSurface(Input& in, const Shape3& s) {
  const std::size_t n = s.count();
  const Volume gt = ReadAnyVolume(in, n);
  const Volume pred = in.Byte() < 32 ? gt : ReadAnyVolume(in, n);  // same array twice is allowed
  const MaskSelector select = ReadSelector(in);
  double spacing[3];
  ReadSpacing(in, spacing);
  double tolerance = 0.0;
  switch (in.Byte() % 4) {
    case 0: tolerance = 0.0; break;
    case 1: tolerance = in.Uniform(0.0, 10.0); break;
    case 2: tolerance = std::fabs(in.FiniteDouble()); break;
    default: tolerance = spacing[in.Byte() % 3] * in.Range(0, 4); break;  // exactly on a grid distance
  }

  const SurfaceDiceResult dice = ComputeSurfaceDice(gt.source, pred.source, s, select, spacing, tolerance);
  FUZZ_CHECK(std::isnan(dice.nsd) || (dice.nsd >= 0.0 && dice.nsd <= 1.0));
  FUZZ_CHECK(dice.gtAreaWithin <= dice.gtArea && dice.predAreaWithin <= dice.predArea);

  const SurfaceDistances dist = ComputeSurfaceDistances(gt.source, pred.source, s, select, spacing);
  FUZZ_CHECK(dist.distancesGtToPred.size() == dist.areasGt.size());
  FUZZ_CHECK(dist.distancesPredToGt.size() == dist.areasPred.size());
  FUZZ_CHECK(dist.distancesGtToPred.size() == dice.gtSurfels);
  FUZZ_CHECK(dist.distancesPredToGt.size() == dice.predSurfels);
  FUZZ_CHECK(std::isnan(dice.nsd) == (dice.gtSurfels == 0 && dice.predSurfels == 0));
  double gtArea = 0, gtWithin = 0, predArea = 0, predWithin = 0;
  for (std::size_t i = 0; i < dist.areasGt.size(); ++i) {
    const double d = dist.distancesGtToPred[i];
    FUZZ_CHECK(d >= 0.0 && dist.areasGt[i] > 0.0);
    gtArea += dist.areasGt[i];
    if (d <= tolerance) gtWithin += dist.areasGt[i];
  }
  for (std::size_t i = 0; i < dist.areasPred.size(); ++i) {
    const double d = dist.distancesPredToGt[i];
    FUZZ_CHECK(d >= 0.0 && dist.areasPred[i] > 0.0);
    predArea += dist.areasPred[i];
    if (d <= tolerance) predWithin += dist.areasPred[i];
  }
  // Same surfels in the same order: the sums agree exactly.
  FUZZ_CHECK(gtArea == dice.gtArea && predArea == dice.predArea);
  FUZZ_CHECK(gtWithin == dice.gtAreaWithin && predWithin == dice.predAreaWithin);

  // The union box covers both masks' on voxels.
  const Box3 a = MaskBox(gt.source, s, select), b = MaskBox(pred.source, s, select);
  const Box3 u = UnionBox(a, b);
  FUZZ_CHECK(u.empty == dist.box.empty);
  if (!u.empty) {
    for (int k = 0; k < 3; ++k) FUZZ_CHECK(u.min[k] == dist.box.min[k] && u.max[k] == dist.box.max[k]);
    // The union box given instead of found: the same sums.
    const SurfaceDiceResult boxed = ComputeSurfaceDice(gt.source, pred.source, s, select, spacing, tolerance, &u);
    FUZZ_CHECK(boxed.gtArea == dice.gtArea && boxed.predArea == dice.predArea);
    FUZZ_CHECK(boxed.gtAreaWithin == dice.gtAreaWithin && boxed.predAreaWithin == dice.predAreaWithin);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t op = in.Byte() % 3;
  const Shape3 s = ReadShape(in, kMaxAxis);
  const std::size_t n = s.count();
  if (op == 0) {  // distanceTransform
    double spacing[3];
    ReadSpacing(in, spacing);
    const DType dtype = static_cast<DType>(in.Byte() % 5);
    DispatchDType(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Volume v = ReadVolume<T>(in, n);
      CheckDistanceTransform(static_cast<const T*>(v.source.data), s, spacing);
    });
  } else if (op == 1) {  // surfaceDice and surfaceDistances
    CheckSurface(in, s);
  } else {  // neighbourCodes with a box inside the volume
    const MaskSelector select = ReadSelector(in);
    Box3 box;
    box.empty = false;
    const std::size_t dims[3] = {s.x, s.y, s.z};
    for (int a = 0; a < 3; ++a) {
      std::size_t lo = in.Range(0, dims[a] - 1), hi = in.Range(0, dims[a] - 1);
      if (lo > hi) std::swap(lo, hi);
      box.min[a] = lo;
      box.max[a] = hi;
    }
    const DType dtype = static_cast<DType>(in.Byte() % 5);
    DispatchDType(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Volume v = ReadVolume<T>(in, n);
      CheckNeighbourCodes(static_cast<const T*>(v.source.data), s, select, box);
    });
  }
  return 0;
}
