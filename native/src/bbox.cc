#include "bbox.h"

#include <cstdint>

namespace medals {

template <typename T>
BoundingBox3 NonzeroBoundingBox(const T* data, const Shape3& shape) {
  BoundingBox3 box;
  const std::size_t nx = shape.x;
  for (std::size_t z = 0; z < shape.z; ++z) {
    for (std::size_t y = 0; y < shape.y; ++y) {
      const T* row = data + shape.index(0, y, z);
      std::size_t first = 0;
      while (first < nx && !(row[first] != T(0))) ++first;
      if (first == nx) continue;  // empty row
      std::size_t last = nx - 1;
      while (!(row[last] != T(0))) --last;  // stops at `first` at the latest
      if (box.empty) {
        box.empty = false;
        box.min = {first, y, z};
        box.max = {last, y, z};
        continue;
      }
      if (first < box.min[0]) box.min[0] = first;
      if (last > box.max[0]) box.max[0] = last;
      if (y < box.min[1]) box.min[1] = y;
      if (y > box.max[1]) box.max[1] = y;
      box.max[2] = z;  // z only grows; min[2] was set by the first nonzero row
    }
  }
  return box;
}

template <typename T>
std::size_t CountNonzero(const T* data, const Shape3& shape) {
  const std::size_t n = shape.count();
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += (data[i] != T(0)) ? 1 : 0;
  return count;
}

#define MEDALS_INSTANTIATE_BBOX(T)                                           \
  template BoundingBox3 NonzeroBoundingBox<T>(const T*, const Shape3&); \
  template std::size_t CountNonzero<T>(const T*, const Shape3&);
MEDALS_FOR_EACH_DTYPE(MEDALS_INSTANTIATE_BBOX)
#undef MEDALS_INSTANTIATE_BBOX

}  // namespace medals
