#include "gaussian.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace medals {
namespace {

// numpy's pairwise summation of float64 (numpy/_core/src/umath/loops_utils.h.src), which
// ndarray.sum uses for a contiguous array: below 8 values a plain loop, up to 128 eight
// interleaved partial sums, above that the two halves (the first a multiple of 8) recursively.
double PairwiseSum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = -0.0;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSum(a, n2) + PairwiseSum(a + n2, n - n2);
}

// Along one axis of length p: the 1D filter of a unit impulse at p // 2, i.e. scipy's
// _gaussian_kernel1d(sigma = p / 8, radius = int(4 * sigma + 0.5)) centred there, 0 beyond the
// radius (mode 'constant'). Each output of scipy's correlate1d with one non-zero input is that
// input times one kernel weight (the other terms add +0.0), so this profile is exact.
std::vector<double> AxisProfile(std::size_t p) {
  const double sigma = static_cast<double>(p) * 0.125;
  const auto radius = static_cast<std::ptrdiff_t>(4.0 * sigma + 0.5);
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  const double scale = -0.5 / (sigma * sigma);
  for (std::ptrdiff_t j = -radius; j <= radius; ++j) {
    kernel[static_cast<std::size_t>(j + radius)] = std::exp(scale * static_cast<double>(j * j));
  }
  const double sum = PairwiseSum(kernel.data(), kernel.size());
  for (double& k : kernel) k = k / sum;

  std::vector<double> profile(p, 0.0);
  const auto centre = static_cast<std::ptrdiff_t>(p / 2);
  for (std::size_t i = 0; i < p; ++i) {
    const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(i) - centre;
    if (offset >= -radius && offset <= radius) profile[i] = kernel[static_cast<std::size_t>(offset + radius)];
  }
  return profile;
}

}  // namespace

double RoundToHalf(double v) {
  if (std::isnan(v)) return v;
  const double a = std::fabs(v);
  // 65504 is the largest float16; from 65520 on (the tie with 65536) the nearest is Infinity.
  if (a >= 65520.0) return std::copysign(std::numeric_limits<double>::infinity(), v);
  double r;
  if (a < 6.103515625e-05) {
    // Below 2^-14 the float16 numbers are multiples of 2^-24: round a * 2^24 (< 1024, exact)
    // to an integer, ties to even, by adding and subtracting 2^52.
    const double q = a * 16777216.0;
    const double rounded = (q + 4503599627370496.0) - 4503599627370496.0;
    r = rounded / 16777216.0;
  } else {
    // A normal float16 keeps 10 of the double's 52 fraction bits: round the 42 dropped bits to
    // nearest, ties to even; a carry into the exponent is the correct result.
    std::uint64_t bits;
    std::memcpy(&bits, &a, sizeof bits);
    constexpr std::uint64_t kDropped = 42;
    const std::uint64_t lsb = (bits >> kDropped) & 1u;
    bits += (std::uint64_t{1} << (kDropped - 1)) - 1u + lsb;
    bits &= ~((std::uint64_t{1} << kDropped) - 1u);
    std::memcpy(&r, &bits, sizeof r);
  }
  return std::copysign(r, v);
}

std::vector<float> GaussianImportance(std::size_t ph, std::size_t pw, std::size_t pd) {
  const std::vector<double> gh = AxisProfile(ph);
  const std::vector<double> gw = AxisProfile(pw);
  const std::vector<double> gd = AxisProfile(pd);

  // np.max of the filtered impulse: every value is (k_h * k_w) * k_d as scipy computes it.
  double peak = 0.0;
  for (const double h : gh) {
    for (const double w : gw) {
      const double hw = h * w;
      for (const double d : gd) {
        const double v = hw * d;
        if (v > peak) peak = v;
      }
    }
  }

  std::vector<float> out(ph * pw * pd);
  float smallest = std::numeric_limits<float>::infinity();
  std::size_t n = 0;
  for (const double h : gh) {
    for (const double w : gw) {
      const double hw = h * w;
      for (const double d : gd) {
        const double scaled = (hw * d) / peak * 10.0;
        const auto v = static_cast<float>(RoundToHalf(scaled));  // exact: a float16 is a float
        out[n++] = v;
        if (v > 0.0f && v < smallest) smallest = v;
      }
    }
  }
  for (float& v : out) {
    if (v == 0.0f) v = smallest;
  }
  return out;
}

}  // namespace medals
