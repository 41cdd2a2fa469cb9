#include "surface.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "edt.h"
#include "surface_normals.h"

namespace medals {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

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
                       const MaskSelector& select) {
  CodeMaps maps;
  maps.box = UnionBox(MaskBox(gt, shape, select), MaskBox(pred, shape, select));
  if (maps.box.empty) return maps;
  maps.grid = CodeGridShape(maps.box);
  maps.gt.resize(maps.grid.count());
  maps.pred.resize(maps.grid.count());
  NeighbourCodes(gt, shape, select, maps.box, maps.gt.data());
  NeighbourCodes(pred, shape, select, maps.box, maps.pred.data());
  return maps;
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
                                     const MaskSelector& select, const double spacing[3], double tolerance) {
  SurfaceDiceResult result;
  CodeMaps maps = BuildCodeMaps(gt, pred, shape, select);
  if (maps.box.empty) {
    result.nsd = std::numeric_limits<double>::quiet_NaN();
    return result;
  }
  const std::array<double, 256> areas = SurfelAreas(spacing);
  std::vector<double> g(maps.grid.count());
  const std::size_t n = maps.grid.count();

  // Only whether sqrt(d2) <= tolerance matters: squared distances above a bound that every d2
  // with sqrt(d2) <= tolerance stays below may be dropped by the EDT.
  const double limit = tolerance * tolerance * (1.0 + 1e-9);
  auto accumulate = [&](const std::vector<std::uint8_t>& from, const std::vector<std::uint8_t>& to, double& total,
                        double& within, std::uint64_t& count) {
    const bool any = BorderDistances(to, maps.grid, spacing, g, limit);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t code = from[i];
      if (!IsBorderCode(code)) continue;
      const double area = areas[code];
      ++count;
      total += area;
      // The evaluator compares numpy's float64 distance, sqrt of the same sum, with <=.
      if (any && std::sqrt(g[i]) <= tolerance) within += area;
    }
  };
  accumulate(maps.gt, maps.pred, result.gtArea, result.gtAreaWithin, result.gtSurfels);
  accumulate(maps.pred, maps.gt, result.predArea, result.predAreaWithin, result.predSurfels);
  result.nsd = (result.gtAreaWithin + result.predAreaWithin) / (result.gtArea + result.predArea);
  return result;
}

}  // namespace medals
