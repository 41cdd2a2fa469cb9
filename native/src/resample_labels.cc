// Label-map resampling (see resample_labels.h). Compiled with -ffp-contract=off: every
// coordinate and weight must round exactly as in the TypeScript oracle, so no fused multiply-add.
#include "resample_labels.h"

#include "gaussian.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

namespace medals {
namespace {

// One axis of the map: c = a0 * i + a1 * j + a2 * k + b, and the input extent it indexes.
struct Axis {
  double a0 = 0;
  double a1 = 0;
  double a2 = 0;
  double b = 0;
  double hi = 0;        // size - 0.5: above it the voxel is outside
  double last = 0;      // size - 1: the clamp
  double maxBase = 0;   // max(size - 2, 0)
  bool single = false;  // size == 1: frac is 0
};

Axis MakeAxis(const LabelAffine& affine, int r, std::size_t size) {
  Axis axis;
  axis.a0 = affine.a[r * 3];
  axis.a1 = affine.a[r * 3 + 1];
  axis.a2 = affine.a[r * 3 + 2];
  axis.b = affine.b[r];
  const double n = static_cast<double>(size);
  axis.hi = n - 0.5;
  axis.last = n - 1;
  axis.maxBase = size >= 2 ? n - 2 : 0;
  axis.single = size == 1;
  return axis;
}

// Base index and fraction of coordinate v on one axis (v inside [-0.5, size - 0.5], finite).
inline void Locate(const Axis& axis, double v, std::size_t& base, double& frac) {
  double c = v < 0 ? 0.0 : v;
  if (c > axis.last) c = axis.last;
  // floor(c) for 0 <= c < 2^31 (c is clamped): truncation, without the libm call std::floor
  // becomes on baseline x86-64 (no SSE4.1 roundsd).
  const double f = static_cast<double>(static_cast<std::int64_t>(c));
  const double b = f < axis.maxBase ? f : axis.maxBase;
  base = static_cast<std::size_t>(b);
  frac = axis.single ? 0.0 : c - b;
}

// The winner among the 8 corners: per distinct value the sum of its corners' weights (in corner
// order, corners of weight exactly 0 skipped); the largest sum wins, ties within 1e-12 to the
// lower value. The order of every operation is the oracle's.
template <typename T>
inline T Vote(const T (&corner)[8], double fx, double fy, double fz) {
  const double gx[2] = {1 - fx, fx};
  const double gy[2] = {1 - fy, fy};
  const double gz[2] = {1 - fz, fz};
  T values[8];
  double weights[8];
  int used = 0;
  for (int n = 0; n < 8; ++n) {
    const double w = gx[n & 1] * gy[(n >> 1) & 1] * gz[n >> 2];
    if (w == 0) continue;
    const T value = corner[n];
    int slot = 0;
    while (slot < used && values[slot] != value) ++slot;
    if (slot == used) {
      values[used] = value;
      weights[used++] = 0;
    }
    weights[slot] += w;
  }
  int best = 0;
  for (int s = 1; s < used; ++s) {
    if (weights[s] > weights[best] + 1e-12 ||
        (std::fabs(weights[s] - weights[best]) <= 1e-12 && values[s] < values[best])) {
      best = s;
    }
  }
  return used ? values[best] : T{0};
}

// The label of one inside voxel: p points at its base corner, offsets are the corner steps.
template <typename T>
inline T Resolve(const T* p, const std::size_t (&offsets)[8], double fx, double fy, double fz) {
  // Fast path: 8 equal corners (the inside of an organ, the background) need no weights.
  const T first = p[0];
  if (p[offsets[1]] == first && p[offsets[2]] == first && p[offsets[3]] == first && p[offsets[4]] == first &&
      p[offsets[5]] == first && p[offsets[6]] == first && p[offsets[7]] == first) {
    return first;
  }
  T corner[8];
  for (int n = 0; n < 8; ++n) corner[n] = p[offsets[n]];
  return Vote(corner, fx, fy, fz);
}

// Where one target index lands on one input axis.
struct Place {
  bool inside = false;
  std::size_t offset = 0;  // base * the axis's stride in src
  double frac = 0;
};

// Any affine: every coordinate from the full expression, per voxel.
template <typename T>
void ResamplePlanes(const T* src, const Shape3& from, const Axis (&axes)[3], const Shape3& to, T* dst,
                    const std::size_t (&offsets)[8], std::size_t z0, std::size_t z1) {
  for (std::size_t k = z0; k < z1; ++k) {
    const double kd = static_cast<double>(k);
    for (std::size_t j = 0; j < to.y; ++j) {
      const double jd = static_cast<double>(j);
      // The j and k products of each row (the same values the oracle computes per voxel).
      double pj[3];
      double pk[3];
      for (int r = 0; r < 3; ++r) {
        pj[r] = axes[r].a1 * jd;
        pk[r] = axes[r].a2 * kd;
      }
      T* row = dst + to.index(0, j, k);
      for (std::size_t i = 0; i < to.x; ++i) {
        const double id = static_cast<double>(i);
        double v[3];
        bool inside = true;
        for (int r = 0; r < 3; ++r) {
          v[r] = axes[r].a0 * id + pj[r] + pk[r] + axes[r].b;
          if (v[r] < -0.5 || v[r] > axes[r].hi) inside = false;
        }
        if (!inside) {
          row[i] = T{0};
          continue;
        }
        std::size_t bx, by, bz;
        double fx, fy, fz;
        Locate(axes[0], v[0], bx, fx);
        Locate(axes[1], v[1], by, fy);
        Locate(axes[2], v[2], bz, fz);
        row[i] = Resolve(src + from.index(bx, by, bz), offsets, fx, fy, fz);
      }
    }
  }
}

// Where target indices 0..n-1 land on input axis r, for an axis-aligned affine: the full
// expression with the two other indices at 0. With the off-diagonal entries all (+/-) 0, the
// other indices only add (+/-) 0 terms, which change nothing but the sign of a zero coordinate,
// and a coordinate of -0 or +0 gives the same inside test, base, weights and label.
std::vector<Place> PlaceAxis(const Axis& axis, int r, std::size_t n, std::size_t stride) {
  std::vector<Place> places(n);
  for (std::size_t t = 0; t < n; ++t) {
    const double id = r == 0 ? static_cast<double>(t) : 0.0;
    const double jd = r == 1 ? static_cast<double>(t) : 0.0;
    const double kd = r == 2 ? static_cast<double>(t) : 0.0;
    const double v = axis.a0 * id + axis.a1 * jd + axis.a2 * kd + axis.b;
    Place& place = places[t];
    place.inside = !(v < -0.5 || v > axis.hi);
    if (!place.inside) continue;
    std::size_t base = 0;
    Locate(axis, v, base, place.frac);
    place.offset = base * stride;
  }
  return places;
}

// Axis-aligned affine (the usual case: grids of the same direction): per-axis tables.
template <typename T>
void ResampleSeparable(const T* src, const std::vector<Place> (&places)[3], const Shape3& to, T* dst,
                       const std::size_t (&offsets)[8], std::size_t z0, std::size_t z1) {
  for (std::size_t k = z0; k < z1; ++k) {
    const Place& pz = places[2][k];
    for (std::size_t j = 0; j < to.y; ++j) {
      const Place& py = places[1][j];
      T* row = dst + to.index(0, j, k);
      if (!pz.inside || !py.inside) {
        std::fill(row, row + to.x, T{0});
        continue;
      }
      const T* plane = src + py.offset + pz.offset;
      for (std::size_t i = 0; i < to.x; ++i) {
        const Place& px = places[0][i];
        row[i] = px.inside ? Resolve(plane + px.offset, offsets, px.frac, py.frac, pz.frac) : T{0};
      }
    }
  }
}

// Runs f(begin, end) over [0, n) in `threads` contiguous ranges (the calling thread takes the
// first; if a thread cannot be started the calling thread does its share).
template <typename F>
void SplitRanges(std::size_t n, unsigned threads, const F& f) {
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, n));
  const auto bound = [&](std::size_t t) { return n * t / parts; };
  std::vector<std::thread> pool;
  std::size_t spawned = 1;
  if (parts > 1) {
    pool.reserve(parts - 1);
    for (; spawned < parts; ++spawned) {
      try {
        pool.emplace_back([&f, &bound, spawned] { f(bound(spawned), bound(spawned + 1)); });
      } catch (...) {
        break;
      }
    }
  }
  f(bound(0), bound(1));
  for (std::size_t t = spawned; t < parts; ++t) f(bound(t), bound(t + 1));
  for (std::thread& thread : pool) thread.join();
}

// Score of label u among the 8 corners (n = dx + 2 dy + 4 dz) for the taps' weights: its one-hot
// x 1000 interpolated z, then x, then y, each step fma(v0, w0, v1 * w1) in float32, rounded to
// float16. -ffp-contract=off keeps the products and the fma calls exactly as written.
template <typename T>
inline float TapScore(const T (&corner)[8], T u, const float (&wx)[2], const float (&wy)[2], const float (&wz)[2]) {
  float alongY[2];
  for (int dy = 0; dy < 2; ++dy) {
    float alongX[2];
    for (int dx = 0; dx < 2; ++dx) {
      const float v0 = corner[dx + 2 * dy] == u ? 1000.0f : 0.0f;
      const float v1 = corner[dx + 2 * dy + 4] == u ? 1000.0f : 0.0f;
      const float p = v1 * wz[1];
      alongX[dx] = std::fma(v0, wz[0], p);
    }
    const float p = alongX[1] * wx[1];
    alongY[dy] = std::fma(alongX[0], wx[0], p);
  }
  const float p = alongY[1] * wy[1];
  // A float32 is exact as a double, and the nearest float16 of either is the same number.
  return static_cast<float>(RoundToHalf(static_cast<double>(std::fma(alongY[0], wy[0], p))));
}

// The winner among the 8 corners: the largest float16 score, ties to the lower value.
template <typename T>
inline T TapVote(const T (&corner)[8], const float (&wx)[2], const float (&wy)[2], const float (&wz)[2]) {
  const T first = corner[0];
  bool same = true;
  for (int n = 1; n < 8; ++n) same = same && corner[n] == first;
  if (same) return first;
  T values[8];
  int used = 0;
  for (int n = 0; n < 8; ++n) {
    int slot = 0;
    while (slot < used && values[slot] != corner[n]) ++slot;
    if (slot == used) values[used++] = corner[n];
  }
  T best = values[0];
  float bestScore = TapScore(corner, best, wx, wy, wz);
  for (int s = 1; s < used; ++s) {
    const float score = TapScore(corner, values[s], wx, wy, wz);
    if (score > bestScore || (score == bestScore && values[s] < best)) {
      best = values[s];
      bestScore = score;
    }
  }
  return best;
}

template <typename T>
void ResampleTapPlanes(const T* src, const Shape3& from, const AxisTaps (&taps)[3], T* dst, std::size_t z0,
                       std::size_t z1) {
  const AxisTaps& tx = taps[0];
  const AxisTaps& ty = taps[1];
  const AxisTaps& tz = taps[2];
  const std::size_t plane = from.x * from.y;
  for (std::size_t k = z0; k < z1; ++k) {
    const std::size_t zOff[2] = {static_cast<std::size_t>(tz.index[2 * k]) * plane,
                                 static_cast<std::size_t>(tz.index[2 * k + 1]) * plane};
    const float wz[2] = {tz.weight[2 * k], tz.weight[2 * k + 1]};
    for (std::size_t j = 0; j < ty.count; ++j) {
      const std::size_t yOff[2] = {static_cast<std::size_t>(ty.index[2 * j]) * from.x,
                                   static_cast<std::size_t>(ty.index[2 * j + 1]) * from.x};
      const float wy[2] = {ty.weight[2 * j], ty.weight[2 * j + 1]};
      T* row = dst + (k * ty.count + j) * tx.count;
      for (std::size_t i = 0; i < tx.count; ++i) {
        const std::size_t xOff[2] = {static_cast<std::size_t>(tx.index[2 * i]),
                                     static_cast<std::size_t>(tx.index[2 * i + 1])};
        const float wx[2] = {tx.weight[2 * i], tx.weight[2 * i + 1]};
        T corner[8];
        for (int n = 0; n < 8; ++n) corner[n] = src[xOff[n & 1] + yOff[(n >> 1) & 1] + zOff[n >> 2]];
        row[i] = TapVote(corner, wx, wy, wz);
      }
    }
  }
}

}  // namespace

template <typename T>
void ResampleLabelsTaps(const T* src, const Shape3& from, const AxisTaps (&taps)[3], T* dst, unsigned threads) {
  threads = std::max(threads, 1u);
  SplitRanges(taps[2].count, threads,
              [&](std::size_t z0, std::size_t z1) { ResampleTapPlanes(src, from, taps, dst, z0, z1); });
}

template <typename T>
void ResampleLabels(const T* src, const Shape3& from, const LabelAffine& affine, const Shape3& to, T* dst,
                    unsigned threads) {
  const Axis axes[3] = {MakeAxis(affine, 0, from.x), MakeAxis(affine, 1, from.y), MakeAxis(affine, 2, from.z)};
  // Corner steps; an axis of size 1 reuses its only plane (those corners weigh 0 anyway).
  const std::size_t sx = from.x > 1 ? 1 : 0;
  const std::size_t sy = from.y > 1 ? from.x : 0;
  const std::size_t sz = from.z > 1 ? from.x * from.y : 0;
  const std::size_t offsets[8] = {0, sx, sy, sx + sy, sz, sx + sz, sy + sz, sx + sy + sz};
  const double* a = affine.a;
  const bool separable = a[1] == 0 && a[2] == 0 && a[3] == 0 && a[5] == 0 && a[6] == 0 && a[7] == 0;
  threads = std::max(threads, 1u);
  if (separable) {
    const std::vector<Place> places[3] = {PlaceAxis(axes[0], 0, to.x, 1), PlaceAxis(axes[1], 1, to.y, from.x),
                                          PlaceAxis(axes[2], 2, to.z, from.x * from.y)};
    SplitRanges(to.z, threads,
                [&](std::size_t z0, std::size_t z1) { ResampleSeparable(src, places, to, dst, offsets, z0, z1); });
  } else {
    SplitRanges(to.z, threads, [&](std::size_t z0, std::size_t z1) {
      ResamplePlanes(src, from, axes, to, dst, offsets, z0, z1);
    });
  }
}

bool ResampleCoordinatesFinite(const LabelAffine& affine, const Shape3& to) {
  const double extent[3] = {static_cast<double>(to.x) - 1, static_cast<double>(to.y) - 1,
                            static_cast<double>(to.z) - 1};
  for (int r = 0; r < 3; ++r) {
    // Rounding is monotonic, so no partial sum of any voxel exceeds this one's.
    const double bound = std::fabs(affine.a[r * 3]) * extent[0] + std::fabs(affine.a[r * 3 + 1]) * extent[1] +
                         std::fabs(affine.a[r * 3 + 2]) * extent[2] + std::fabs(affine.b[r]);
    if (!std::isfinite(bound)) return false;
  }
  return true;
}

unsigned DefaultResampleThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return std::max(1u, std::min(n == 0 ? 1u : n, 8u));
}

#define MEDALS_INSTANTIATE_RESAMPLE(T)                                                                  \
  template void ResampleLabels<T>(const T* src, const Shape3& from, const LabelAffine& affine, const Shape3& to, \
                                  T* dst, unsigned threads);                                                   \
  template void ResampleLabelsTaps<T>(const T* src, const Shape3& from, const AxisTaps(&taps)[3], T* dst,     \
                                      unsigned threads);
MEDALS_FOR_EACH_LABEL_DTYPE(MEDALS_INSTANTIATE_RESAMPLE)
#undef MEDALS_INSTANTIATE_RESAMPLE

}  // namespace medals
