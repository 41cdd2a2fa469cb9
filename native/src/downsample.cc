#include "downsample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace medals {
namespace {

// JavaScript's Math.round: the nearest integer, halves toward +infinity (floor(x + 0.5) is off
// for 0.49999999999999994, whose sum rounds up to 1).
double RoundLikeJs(double x) {
  const double lower = std::floor(x);
  return x - lower >= 0.5 ? lower + 1 : lower;
}

// The end (exclusive) of the block starting at `start` along an axis of `extent` voxels.
std::size_t BlockEnd(std::size_t start, std::size_t step, std::size_t extent) {
  return std::min(extent, start + step);
}

}  // namespace

Shape3 BlockGridOf(const Shape3& size, const std::array<std::size_t, 3>& f) {
  Shape3 grid;
  grid.x = (size.x + f[0] - 1) / f[0];
  grid.y = (size.y + f[1] - 1) / f[1];
  grid.z = (size.z + f[2] - 1) / f[2];
  return grid;
}

template <typename T>
void BlockMean(const T* in, const Shape3& size, const std::array<std::size_t, 3>& f, T* out) {
  const Shape3 grid = BlockGridOf(size, f);
  // A plane of block sums filled in memory order: each block still receives its voxels in
  // (z, y, x) order, which is what makes the float sums the oracle's doubles.
  std::vector<double> sums(grid.x * grid.y);
  std::vector<std::int64_t> exact(std::is_integral<T>::value ? grid.x * grid.y : 0);
  T* next = out;
  for (std::size_t z0 = 0; z0 < size.z; z0 += f[2]) {
    const std::size_t z1 = BlockEnd(z0, f[2], size.z);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(exact.begin(), exact.end(), 0);
    for (std::size_t z = z0; z < z1; ++z) {
      for (std::size_t y = 0; y < size.y; ++y) {
        const T* row = in + size.index(0, y, z);
        const std::size_t by = (y / f[1]) * grid.x;
        for (std::size_t x0 = 0, bx = 0; x0 < size.x; x0 += f[0], ++bx) {
          const std::size_t x1 = BlockEnd(x0, f[0], size.x);
          if constexpr (std::is_integral<T>::value) {
            std::int64_t run = 0;
            for (std::size_t x = x0; x < x1; ++x) run += row[x];
            exact[by + bx] += run;
          } else {
            double sum = sums[by + bx];
            for (std::size_t x = x0; x < x1; ++x) sum += static_cast<double>(row[x]);
            sums[by + bx] = sum;
          }
        }
      }
    }
    for (std::size_t by = 0; by < grid.y; ++by) {
      const std::size_t ny = BlockEnd(by * f[1], f[1], size.y) - by * f[1];
      for (std::size_t bx = 0; bx < grid.x; ++bx) {
        const std::size_t nx = BlockEnd(bx * f[0], f[0], size.x) - bx * f[0];
        const double count = static_cast<double>((z1 - z0) * ny * nx);
        if constexpr (std::is_integral<T>::value) {
          // The binding keeps blocks under 2^21 voxels, so |sum| < 2^52: the double is the
          // exact sum, as the oracle's additions are.
          *next++ = static_cast<T>(RoundLikeJs(static_cast<double>(exact[by * grid.x + bx]) / count));
        } else {
          *next++ = static_cast<T>(sums[by * grid.x + bx] / count);
        }
      }
    }
  }
}

template <typename T>
void BlockMode(const T* in, const Shape3& size, const std::array<std::size_t, 3>& f, T* out) {
  std::vector<T> values(f[0] * f[1] * f[2]);
  T* next = out;
  for (std::size_t z0 = 0; z0 < size.z; z0 += f[2]) {
    const std::size_t z1 = BlockEnd(z0, f[2], size.z);
    for (std::size_t y0 = 0; y0 < size.y; y0 += f[1]) {
      const std::size_t y1 = BlockEnd(y0, f[1], size.y);
      for (std::size_t x0 = 0; x0 < size.x; x0 += f[0]) {
        const std::size_t x1 = BlockEnd(x0, f[0], size.x);
        // Most blocks hold one value (background, the inside of an organ): no sorting then.
        const T first = in[size.index(x0, y0, z0)];
        std::size_t n = 0;
        bool uniform = true;
        for (std::size_t z = z0; z < z1; ++z) {
          for (std::size_t y = y0; y < y1; ++y) {
            const T* row = in + size.index(0, y, z);
            for (std::size_t x = x0; x < x1; ++x) {
              values[n++] = row[x];
              uniform = uniform && row[x] == first;
            }
          }
        }
        if (uniform) {
          *next++ = first;
          continue;
        }
        std::sort(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
        // Ascending runs: the first run of the highest count is the smallest of the tied values.
        T best = values[0];
        std::size_t bestCount = 0;
        for (std::size_t i = 0; i < n;) {
          std::size_t j = i + 1;
          while (j < n && values[j] == values[i]) ++j;
          if (j - i > bestCount) {
            bestCount = j - i;
            best = values[i];
          }
          i = j;
        }
        *next++ = best;
      }
    }
  }
}

#define MEDALS_INSTANTIATE_MEAN(T) \
  template void BlockMean<T>(const T*, const Shape3&, const std::array<std::size_t, 3>&, T*);
MEDALS_FOR_EACH_DTYPE(MEDALS_INSTANTIATE_MEAN)
#undef MEDALS_INSTANTIATE_MEAN

#define MEDALS_INSTANTIATE_MODE(T) \
  template void BlockMode<T>(const T*, const Shape3&, const std::array<std::size_t, 3>&, T*);
MEDALS_FOR_EACH_LABEL_DTYPE(MEDALS_INSTANTIATE_MODE)
#undef MEDALS_INSTANTIATE_MODE

}  // namespace medals
