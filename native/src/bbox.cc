#include "bbox.h"

#include <cstdint>

namespace medals {

template <typename T>
BoundingBox3 NonzeroBoundingBox(const T* data, const Shape3& shape) {
  return BoundingBoxWhere(data, shape, [](T v) { return v != T(0); });
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
