// Kernel: stitching sliding-window predictions into one grid (pure C++, no Node-API).
//
// Layout. Everything is in the model's axis order (H, W, D) in C order, d fastest: voxel
// (h, w, d) of a grid (H, W, D) lives at (h * W + w) * D + d. For an x-fastest volume of size
// [X, Y, Z] that grid is (H, W, D) = (Y, X, Z) (Medal S's 'd h w -> h w d' of the numpy
// array), the order the ONNX model takes and returns. A patch of logits is the model output
// (1, N, ph, pw, pd) in C order, i.e. class-major: class c, voxel (h, w, d) at
// ((c * ph + h) * pw + w) * pd + d. The accumulator keeps one float32 volume per class (sums[c],
// the class-major (N, H, W, D) grid split into N separate buffers) and ONE weight volume shared
// by all classes. So one window is, per class and per (h, w), a contiguous run of pd voxels in
// both the patch and the grid.
//
// Arithmetic (float32, identical in the TypeScript oracle, see Sigmoid): per voxel of the
// window, sums[c] += Sigmoid(logit) * g and weights += g, with g the importance map (gaussian.h).
// Finalising: p = sums[c] / weights (0 where the weight is 0: a voxel no window covered).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace medals {

// Extent or position in (H, W, D) order.
struct Hwd {
  std::size_t h = 0, w = 0, d = 0;

  std::size_t count() const { return h * w * d; }
};

// The accumulator: N class volumes and one weight volume, each grid.count() floats.
struct StitchGrid {
  std::vector<float*> sums;
  float* weights = nullptr;
  Hwd grid;
};

// Logits below -64 count as -64 (and above 64 as 64): sigmoid(-64) = 1.6e-28 keeps every
// product with the importance map (>= 6e-8) a normal float32, so no denormal slow path; it
// changes no probability by more than 2e-28. sigmoid(x) for x >= 17 is 1 in float32 anyway.
constexpr float kSigmoidMinLogit = -64.0f;
constexpr float kSigmoidMaxLogit = 64.0f;

// 1 / (1 + e) with e = exp(-x) from a Cephes-style expf (range reduction by ln 2 in two parts,
// degree-5 polynomial, scaling by 2^n through the exponent bits), every step one float32
// operation, so the TypeScript oracle reproduces it bit for bit. Relative error ~2e-7. NaN stays
// NaN. The vectorised row loop computes exactly the same.
float Sigmoid(float x);

// float16 bits -> float32 (exact: subnormals, infinities and NaN included).
float HalfToFloat(std::uint16_t bits);

// Adds one window at `offset`: logits (N, ph, pw, pd) float32 or float16 bits, g (ph, pw, pd).
// The caller has checked N == sums.size(), offset + patch <= grid on every axis and all
// lengths. threads: how many threads share the window's h planes (>= 1).
void StitchAdd(const StitchGrid& target, const float* logits, const Hwd& patch, const float* g, const Hwd& offset,
               unsigned threads);
void StitchAdd(const StitchGrid& target, const std::uint16_t* logits, const Hwd& patch, const float* g,
               const Hwd& offset, unsigned threads);

// Per voxel: p_c = sums[c] / weights (0 where weights is 0); the first c with the highest p_c
// (NaN never wins; ties go to the lower class index, as numpy's argmax); labels = values[c]
// when p_c >= threshold (compared as doubles), else 0; maxProbability = that p_c (may be
// nullptr). writeProbabilities: store p_c into sums[c] (in place). L: uint8, int16, uint16 or
// int32; the caller has checked that every value fits L.
template <typename L>
void StitchFinalize(const StitchGrid& target, const std::int32_t* values, double threshold, bool writeProbabilities,
                    L* labels, float* maxProbability, unsigned threads);

// The instruction set of the vector loops in use: "avx512f", "avx2" or "base" (SSE2 on x86-64,
// NEON on arm64, scalar without GCC/Clang vector extensions). MEDALS_STITCH_ISA=base or avx2 in
// the environment caps it; every path gives the same numbers.
const char* StitchInstructionSet();

// Threads to use when the caller asks for 0 (auto): the hardware's, at most 8.
unsigned DefaultStitchThreads();

}  // namespace medals
