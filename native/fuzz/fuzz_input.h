// Decodes a libFuzzer input into the parameters and buffers of a kernel call (harnesses only).
// Reads front to back; once the bytes run out every read returns zero, so any input is valid.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "shape.h"

namespace medals_fuzz {

// Harness invariant violated: stop with a crash libFuzzer records (the kernel is wrong, or the
// harness's model of it is).
#define FUZZ_CHECK(cond)   \
  do {                     \
    if (!(cond)) __builtin_trap(); \
  } while (0)

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::size_t left() const { return pos_ < size_ ? size_ - pos_ : 0; }

  std::uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bool() { return (Byte() & 1) != 0; }

  // The next sizeof(T) bytes as a T (zero-padded at the end of the input).
  template <typename T>
  T Raw() {
    unsigned char bytes[sizeof(T)] = {};
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = Byte();
    T value;
    std::memcpy(&value, bytes, sizeof(T));
    return value;
  }

  // Uniform-ish integer in [lo, hi] (hi - lo < 2^32).
  std::uint64_t Range(std::uint64_t lo, std::uint64_t hi) {
    const std::uint64_t span = hi - lo + 1;
    std::uint32_t v = 0;
    if (span <= 0x100) {
      v = Byte();
    } else if (span <= 0x10000) {
      v = Raw<std::uint16_t>();
    } else {
      v = Raw<std::uint32_t>();
    }
    return lo + (span == 0 ? v : v % span);
  }

  // A double in [lo, hi] from 16 bits (always finite).
  double Uniform(double lo, double hi) {
    const double t = static_cast<double>(Raw<std::uint16_t>()) / 65535.0;
    return lo + (hi - lo) * t;
  }

  // Any finite double: raw bits, with non-finite patterns mapped to 0.
  double FiniteDouble() {
    const double d = Raw<double>();
    return std::isfinite(d) ? d : 0.0;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A shape with each axis in [1, maxAxis].
inline medals::Shape3 ReadShape(Input& in, std::size_t maxAxis) {
  medals::Shape3 s;
  s.x = in.Range(1, maxAxis);
  s.y = in.Range(1, maxAxis);
  s.z = in.Range(1, maxAxis);
  return s;
}

// An exact-size heap buffer (so AddressSanitizer flags any access past its end).
template <typename T>
std::unique_ptr<T[]> Buffer(std::size_t n) {
  return std::unique_ptr<T[]>(new T[n == 0 ? 1 : n]());
}

// Fills n voxels with values from a palette of `paletteSize` entries (paletteSize <= 16): either
// 4 bits per voxel (noisy volumes) or run-length (value index, run length) pairs (long runs,
// which the word-at-a-time scans of the kernels take). Voxels past the end of the input get
// palette[0].
template <typename T>
void FillVolume(Input& in, T* out, std::size_t n, const T* palette, std::size_t paletteSize) {
  const bool runs = in.Bool();
  std::size_t i = 0;
  if (runs) {
    while (i < n && !in.empty()) {
      const std::uint8_t b = in.Byte();
      const T v = palette[(b & 0x0f) % paletteSize];
      std::size_t len = static_cast<std::size_t>(b >> 4) + 1;
      if (len == 16) len = in.Range(1, 256);
      for (std::size_t k = 0; k < len && i < n; ++k) out[i++] = v;
    }
  } else {
    while (i < n && !in.empty()) {
      const std::uint8_t b = in.Byte();
      out[i++] = palette[(b & 0x0f) % paletteSize];
      if (i < n) out[i++] = palette[(b >> 4) % paletteSize];
    }
  }
  for (; i < n; ++i) out[i] = palette[0];
}

}  // namespace medals_fuzz

namespace medals_fuzz {

// A palette of `size` values of T: palette[0] is usually 0 (background), the others mostly
// small values (so equal labels meet) and sometimes raw bit patterns (negative, extreme, NaN,
// -0.0 for float).
template <typename T>
void ReadPalette(Input& in, T* palette, std::size_t size) {
  for (std::size_t k = 0; k < size; ++k) {
    const std::uint8_t b = in.Byte();
    if (k == 0 && b < 224) {
      palette[k] = T(0);
    } else if (b < 192) {
      palette[k] = static_cast<T>(b % 4);
    } else {
      palette[k] = in.Raw<T>();
    }
  }
}

}  // namespace medals_fuzz
