// Plain C++ description of a 3D voxel grid shared by all kernels (no Node-API here).
#pragma once

#include <cstddef>
#include <cstdint>

namespace medals {

// Grid extent; voxel (x, y, z) lives at index x + X * (y + Y * z) (x fastest).
struct Shape3 {
  std::size_t x = 0;
  std::size_t y = 0;
  std::size_t z = 0;

  std::size_t count() const { return x * y * z; }
  std::size_t index(std::size_t ix, std::size_t iy, std::size_t iz) const { return ix + x * (iy + y * iz); }
};

// Element types the addon accepts, one per JavaScript typed array.
enum class DType { kUint8, kInt16, kUint16, kInt32, kFloat32 };

template <typename T>
struct TypeTag {
  using type = T;
};

// Integer element types: the ones a label map may have (connected components, post-processing).
inline bool IsLabelDType(DType dtype) { return dtype != DType::kFloat32; }

// Calls fn(TypeTag<T>{}) with the integer element type of dtype; the caller checks IsLabelDType.
template <typename Fn>
decltype(auto) DispatchLabelDType(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kInt16:
      return fn(TypeTag<std::int16_t>{});
    case DType::kUint16:
      return fn(TypeTag<std::uint16_t>{});
    case DType::kInt32:
      return fn(TypeTag<std::int32_t>{});
    case DType::kUint8:
    default:
      return fn(TypeTag<std::uint8_t>{});
  }
}

// Calls fn(TypeTag<T>{}) with the C++ element type of dtype; kernels are templates over T.
template <typename Fn>
decltype(auto) DispatchDType(DType dtype, Fn&& fn) {
  if (dtype == DType::kFloat32) return fn(TypeTag<float>{});
  return DispatchLabelDType(dtype, fn);
}

// Instantiates a kernel template once per integer (label) element type.
#define MEDALS_FOR_EACH_LABEL_DTYPE(X) \
  X(std::uint8_t)                      \
  X(std::int16_t)                      \
  X(std::uint16_t)                     \
  X(std::int32_t)

// Instantiates a kernel template once per supported element type (use in the kernel's .cc).
#define MEDALS_FOR_EACH_DTYPE(X) \
  X(std::uint8_t)                \
  X(std::int16_t)                \
  X(std::uint16_t)               \
  X(std::int32_t)                \
  X(float)

}  // namespace medals
