#include "surface.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "edt.h"
#include "surface_normals.h"

namespace medals {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ComputeSurfaceDice looks for near border points with a stencil when (offsets x border points)
// stays below this many lookups per grid point; otherwise it runs the distance transform (three
// passes over a double per grid point, for each mask).
constexpr double kStencilWorkPerGridPoint = 8.0;

template <typename T>
struct OnTest {
  MaskSelector select;
  bool operator()(T v) const {
    return select.byLabel ? static_cast<double>(v) == select.label : v != T(0);
  }
};

// Writes 1 at grid point (x, y, z) for each on voxel box.min + (x, y, z), 0 elsewhere.
template <typename T>
void FillGrid(const T* data, const Shape3& shape, const MaskSelector& select, const Box3& box, const Shape3& grid,
              std::uint8_t* out) {
  const OnTest<T> on{select};
  std::fill(out, out + grid.count(), std::uint8_t{0});
  const std::size_t width = box.max[0] - box.min[0] + 1;
  for (std::size_t z = box.min[2]; z <= box.max[2]; ++z) {
    for (std::size_t y = box.min[1]; y <= box.max[1]; ++y) {
      const T* row = data + shape.index(box.min[0], y, z);
      std::uint8_t* dst = out + grid.index(0, y - box.min[1], z - box.min[2]);
      for (std::size_t x = 0; x < width; ++x) dst[x] = on(row[x]) ? 1 : 0;
    }
  }
}

// 0/1 grid -> neighbour codes, in place: the code at i reads only i and lower indices, so a
// backward sweep never reads a value it has already replaced.
void CodesInPlace(std::uint8_t* m, const Shape3& grid) {
  const std::size_t gx = grid.x, plane = grid.x * grid.y;
  for (std::size_t z = grid.z; z-- > 0;) {
    for (std::size_t y = grid.y; y-- > 0;) {
      std::uint8_t* row = m + grid.index(0, y, z);
      const std::uint8_t* rowY = y > 0 ? row - gx : nullptr;                    // (z, y-1)
      const std::uint8_t* rowZ = z > 0 ? row - plane : nullptr;                 // (z-1, y)
      const std::uint8_t* rowZY = (z > 0 && y > 0) ? row - plane - gx : nullptr;  // (z-1, y-1)
      for (std::size_t x = gx; x-- > 0;) {
        unsigned code = row[x];
        if (x > 0) code |= static_cast<unsigned>(row[x - 1]) << 1;
        if (rowY) {
          code |= static_cast<unsigned>(rowY[x]) << 2;
          if (x > 0) code |= static_cast<unsigned>(rowY[x - 1]) << 3;
        }
        if (rowZ) {
          code |= static_cast<unsigned>(rowZ[x]) << 4;
          if (x > 0) code |= static_cast<unsigned>(rowZ[x - 1]) << 5;
        }
        if (rowZY) {
          code |= static_cast<unsigned>(rowZY[x]) << 6;
          if (x > 0) code |= static_cast<unsigned>(rowZY[x - 1]) << 7;
        }
        row[x] = static_cast<std::uint8_t>(code);
      }
    }
  }
}

// Squared distance map (mm^2) to the border points of `codes` (exact up to limit, see
// SquaredEdtInPlace); false when there is none.
bool BorderDistances(const std::vector<std::uint8_t>& codes, const Shape3& grid, const double spacing[3],
                     std::vector<double>& g, double limit = kInf) {
  const std::size_t n = grid.count();
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    const bool border = IsBorderCode(codes[i]);
    any = any || border;
    g[i] = border ? 0.0 : kInf;
  }
  if (any) SquaredEdtInPlace(g.data(), grid, spacing, limit);
  return any;
}

struct CodeMaps {
  Box3 box;
  Shape3 grid;
  std::vector<std::uint8_t> gt, pred;
};

CodeMaps BuildCodeMaps(const MaskSource& gt, const MaskSource& pred, const Shape3& shape,
                       const MaskSelector& select, const Box3* box = nullptr) {
  CodeMaps maps;
  maps.box = box != nullptr ? *box : UnionBox(MaskBox(gt, shape, select), MaskBox(pred, shape, select));
  if (maps.box.empty) return maps;
  maps.grid = CodeGridShape(maps.box);
  maps.gt.resize(maps.grid.count());
  maps.pred.resize(maps.grid.count());
  NeighbourCodes(gt, shape, select, maps.box, maps.gt.data());
  NeighbourCodes(pred, shape, select, maps.box, maps.pred.data());
  return maps;
}

// The grid offsets whose distance from the origin is within a tolerance, nearest first; the
// squared distance is the EDT's expression for a feature that far: ((dz sz)^2 + (dy sy)^2) +
// (dx sx)^2 (SquaredEdtInPlace adds the axes in that order), and "within" is the evaluator's
// test sqrt(d2) <= tolerance. So a border point is within the tolerance of the other surface
// exactly when one of these offsets from it lands on a border point of the other.
struct Stencil {
  struct Offset {
    std::ptrdiff_t dx, dy, dz;
    double d2;
  };
  std::vector<Offset> offsets;
  std::ptrdiff_t reach[3] = {0, 0, 0};  // largest |dx|, |dy|, |dz| among the offsets
};

// Per axis, the offsets worth enumerating: up to floor(tolerance / s) + 1 voxels (one more than
// the exact bound, for rounding; each offset is then tested exactly), and never beyond the grid.
std::ptrdiff_t StencilReach(double tolerance, double s, std::size_t extent) {
  const double r = std::floor(tolerance / s) + 1.0;
  const double most = static_cast<double>(extent) - 1.0;
  return static_cast<std::ptrdiff_t>(r < most ? r : most);
}

// Offsets the stencil would test for `tolerance` on `grid` (an upper bound, before the test).
double StencilBound(const Shape3& grid, const double spacing[3], double tolerance) {
  double n = 1.0;
  const std::size_t extents[3] = {grid.x, grid.y, grid.z};
  for (int a = 0; a < 3; ++a) n *= 2.0 * static_cast<double>(StencilReach(tolerance, spacing[a], extents[a])) + 1.0;
  return n;
}

Stencil BuildStencil(const Shape3& grid, const double spacing[3], double tolerance) {
  Stencil stencil;
  const std::ptrdiff_t rx = StencilReach(tolerance, spacing[0], grid.x);
  const std::ptrdiff_t ry = StencilReach(tolerance, spacing[1], grid.y);
  const std::ptrdiff_t rz = StencilReach(tolerance, spacing[2], grid.z);
  for (std::ptrdiff_t dz = -rz; dz <= rz; ++dz) {
    const double ez = static_cast<double>(dz) * spacing[2];
    const double z2 = ez * ez;
    for (std::ptrdiff_t dy = -ry; dy <= ry; ++dy) {
      const double ey = static_cast<double>(dy) * spacing[1];
      const double yz2 = ey * ey + z2;
      for (std::ptrdiff_t dx = -rx; dx <= rx; ++dx) {
        const double ex = static_cast<double>(dx) * spacing[0];
        const double d2 = ex * ex + yz2;
        if (!(std::sqrt(d2) <= tolerance)) continue;
        stencil.offsets.push_back({dx, dy, dz, d2});
        stencil.reach[0] = std::max(stencil.reach[0], dx < 0 ? -dx : dx);
        stencil.reach[1] = std::max(stencil.reach[1], dy < 0 ? -dy : dy);
        stencil.reach[2] = std::max(stencil.reach[2], dz < 0 ? -dz : dz);
      }
    }
  }
  std::stable_sort(stencil.offsets.begin(), stencil.offsets.end(),
                   [](const Stencil::Offset& a, const Stencil::Offset& b) { return a.d2 < b.d2; });
  return stencil;
}

// Whether a border point of `to` lies within the stencil around grid point (x, y, z).
bool NearBorder(const std::vector<std::uint8_t>& to, const Shape3& grid, const Stencil& stencil,
                const std::vector<std::ptrdiff_t>& steps, std::size_t x, std::size_t y, std::size_t z) {
  const std::size_t i = grid.index(x, y, z);
  const auto px = static_cast<std::ptrdiff_t>(x), py = static_cast<std::ptrdiff_t>(y),
             pz = static_cast<std::ptrdiff_t>(z);
  const bool inside = px >= stencil.reach[0] && py >= stencil.reach[1] && pz >= stencil.reach[2] &&
                      px + stencil.reach[0] < static_cast<std::ptrdiff_t>(grid.x) &&
                      py + stencil.reach[1] < static_cast<std::ptrdiff_t>(grid.y) &&
                      pz + stencil.reach[2] < static_cast<std::ptrdiff_t>(grid.z);
  const std::uint8_t* base = to.data() + i;
  if (inside) {
    for (const std::ptrdiff_t step : steps)
      if (IsBorderCode(base[step])) return true;
    return false;
  }
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const Stencil::Offset& o = stencil.offsets[k];
    const std::ptrdiff_t qx = px + o.dx, qy = py + o.dy, qz = pz + o.dz;
    if (qx < 0 || qy < 0 || qz < 0 || qx >= static_cast<std::ptrdiff_t>(grid.x) ||
        qy >= static_cast<std::ptrdiff_t>(grid.y) || qz >= static_cast<std::ptrdiff_t>(grid.z))
      continue;
    if (IsBorderCode(base[steps[k]])) return true;
  }
  return false;
}

}  // namespace

Box3 MaskBox(const MaskSource& mask, const Shape3& shape, const MaskSelector& select) {
  return DispatchDType(mask.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return BoundingBoxWhere(static_cast<const T*>(mask.data), shape, OnTest<T>{select});
  });
}

Box3 UnionBox(const Box3& a, const Box3& b) {
  if (a.empty) return b;
  if (b.empty) return a;
  Box3 box;
  box.empty = false;
  for (int i = 0; i < 3; ++i) {
    box.min[i] = std::min(a.min[i], b.min[i]);
    box.max[i] = std::max(a.max[i], b.max[i]);
  }
  return box;
}

Shape3 CodeGridShape(const Box3& box) {
  Shape3 grid;
  grid.x = box.max[0] - box.min[0] + 2;
  grid.y = box.max[1] - box.min[1] + 2;
  grid.z = box.max[2] - box.min[2] + 2;
  return grid;
}

void NeighbourCodes(const MaskSource& mask, const Shape3& shape, const MaskSelector& select, const Box3& box,
                    std::uint8_t* codes) {
  const Shape3 grid = CodeGridShape(box);
  DispatchDType(mask.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    FillGrid(static_cast<const T*>(mask.data), shape, select, box, grid, codes);
  });
  CodesInPlace(codes, grid);
}

std::array<double, 256> SurfelAreas(const double spacing[3]) {
  // numpy order (s0, s1, s2) = (sz, sy, sx)
  const double s0 = spacing[2], s1 = spacing[1], s2 = spacing[0];
  std::array<double, 256> areas{};
  for (std::size_t code = 0; code < 256; ++code) {
    const SurfelNormals& entry = kSurfelNormals[code];
    double sum = 0.0;
    for (int k = 0; k < entry.count; ++k) {
      const double a = entry.normal[k][0] * s1 * s2;
      const double b = entry.normal[k][1] * s0 * s2;
      const double c = entry.normal[k][2] * s0 * s1;
      sum += std::sqrt(a * a + b * b + c * c);
    }
    areas[code] = sum;
  }
  return areas;
}

SurfaceDistances ComputeSurfaceDistances(const MaskSource& gt, const MaskSource& pred, const Shape3& shape,
                                         const MaskSelector& select, const double spacing[3]) {
  SurfaceDistances result;
  CodeMaps maps = BuildCodeMaps(gt, pred, shape, select);
  result.box = maps.box;
  if (maps.box.empty) return result;
  const std::array<double, 256> areas = SurfelAreas(spacing);
  std::vector<double> g(maps.grid.count());
  const std::size_t n = maps.grid.count();

  auto collect = [&](const std::vector<std::uint8_t>& from, const std::vector<std::uint8_t>& to,
                     std::vector<double>& distances, std::vector<double>& surfelAreas) {
    const bool any = BorderDistances(to, maps.grid, spacing, g);
    for (std::size_t i = 0; i < n; ++i) {
      if (!IsBorderCode(from[i])) continue;
      distances.push_back(any ? std::sqrt(g[i]) : kInf);
      surfelAreas.push_back(areas[from[i]]);
    }
  };
  collect(maps.gt, maps.pred, result.distancesGtToPred, result.areasGt);
  collect(maps.pred, maps.gt, result.distancesPredToGt, result.areasPred);
  return result;
}

SurfaceDiceResult ComputeSurfaceDice(const MaskSource& gt, const MaskSource& pred, const Shape3& shape,
                                     const MaskSelector& select, const double spacing[3], double tolerance,
                                     const Box3* box) {
  SurfaceDiceResult result;
  CodeMaps maps = BuildCodeMaps(gt, pred, shape, select, box);
  if (maps.box.empty) {
    result.nsd = std::numeric_limits<double>::quiet_NaN();
    return result;
  }
  const std::array<double, 256> areas = SurfelAreas(spacing);
  const std::size_t n = maps.grid.count();
  std::uint64_t borders = 0;
  for (std::size_t i = 0; i < n; ++i) borders += (IsBorderCode(maps.gt[i]) ? 1 : 0) + (IsBorderCode(maps.pred[i]) ? 1 : 0);

  // Within the tolerance or not is all that counts. Two exact ways to tell: look for a border
  // point of the other mask among the offsets within the tolerance (Stencil), or the distance
  // map of the other mask's border points (EDT, squared distances above a bound that every d2
  // with sqrt(d2) <= tolerance stays below dropped). The stencil is far cheaper when its offsets
  // times the border points stay below a few passes over the grid (small tolerances, the usual
  // 2 mm); the choice does not change the result.
  const double budget = kStencilWorkPerGridPoint * static_cast<double>(n);
  Stencil stencil;
  bool useStencil = false;
  if (StencilBound(maps.grid, spacing, tolerance) * static_cast<double>(borders) <= 4.0 * budget) {
    stencil = BuildStencil(maps.grid, spacing, tolerance);
    useStencil = static_cast<double>(stencil.offsets.size()) * static_cast<double>(borders) <= budget;
  }
  std::vector<std::ptrdiff_t> steps;
  std::vector<double> g;
  if (useStencil) {
    const auto gx = static_cast<std::ptrdiff_t>(maps.grid.x), gxy = gx * static_cast<std::ptrdiff_t>(maps.grid.y);
    for (const Stencil::Offset& o : stencil.offsets) steps.push_back(o.dx + gx * o.dy + gxy * o.dz);
  } else {
    g.resize(n);
  }
  const double limit = tolerance * tolerance * (1.0 + 1e-9);
  auto accumulate = [&](const std::vector<std::uint8_t>& from, const std::vector<std::uint8_t>& to, double& total,
                        double& within, std::uint64_t& count) {
    const bool any = useStencil || BorderDistances(to, maps.grid, spacing, g, limit);
    std::size_t i = 0;
    for (std::size_t z = 0; z < maps.grid.z; ++z) {
      for (std::size_t y = 0; y < maps.grid.y; ++y) {
        for (std::size_t x = 0; x < maps.grid.x; ++x, ++i) {
          const std::uint8_t code = from[i];
          if (!IsBorderCode(code)) continue;
          const double area = areas[code];
          ++count;
          total += area;
          // The evaluator compares numpy's float64 distance, sqrt of the same sum, with <=.
          const bool near = useStencil ? NearBorder(to, maps.grid, stencil, steps, x, y, z)
                                       : any && std::sqrt(g[i]) <= tolerance;
          if (near) within += area;
        }
      }
    }
  };
  accumulate(maps.gt, maps.pred, result.gtArea, result.gtAreaWithin, result.gtSurfels);
  accumulate(maps.pred, maps.gt, result.predArea, result.predAreaWithin, result.predSurfels);
  result.nsd = (result.gtAreaWithin + result.predAreaWithin) / (result.gtArea + result.predArea);
  return result;
}

}  // namespace medals
