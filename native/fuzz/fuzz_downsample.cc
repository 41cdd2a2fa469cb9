// libFuzzer harness: block downsampling (downsample.h). Calls BlockMean and BlockMode as
// downsample_binding.cc does after its checks: any supported element type (modes: integer ones),
// shapes up to 24^3, factors 1..30 per axis (blocks under 2^21 voxels), exact-size buffers.
// Checks every output against a per-block scalar model: the mean of the block's voxels added in
// (z, y, x) order into a double (integer types: rounded with halves up, float: rounded to float,
// compared bit for bit with NaN equal to NaN), the mode with ties to the smaller value.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "downsample.h"
#include "fuzz_input.h"

using namespace medals;
using namespace medals_fuzz;

namespace {

constexpr std::size_t kMaxAxis = 24;

template <typename T>
bool SameValue(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    std::uint32_t x, y;
    std::memcpy(&x, &a, 4);
    std::memcpy(&y, &b, 4);
    return x == y;
  } else {
    return a == b;
  }
}

template <typename T>
void Run(Input& in, bool mode) {
  const Shape3 size = ReadShape(in, kMaxAxis);
  const std::array<std::size_t, 3> f = {in.Range(1, 30), in.Range(1, 30), in.Range(1, 30)};
  const std::size_t n = size.count();
  auto data = Buffer<T>(n);
  const bool few = in.Bool();  // few distinct values (ties, uniform blocks) or any bits
  for (std::size_t i = 0; i < n; ++i) data[i] = few ? static_cast<T>(in.Byte() % 3) : in.Raw<T>();
  const Shape3 grid = BlockGridOf(size, f);
  auto out = Buffer<T>(grid.count());
  if (mode) {
    if constexpr (std::is_integral<T>::value) BlockMode(data.get(), size, f, out.get());
  } else {
    BlockMean(data.get(), size, f, out.get());
  }
  std::size_t b = 0;
  for (std::size_t z0 = 0; z0 < size.z; z0 += f[2])
    for (std::size_t y0 = 0; y0 < size.y; y0 += f[1])
      for (std::size_t x0 = 0; x0 < size.x; x0 += f[0], ++b) {
        double sum = 0;
        std::size_t count = 0;
        std::map<T, std::size_t> counts;
        for (std::size_t z = z0; z < std::min(size.z, z0 + f[2]); ++z)
          for (std::size_t y = y0; y < std::min(size.y, y0 + f[1]); ++y)
            for (std::size_t x = x0; x < std::min(size.x, x0 + f[0]); ++x) {
              const T v = data[size.index(x, y, z)];
              sum += static_cast<double>(v);
              ++count;
              if (mode) ++counts[v];
            }
        T expected;
        if (mode) {
          std::size_t best = 0;
          for (const auto& [value, c] : counts)
            if (c > best) {
              best = c;
              expected = value;
            }
        } else if constexpr (std::is_integral<T>::value) {
          const double mean = sum / static_cast<double>(count);
          const double lower = std::floor(mean);
          expected = static_cast<T>(mean - lower >= 0.5 ? lower + 1 : lower);
        } else {
          expected = static_cast<T>(sum / static_cast<double>(count));
        }
        FUZZ_CHECK(SameValue(out[b], expected));
      }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const bool mode = in.Bool();
  switch (in.Byte() % (mode ? 4 : 5)) {
    case 0:
      Run<std::uint8_t>(in, mode);
      break;
    case 1:
      Run<std::int16_t>(in, mode);
      break;
    case 2:
      Run<std::uint16_t>(in, mode);
      break;
    case 3:
      Run<std::int32_t>(in, mode);
      break;
    default:
      Run<float>(in, false);
      break;
  }
  return 0;
}
