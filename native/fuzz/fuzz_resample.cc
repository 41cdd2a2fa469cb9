// libFuzzer harness: label-map resampling (resample_labels.h). Calls ResampleLabels as
// resample_binding.cc does after its checks: a label dtype, source and target shapes, a finite
// affine (A, b) for which ResampleCoordinatesFinite holds (inputs it refuses are skipped, as
// the binding throws), exact-size non-overlapping buffers, threads 1 or 2. Checks: every output
// label is 0 or a value of the source, and the result does not depend on the thread count.
// Then ResampleLabelsTaps on the same source with random valid tables (see RunTaps).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_input.h"
#include "resample_labels.h"

using namespace medals;
using namespace medals_fuzz;

namespace {

constexpr std::size_t kMaxAxis = 24;

double ReadCoefficient(Input& in, bool diagonal) {
  const std::uint8_t b = in.Byte();
  if (b < 96) return diagonal ? in.Uniform(-4.0, 4.0) : 0.0;  // axis-aligned scaling / flips
  if (b < 192) return in.Uniform(-4.0, 4.0);                  // shear, rotation-like
  if (b < 224) return static_cast<double>(static_cast<int>(b % 5) - 2) * 0.5;
  return in.FiniteDouble();  // any finite value (huge, tiny, subnormal)
}

// ResampleLabelsTaps with tables as the binding accepts them (indices within the input, weights
// in [0, 1]: linear-like pairs, one tap, or any pair). Checks: every output is a value of the
// source (only corners vote), thread independence, and one-tap identity tables copy the source.
template <typename T>
void RunTaps(Input& in, const T* src, const Shape3& from, unsigned threads) {
  const Shape3 to = ReadShape(in, kMaxAxis);
  const std::size_t sizes[3] = {from.x, from.y, from.z};
  const std::size_t counts[3] = {to.x, to.y, to.z};
  std::vector<std::int32_t> index[3];
  std::vector<float> weight[3];
  AxisTaps taps[3];
  for (int a = 0; a < 3; ++a) {
    index[a].resize(2 * counts[a]);
    weight[a].resize(2 * counts[a]);
    const std::uint8_t kind = in.Byte();
    for (std::size_t t = 0; t < counts[a]; ++t) {
      const auto i0 = static_cast<std::int32_t>(in.Range(0, sizes[a] - 1));
      if (kind < 100) {
        index[a][2 * t] = i0;
        index[a][2 * t + 1] = static_cast<std::int32_t>(std::min<std::size_t>(i0 + 1, sizes[a] - 1));
        const auto w1 = static_cast<float>(in.Uniform(0.0, 1.0));
        weight[a][2 * t] = 1.0f - w1;
        weight[a][2 * t + 1] = w1;
      } else if (kind < 160) {
        index[a][2 * t] = index[a][2 * t + 1] = i0;
        weight[a][2 * t] = 1.0f;
        weight[a][2 * t + 1] = 0.0f;
      } else {
        index[a][2 * t] = i0;
        index[a][2 * t + 1] = static_cast<std::int32_t>(in.Range(0, sizes[a] - 1));
        weight[a][2 * t] = static_cast<float>(in.Uniform(0.0, 1.0));
        weight[a][2 * t + 1] = static_cast<float>(in.Uniform(0.0, 1.0));
      }
    }
    taps[a].index = index[a].data();
    taps[a].weight = weight[a].data();
    taps[a].count = counts[a];
  }
  const std::size_t n = from.count(), m = to.count();
  auto dst = Buffer<T>(m);
  ResampleLabelsTaps(src, from, taps, dst.get(), threads);
  std::vector<T> present(src, src + n);
  std::sort(present.begin(), present.end());
  for (std::size_t i = 0; i < m; ++i) FUZZ_CHECK(std::binary_search(present.begin(), present.end(), dst[i]));
  auto again = Buffer<T>(m);
  ResampleLabelsTaps(src, from, taps, again.get(), threads == 1 ? 2 : 1);
  FUZZ_CHECK(std::memcmp(dst.get(), again.get(), m * sizeof(T)) == 0);

  // One-tap identity tables on the input's own shape copy it.
  std::vector<std::int32_t> identityIndex[3];
  std::vector<float> identityWeight[3];
  AxisTaps identity[3];
  for (int a = 0; a < 3; ++a) {
    for (std::size_t t = 0; t < sizes[a]; ++t) {
      identityIndex[a].push_back(static_cast<std::int32_t>(t));
      identityIndex[a].push_back(static_cast<std::int32_t>(t));
      identityWeight[a].push_back(1.0f);
      identityWeight[a].push_back(0.0f);
    }
    identity[a].index = identityIndex[a].data();
    identity[a].weight = identityWeight[a].data();
    identity[a].count = sizes[a];
  }
  auto copy = Buffer<T>(n);
  ResampleLabelsTaps(src, from, identity, copy.get(), threads);
  FUZZ_CHECK(std::memcmp(copy.get(), src, n * sizeof(T)) == 0);
}

template <typename T>
void Run(Input& in) {
  const Shape3 from = ReadShape(in, kMaxAxis);
  const Shape3 to = ReadShape(in, kMaxAxis);
  LabelAffine affine;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) affine.a[r * 3 + c] = ReadCoefficient(in, r == c);
  const std::size_t dims[3] = {from.x, from.y, from.z};
  for (int r = 0; r < 3; ++r) {
    const std::uint8_t b = in.Byte();
    affine.b[r] = b < 224 ? in.Uniform(-2.0, static_cast<double>(dims[r]) + 1.0) : in.FiniteDouble();
  }
  if (!ResampleCoordinatesFinite(affine, to)) return;  // the binding refuses these
  const unsigned threads = in.Bool() ? 2 : 1;

  T palette[16];
  const std::size_t paletteSize = in.Range(1, 16);
  ReadPalette(in, palette, paletteSize);
  const std::size_t n = from.count(), m = to.count();
  auto src = Buffer<T>(n);
  FillVolume(in, src.get(), n, palette, paletteSize);

  auto dst = Buffer<T>(m);
  std::fill(dst.get(), dst.get() + m, static_cast<T>(0x5A));
  ResampleLabels(src.get(), from, affine, to, dst.get(), threads);

  std::vector<T> present(src.get(), src.get() + n);
  present.push_back(T(0));
  std::sort(present.begin(), present.end());
  for (std::size_t i = 0; i < m; ++i) FUZZ_CHECK(std::binary_search(present.begin(), present.end(), dst[i]));

  auto again = Buffer<T>(m);
  ResampleLabels(src.get(), from, affine, to, again.get(), threads == 1 ? 2 : 1);
  FUZZ_CHECK(std::memcmp(dst.get(), again.get(), m * sizeof(T)) == 0);

  // The identity map on the same grid reproduces the source.
  if (in.Byte() >= 240) {
    LabelAffine identity;
    auto copy = Buffer<T>(n);
    ResampleLabels(src.get(), from, identity, from, copy.get(), threads);
    FUZZ_CHECK(std::memcmp(copy.get(), src.get(), n * sizeof(T)) == 0);
  }

  RunTaps<T>(in, src.get(), from, threads);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const DType dtype = static_cast<DType>(in.Byte() % 4);
  DispatchLabelDType(dtype, [&](auto tag) { Run<typename decltype(tag)::type>(in); });
  return 0;
}
