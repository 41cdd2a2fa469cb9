#include "label_overlap.h"

#include <cstring>

namespace medals {
namespace {

// Bounds of the non-zero values of one map while the rows are visited in raster order: x per
// voxel, y and z once per row a value appears in (z only grows).
struct BoxTracker {
  std::array<std::uint32_t, 256> minX, maxX, minY, maxY, minZ, maxZ;
  std::array<std::uint64_t, 256> lastRow;  // row index + 1 where the value was last seen, 0: never
  BoxTracker() {
    minX.fill(UINT32_MAX);
    minY.fill(UINT32_MAX);
    maxX.fill(0);
    maxY.fill(0);
    minZ.fill(0);
    maxZ.fill(0);
    lastRow.fill(0);
  }

  void Add(std::uint8_t v, std::uint32_t x, std::uint32_t y, std::uint32_t z, std::uint64_t row) {
    if (x < minX[v]) minX[v] = x;
    if (x > maxX[v]) maxX[v] = x;
    if (lastRow[v] == row) return;
    if (lastRow[v] == 0) minZ[v] = z;
    lastRow[v] = row;
    if (y < minY[v]) minY[v] = y;
    if (y > maxY[v]) maxY[v] = y;
    maxZ[v] = z;
  }

  void Write(std::array<BoundingBox3, 256>& boxes) const {
    for (std::size_t v = 1; v < 256; ++v) {
      if (lastRow[v] == 0) continue;
      boxes[v].empty = false;
      boxes[v].min = {minX[v], minY[v], minZ[v]};
      boxes[v].max = {maxX[v], maxY[v], maxZ[v]};
    }
  }
};

}  // namespace

LabelOverlap ComputeLabelOverlap(const std::uint8_t* gt, const std::uint8_t* pred, const Shape3& shape) {
  LabelOverlap result;
  BoxTracker gtBoxes, predBoxes;
  std::uint64_t zeroWords = 0;  // 8-voxel words where both maps are all background
  const std::size_t nx = shape.x;
  std::uint64_t row = 0;
  for (std::size_t z = 0; z < shape.z; ++z) {
    for (std::size_t y = 0; y < shape.y; ++y) {
      ++row;
      const std::size_t start = shape.index(0, y, z);
      const std::uint8_t* g = gt + start;
      const std::uint8_t* p = pred + start;
      std::size_t x = 0;
      while (x < nx) {
        if (x + 8 <= nx) {
          std::uint64_t a, b;
          std::memcpy(&a, g + x, 8);
          std::memcpy(&b, p + x, 8);
          if ((a | b) == 0) {
            ++zeroWords;
            x += 8;
            continue;
          }
        }
        const std::size_t end = x + 8 <= nx ? x + 8 : nx;
        for (; x < end; ++x) {
          const std::uint8_t u = g[x], v = p[x];
          ++result.gt[u];
          ++result.pred[v];
          if (u == v) ++result.same[u];
          const auto xx = static_cast<std::uint32_t>(x), yy = static_cast<std::uint32_t>(y),
                     zz = static_cast<std::uint32_t>(z);
          if (u != 0) gtBoxes.Add(u, xx, yy, zz, row);
          if (v != 0) predBoxes.Add(v, xx, yy, zz, row);
        }
      }
    }
  }
  result.gt[0] += 8 * zeroWords;
  result.pred[0] += 8 * zeroWords;
  result.same[0] += 8 * zeroWords;
  gtBoxes.Write(result.gtBox);
  predBoxes.Write(result.predBox);
  return result;
}

}  // namespace medals
