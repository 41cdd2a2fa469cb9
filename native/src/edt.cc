#include "edt.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace medals {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Lines processed together by the strided pass along y: adjacent x, one cache line of doubles
// per row read, twice over.
constexpr std::size_t kBatch = 16;

// Scratch space of the lower envelope for lines of up to n samples.
struct Envelope {
  std::vector<std::size_t> v;  // centres of the parabolas on the envelope
  std::vector<double> h;       // h[k] = f[v[k]] + s^2 v[k]^2
  std::vector<double> z;       // z[k]: where parabola k starts to be the lowest (index units)
  explicit Envelope(std::size_t n) : v(n), h(n), z(n + 1) {}
};

// Felzenszwalb-Huttenlocher: d[q] = min over p with finite f[p] of ((q - p) * s)^2 + f[p], or
// +infinity when every f[p] is infinite or the minimum exceeds limit. f and d do not overlap.
// The envelope's breakpoints are floating point, so where q lies within a small margin of a
// breakpoint the neighbouring parabola is evaluated too and the smaller value kept: the result
// is the minimum of the candidates' exact expressions, not merely of the parabola the rounded
// breakpoints select.
void LowerEnvelope1D(const double* f, std::size_t n, double s, double limit, double* d, Envelope& e) {
  const double s2 = s * s;
  std::size_t* v = e.v.data();
  double* h = e.h.data();
  double* z = e.z.data();
  std::size_t k = 0;
  bool any = false;
  for (std::size_t q = 0; q < n; ++q) {
    if (f[q] == kInf) continue;
    const double qq = static_cast<double>(q);
    const double hq = f[q] + s2 * qq * qq;
    if (!any) {
      any = true;
      v[0] = q;
      h[0] = hq;
      z[0] = -kInf;
      z[1] = kInf;
      continue;
    }
    double x = 0.0;
    for (;;) {
      x = (hq - h[k]) / (2.0 * s2 * (qq - static_cast<double>(v[k])));
      if (x > z[k] || k == 0) break;  // z[0] = -inf: k == 0 always stops here
      --k;
    }
    ++k;
    v[k] = q;
    h[k] = hq;
    z[k] = x;
    z[k + 1] = kInf;
  }
  if (!any) {
    std::fill(d, d + n, kInf);
    return;
  }
  const std::size_t last = k;
  // Beyond `reach` samples from the outermost parabolas every value exceeds limit.
  std::size_t lo = 0, hi = n;
  if (limit != kInf) {
    const double r = std::floor(std::sqrt(limit) / s) + 1.0;
    if (r < static_cast<double>(n)) {
      const std::size_t reach = static_cast<std::size_t>(r);
      lo = v[0] > reach ? v[0] - reach : 0;
      hi = std::min(n, v[last] + reach + 1);
    }
  }
  std::fill(d, d + lo, kInf);
  std::fill(d + hi, d + n, kInf);
  // The rounding error of a breakpoint is far below 1e-3 voxel unless the squared distances
  // carried from the other axes exceed s^2 by ~1e10 (spacings 1e5 apart); the margin only decides
  // where a second candidate is evaluated.
  constexpr double kMargin = 1e-3;
  k = 0;
  for (std::size_t q = lo; q < hi; ++q) {
    const double qq = static_cast<double>(q);
    while (k < last && z[k + 1] < qq) ++k;
    auto term = [&](std::size_t p) {
      const double delta = (qq - static_cast<double>(p)) * s;
      return delta * delta + f[p];
    };
    double best = term(v[k]);
    if (k > 0 && qq - z[k] < kMargin) best = std::min(best, term(v[k - 1]));
    if (k < last && z[k + 1] - qq < kMargin) best = std::min(best, term(v[k + 1]));
    d[q] = best > limit ? kInf : best;
  }
}

// Pass along z: exact nearest-feature distance in whole voxels by a forward and a backward
// scan over the planes (contiguous), then squared in mm: (dz * sz)^2.
void PassZ(double* g, const Shape3& shape, double sz, double limit) {
  const std::size_t plane = shape.x * shape.y;
  const std::size_t nz = shape.z;
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  // Forward: g = z - (last feature at or before z), in voxels, or +inf.
  std::vector<std::size_t> seen(plane, kNone);
  for (std::size_t z = 0; z < nz; ++z) {
    double* row = g + z * plane;
    for (std::size_t i = 0; i < plane; ++i) {
      if (row[i] == 0.0) {
        seen[i] = z;
      } else if (seen[i] != kNone) {
        row[i] = static_cast<double>(z - seen[i]);
      }
    }
  }
  // Backward: the next feature at or after z, if nearer; then square in mm.
  for (std::size_t i = 0; i < plane; ++i) seen[i] = kNone;
  for (std::size_t zz = nz; zz-- > 0;) {
    double* row = g + zz * plane;
    for (std::size_t i = 0; i < plane; ++i) {
      if (row[i] == 0.0) {
        seen[i] = zz;
        continue;
      }
      if (seen[i] != kNone) row[i] = std::min(row[i], static_cast<double>(seen[i] - zz));
      if (row[i] != kInf) {
        const double delta = row[i] * sz;
        row[i] = delta * delta > limit ? kInf : delta * delta;
      }
    }
  }
}

// Pass along y (stride X inside each z slab): kBatch adjacent lines gathered at a time.
void PassY(double* g, const Shape3& shape, double sy, double limit) {
  const std::size_t nx = shape.x, ny = shape.y;
  std::vector<double> f(kBatch * ny), d(ny);
  Envelope e(ny);
  for (std::size_t z = 0; z < shape.z; ++z) {
    double* slab = g + z * nx * ny;
    for (std::size_t x0 = 0; x0 < nx; x0 += kBatch) {
      const std::size_t width = std::min(kBatch, nx - x0);
      for (std::size_t y = 0; y < ny; ++y) {
        const double* row = slab + y * nx + x0;
        for (std::size_t b = 0; b < width; ++b) f[b * ny + y] = row[b];
      }
      for (std::size_t b = 0; b < width; ++b) {
        LowerEnvelope1D(f.data() + b * ny, ny, sy, limit, d.data(), e);
        for (std::size_t y = 0; y < ny; ++y) slab[y * nx + x0 + b] = d[y];
      }
    }
  }
}

// Pass along x: contiguous rows.
void PassX(double* g, const Shape3& shape, double sx, double limit) {
  const std::size_t nx = shape.x;
  std::vector<double> f(nx);
  Envelope e(nx);
  const std::size_t rows = shape.y * shape.z;
  for (std::size_t r = 0; r < rows; ++r) {
    double* row = g + r * nx;
    if (std::all_of(row, row + nx, [](double v) { return v == kInf; })) continue;  // stays +inf
    std::copy(row, row + nx, f.begin());
    LowerEnvelope1D(f.data(), nx, sx, limit, row, e);
  }
}

}  // namespace

void SquaredEdtInPlace(double* g, const Shape3& shape, const double spacing[3], double limit) {
  if (shape.count() == 0) return;
  // Order z, y, x: the running total is ((dz*sz)^2 + (dy*sy)^2) + (dx*sx)^2, as scipy sums its
  // axes 0, 1, 2. A pass over an axis of length 1 adds (0 * s)^2 = 0 and is skipped (not for z,
  // whose pass also turns the 0/inf input into squared distances).
  PassZ(g, shape, spacing[2], limit);
  if (shape.y > 1) PassY(g, shape, spacing[1], limit);
  if (shape.x > 1) PassX(g, shape, spacing[0], limit);
}

template <typename T>
void DistanceTransform(const T* mask, const Shape3& shape, const double spacing[3], float* out) {
  const std::size_t n = shape.count();
  std::vector<double> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = mask[i] != T(0) ? 0.0 : kInf;
  SquaredEdtInPlace(g.data(), shape, spacing);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::sqrt(g[i]));
}

#define MEDALS_INSTANTIATE(T) \
  template void DistanceTransform<T>(const T*, const Shape3&, const double[3], float*);
MEDALS_FOR_EACH_DTYPE(MEDALS_INSTANTIATE)
#undef MEDALS_INSTANTIATE

}  // namespace medals
