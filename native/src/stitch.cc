#include "stitch.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <exception>
#include <limits>
#include <thread>
#include <type_traits>

// GCC and Clang vector extensions: the same IEEE operations on every lane as the scalar code,
// so the result does not depend on the path taken. This file is compiled with
// -ffp-contract=off (CMakeLists.txt): a fused multiply-add would round differently from the
// TypeScript oracle.
#if defined(__GNUC__) || defined(__clang__)
#define MEDALS_STITCH_VECTOR 1
#define MEDALS_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MEDALS_STITCH_VECTOR 0
#define MEDALS_ALWAYS_INLINE inline
#endif

// On x86-64 the hot loops exist three times, for AVX-512F (16 lanes), AVX2 (8 lanes) and the
// SSE2 baseline (4 lanes), and the CPU picks one at run time (see Isa()). The build stays
// portable: no -march flag, the baseline runs anywhere. Elsewhere (arm64: NEON) 4 lanes.
#if MEDALS_STITCH_VECTOR && (defined(__x86_64__) || defined(__i386__))
#define MEDALS_STITCH_X86 1
#else
#define MEDALS_STITCH_X86 0
#endif

namespace medals {
namespace {

// Cephes expf constants as float32 (hex literals: no decimal rounding question). The oracle
// uses the same bit patterns (test/oracles/stitch.ts).
constexpr float kLog2e = 0x1.715476p+0f;    // 1.44269504...  (0x3fb8aa3b)
constexpr float kRound = 0x1.8p+23f;        // 1.5 * 2^23: (k + kRound) - kRound rounds k to an integer
constexpr float kLn2Hi = 0x1.63p-1f;        // 0.693359375    (0x3f318000)
constexpr float kLn2Lo = -0x1.bd0106p-13f;  // -2.12194440e-4 (0xb95e8083)
constexpr float kP0 = 0x1.a0d2cep-13f;      // 1.9875691500e-4 (0x39506967)
constexpr float kP1 = 0x1.6e879cp-10f;      // 1.3981999507e-3 (0x3ab743ce)
constexpr float kP2 = 0x1.111210p-7f;       // 8.3334519073e-3 (0x3c088908)
constexpr float kP3 = 0x1.555382p-5f;       // 4.1665795894e-2 (0x3d2aa9c1)
constexpr float kP4 = 0x1.555554p-3f;       // 1.6666665459e-1 (0x3e2aaaaa)
constexpr float kP5 = 0x1.0p-1f;            // 5.0000001201e-1 rounds to 0.5

// Voxels per block in StitchFinalize.
constexpr std::size_t kFinalizeBlock = 512;

#if MEDALS_STITCH_VECTOR
template <std::size_t Bytes>
struct Vec {
  static constexpr std::size_t kLanes = Bytes / sizeof(float);
  typedef float F __attribute__((vector_size(Bytes)));
  typedef std::int32_t I __attribute__((vector_size(Bytes)));
  typedef std::uint32_t U __attribute__((vector_size(Bytes)));
};
#endif

// One h plane of a window for one class: rows w = 0 .. pw - 1 of pd voxels,
// sums[w * stride + i] += Sigmoid(logits[w * pd + i]) * g[w * pd + i], Bytes / 4 lanes at a time.
// Always inlined into a function compiled for the target, and no vector crosses a call.
template <std::size_t Bytes>
MEDALS_ALWAYS_INLINE void AccumulatePlaneBody(float* sums, std::size_t stride, const float* logits, const float* g,
                                              std::size_t pw, std::size_t pd) {
  for (std::size_t w = 0; w < pw; ++w) {
    float* s = sums + w * stride;
    const float* l = logits + w * pd;
    const float* gw = g + w * pd;
    std::size_t i = 0;
#if MEDALS_STITCH_VECTOR
    using VF = typename Vec<Bytes>::F;
    using VI = typename Vec<Bytes>::I;
    using VU = typename Vec<Bytes>::U;
    const VF one = VF{} + 1.0f;
    const VF lo = VF{} - kSigmoidMaxLogit;
    const VF hi = VF{} - kSigmoidMinLogit;
    for (; i + Vec<Bytes>::kLanes <= pd; i += Vec<Bytes>::kLanes) {
      VF x, gv, acc;  // unaligned loads, by memcpy
      std::memcpy(&x, l + i, sizeof x);
      std::memcpy(&gv, gw + i, sizeof gv);
      std::memcpy(&acc, s + i, sizeof acc);
      // The same operations, in the same order, as Sigmoid() below.
      VF t = -x;
      t = t < lo ? lo : t;  // NaN compares false and stays NaN
      t = t > hi ? hi : t;
      const VF k = t * kLog2e;
      const VF n = (k + kRound) - kRound;
      VF r = t - n * kLn2Hi;
      r = r - n * kLn2Lo;
      const VF z = r * r;
      VF p = VF{} + kP0;
      p = p * r + kP1;
      p = p * r + kP2;
      p = p * r + kP3;
      p = p * r + kP4;
      p = p * r + kP5;
      VF e = p * z + r + 1.0f;
      // 2^n from the exponent bits: |n| <= 93, a normal float. A NaN lane gets some finite
      // scale, and e is NaN there anyway.
      const VU bits = (reinterpret_cast<VU>(__builtin_convertvector(n, VI)) + 127u) << 23;
      e = e * reinterpret_cast<VF>(bits);
      acc = acc + (one / (one + e)) * gv;
      std::memcpy(s + i, &acc, sizeof acc);
    }
#endif
    for (; i < pd; ++i) s[i] += Sigmoid(l[i]) * gw[i];
  }
}

// The importance rows of one plane added to the weight volume.
MEDALS_ALWAYS_INLINE void AddPlaneBody(float* weights, std::size_t stride, const float* g, std::size_t pw,
                                       std::size_t pd) {
  for (std::size_t w = 0; w < pw; ++w) {
    float* out = weights + w * stride;
    const float* in = g + w * pd;
    for (std::size_t i = 0; i < pd; ++i) out[i] += in[i];
  }
}

// float16 bits -> float32 for a row, Bytes / 4 lanes at a time; the same values as HalfToFloat.
template <std::size_t Bytes>
MEDALS_ALWAYS_INLINE void HalfRowBody(const std::uint16_t* in, float* out, std::size_t n) {
  std::size_t i = 0;
#if MEDALS_STITCH_VECTOR
  using VF = typename Vec<Bytes>::F;
  using VI = typename Vec<Bytes>::I;
  using VU = typename Vec<Bytes>::U;
  typedef std::uint16_t VH __attribute__((vector_size(Bytes / 2)));
  for (; i + Vec<Bytes>::kLanes <= n; i += Vec<Bytes>::kLanes) {
    VH h;
    std::memcpy(&h, in + i, sizeof h);
    const VU u = __builtin_convertvector(h, VU);
    const VU sign = (u & 0x8000u) << 16;
    const VU em = u & 0x7fffu;
    // normal: rebias the exponent (15 -> 127); subnormal: em * 2^-24 exactly; inf/NaN: all ones.
    const VU normal = (em << 13) + 0x38000000u;
    const VF subnormal = __builtin_convertvector(reinterpret_cast<VI>(em), VF) * 0x1p-24f;
    const VU special = (em << 13) | 0x7f800000u;
    VU bits = em < 0x0400u ? reinterpret_cast<VU>(subnormal) : normal;
    bits = em >= 0x7c00u ? special : bits;
    bits = bits | sign;
    std::memcpy(out + i, &bits, sizeof bits);
  }
#endif
  for (; i < n; ++i) out[i] = HalfToFloat(in[i]);
}

// One class of a block in StitchFinalize: p = s / w (0 where w is 0), optionally stored back,
// and the running best: a class takes over when p > best, or when best is NaN (so NaN never
// wins over a number; when every p is NaN the label is 0 whatever the index). Bytes / 4 lanes at
// a time.
template <std::size_t Bytes, bool Write>
MEDALS_ALWAYS_INLINE void FinalizeClassBody(float* s, const float* w, float* best, std::int32_t* arg, std::int32_t c,
                                            std::size_t n) {
  std::size_t i = 0;
#if MEDALS_STITCH_VECTOR
  using VF = typename Vec<Bytes>::F;
  using VI = typename Vec<Bytes>::I;
  const VF one = VF{} + 1.0f;
  const VI cv = VI{} + c;
  for (; i + Vec<Bytes>::kLanes <= n; i += Vec<Bytes>::kLanes) {
    VF wi, si, b;  // unaligned loads, by memcpy
    VI a;
    std::memcpy(&wi, w + i, sizeof wi);
    std::memcpy(&si, s + i, sizeof si);
    std::memcpy(&b, best + i, sizeof b);
    std::memcpy(&a, arg + i, sizeof a);
    const VI covered = wi > 0.0f;
    VF p = si / (covered ? wi : one);
    p = covered ? p : VF{};
    if (Write) std::memcpy(s + i, &p, sizeof p);
    // Same rule as the scalar tail: p > best, or best still NaN (so -infinity replaces a NaN
    // best too). Two selects per value instead of OR-ing the masks, which AVX-512F alone would
    // do lane by lane.
    const VI unset = b != b;
    const VI greater = p > b;
    a = greater ? cv : a;
    a = unset ? cv : a;
    b = greater ? p : b;
    b = unset ? p : b;
    std::memcpy(best + i, &b, sizeof b);
    std::memcpy(arg + i, &a, sizeof a);
  }
#endif
  for (; i < n; ++i) {
    const float wi = w[i];
    const bool covered = wi > 0.0f;
    float p = s[i] / (covered ? wi : 1.0f);
    p = covered ? p : 0.0f;
    if (Write) s[i] = p;
    const float b = best[i];
    if (p > b || b != b) {
      best[i] = p;
      arg[i] = c;
    }
  }
}

template <std::size_t Bytes>
MEDALS_ALWAYS_INLINE void FinalizeClassDispatch(float* s, bool write, const float* w, float* best, std::int32_t* arg,
                                                std::int32_t c, std::size_t n) {
  if (write) {
    FinalizeClassBody<Bytes, true>(s, w, best, arg, c, n);
  } else {
    FinalizeClassBody<Bytes, false>(s, w, best, arg, c, n);
  }
}

// The three loops for one instruction set.
struct Kernels {
  void (*accumulatePlane)(float*, std::size_t, const float*, const float*, std::size_t, std::size_t);
  void (*addPlane)(float*, std::size_t, const float*, std::size_t, std::size_t);
  void (*halfRow)(const std::uint16_t*, float*, std::size_t);
  void (*finalizeClass)(float*, bool, const float*, float*, std::int32_t*, std::int32_t, std::size_t);
  const char* name;
};

#define MEDALS_STITCH_KERNELS(SUFFIX, ATTRIBUTE, BYTES)                                                          \
  ATTRIBUTE void AccumulatePlane##SUFFIX(float* s, std::size_t stride, const float* l, const float* g,             \
                                         std::size_t pw, std::size_t pd) {                                       \
    AccumulatePlaneBody<BYTES>(s, stride, l, g, pw, pd);                                                          \
  }                                                                                                              \
  ATTRIBUTE void AddPlane##SUFFIX(float* w, std::size_t stride, const float* g, std::size_t pw, std::size_t pd) { \
    AddPlaneBody(w, stride, g, pw, pd);                                                                          \
  }                                                                                                              \
  ATTRIBUTE void HalfRow##SUFFIX(const std::uint16_t* in, float* out, std::size_t n) {                         \
    HalfRowBody<BYTES>(in, out, n);                                                                              \
  }                                                                                                              \
  ATTRIBUTE void FinalizeClass##SUFFIX(float* s, bool write, const float* w, float* best, std::int32_t* arg,      \
                                       std::int32_t c, std::size_t n) {                                         \
    FinalizeClassDispatch<BYTES>(s, write, w, best, arg, c, n);                                                       \
  }

MEDALS_STITCH_KERNELS(Base, , 16)
#if MEDALS_STITCH_X86
MEDALS_STITCH_KERNELS(Avx2, __attribute__((target("avx2"))), 32)
MEDALS_STITCH_KERNELS(Avx512, __attribute__((target("avx512f"))), 64)
#endif
#undef MEDALS_STITCH_KERNELS

// The widest instruction set the CPU (and OS) supports, once per process. MEDALS_STITCH_ISA=base
// or avx2 in the environment caps it (tests run every path; the results are identical).
const Kernels& ActiveKernels() {
  static const Kernels kernels = [] {
    const Kernels base{AccumulatePlaneBase, AddPlaneBase, HalfRowBase, FinalizeClassBase, "base"};
#if MEDALS_STITCH_X86
    const char* cap = std::getenv("MEDALS_STITCH_ISA");
    const std::string limit = cap == nullptr ? "" : cap;
    __builtin_cpu_init();
    if (limit != "base" && limit != "avx2" && __builtin_cpu_supports("avx512f")) {
      return Kernels{AccumulatePlaneAvx512, AddPlaneAvx512, HalfRowAvx512, FinalizeClassAvx512, "avx512f"};
    }
    if (limit != "base" && __builtin_cpu_supports("avx2")) {
      return Kernels{AccumulatePlaneAvx2, AddPlaneAvx2, HalfRowAvx2, FinalizeClassAvx2, "avx2"};
    }
#endif
    return base;
  }();
  return kernels;
}

// Runs f(begin, end) over [0, n) split into `threads` contiguous ranges, one per thread (the
// calling thread takes the first). Exceptions are rethrown after every thread has joined.
template <typename F>
void ParallelRanges(std::size_t n, unsigned threads, const F& f) {
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, n));
  if (parts == 1) {
    f(std::size_t{0}, n);
    return;
  }
  const auto bound = [&](std::size_t t) { return n * t / parts; };
  std::vector<std::exception_ptr> errors(parts);
  std::vector<std::thread> pool;
  pool.reserve(parts - 1);
  std::size_t spawned = 1;
  for (; spawned < parts; ++spawned) {
    try {
      pool.emplace_back([&, spawned] {
        try {
          f(bound(spawned), bound(spawned + 1));
        } catch (...) {
          errors[spawned] = std::current_exception();
        }
      });
    } catch (...) {
      break;  // no more threads to be had: the calling thread does the rest
    }
  }
  try {
    f(bound(0), bound(1));
    for (std::size_t t = spawned; t < parts; ++t) f(bound(t), bound(t + 1));
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (std::thread& thread : pool) thread.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

template <typename T>
void StitchAddImpl(const StitchGrid& target, const T* logits, const Hwd& patch, const float* g, const Hwd& offset,
                   unsigned threads) {
  const Hwd& grid = target.grid;
  const std::size_t classes = target.sums.size();
  const std::size_t plane = patch.w * patch.d;
  const std::size_t patchVoxels = patch.count();
  const Kernels& k = ActiveKernels();
  ParallelRanges(patch.h, threads, [&](std::size_t h0, std::size_t h1) {
    std::vector<float> row(std::is_same<T, float>::value ? 0 : patch.d);
    for (std::size_t h = h0; h < h1; ++h) {
      const float* gPlane = g + h * plane;
      const std::size_t gridRow0 = ((offset.h + h) * grid.w + offset.w) * grid.d + offset.d;
      k.addPlane(target.weights + gridRow0, grid.d, gPlane, patch.w, patch.d);
      // Class by class over the plane: two streams (logits in, sums in and out) while the
      // importance plane (pw * pd floats) stays in cache.
      for (std::size_t c = 0; c < classes; ++c) {
        const T* lPlane = logits + c * patchVoxels + h * plane;
        float* sPlane = target.sums[c] + gridRow0;
        if constexpr (std::is_same<T, float>::value) {
          k.accumulatePlane(sPlane, grid.d, lPlane, gPlane, patch.w, patch.d);
        } else {
          for (std::size_t w = 0; w < patch.w; ++w) {
            k.halfRow(lPlane + w * patch.d, row.data(), patch.d);
            k.accumulatePlane(sPlane + w * grid.d, 0, row.data(), gPlane + w * patch.d, 1, patch.d);
          }
        }
      }
    }
  });
}

// The smallest float f with (double)f >= threshold: p >= f <=> (double)p >= threshold.
float ThresholdAsFloat(double threshold) {
  if (threshold > static_cast<double>(std::numeric_limits<float>::max())) {
    return std::numeric_limits<float>::infinity();
  }
  if (threshold < -static_cast<double>(std::numeric_limits<float>::max())) {
    return -std::numeric_limits<float>::max();  // every finite float passes, as in double
  }
  float f = static_cast<float>(threshold);
  if (static_cast<double>(f) < threshold) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

}  // namespace

float Sigmoid(float x) {
  if (std::isnan(x)) return x;
  float t = -x;
  if (t < -kSigmoidMaxLogit) t = -kSigmoidMaxLogit;
  if (t > -kSigmoidMinLogit) t = -kSigmoidMinLogit;
  const float k = t * kLog2e;
  const float n = (k + kRound) - kRound;
  float r = t - n * kLn2Hi;
  r = r - n * kLn2Lo;
  const float z = r * r;
  float p = kP0;
  p = p * r + kP1;
  p = p * r + kP2;
  p = p * r + kP3;
  p = p * r + kP4;
  p = p * r + kP5;
  float e = p * z + r + 1.0f;
  const std::uint32_t bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  e = e * scale;
  return 1.0f / (1.0f + e);
}

float HalfToFloat(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t em = h & 0x7fffu;
  std::uint32_t bits;
  if (em < 0x0400u) {
    const float sub = static_cast<float>(em) * 0x1p-24f;
    std::memcpy(&bits, &sub, sizeof bits);
  } else if (em >= 0x7c00u) {
    bits = (em << 13) | 0x7f800000u;
  } else {
    bits = (em << 13) + 0x38000000u;
  }
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

void StitchAdd(const StitchGrid& target, const float* logits, const Hwd& patch, const float* g, const Hwd& offset,
               unsigned threads) {
  StitchAddImpl(target, logits, patch, g, offset, threads);
}

void StitchAdd(const StitchGrid& target, const std::uint16_t* logits, const Hwd& patch, const float* g,
               const Hwd& offset, unsigned threads) {
  StitchAddImpl(target, logits, patch, g, offset, threads);
}

template <typename L>
void StitchFinalize(const StitchGrid& target, const std::int32_t* values, double threshold, bool writeProbabilities,
                    L* labels, float* maxProbability, unsigned threads) {
  const std::size_t voxels = target.grid.count();
  const std::size_t classes = target.sums.size();
  const float limit = ThresholdAsFloat(threshold);
  const std::size_t blocks = (voxels + kFinalizeBlock - 1) / kFinalizeBlock;
  const Kernels& k = ActiveKernels();
  ParallelRanges(blocks, threads, [&](std::size_t b0, std::size_t b1) {
    float best[kFinalizeBlock];
    std::int32_t arg[kFinalizeBlock];
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t begin = b * kFinalizeBlock;
      const std::size_t n = std::min(kFinalizeBlock, voxels - begin);
      const float* w = target.weights + begin;
      std::fill(best, best + n, std::numeric_limits<float>::quiet_NaN());
      std::fill(arg, arg + n, 0);
      for (std::size_t c = 0; c < classes; ++c) {
        k.finalizeClass(target.sums[c] + begin, writeProbabilities, w, best, arg, static_cast<std::int32_t>(c), n);
      }
      for (std::size_t i = 0; i < n; ++i) {
        labels[begin + i] = best[i] >= limit ? static_cast<L>(values[arg[i]]) : L{0};
      }
      if (maxProbability != nullptr) std::memcpy(maxProbability + begin, best, n * sizeof(float));
    }
  });
}

#define MEDALS_INSTANTIATE_FINALIZE(L)                                                                       \
  template void StitchFinalize<L>(const StitchGrid&, const std::int32_t*, double, bool, L*, float*, unsigned);
MEDALS_INSTANTIATE_FINALIZE(std::uint8_t)
MEDALS_INSTANTIATE_FINALIZE(std::int16_t)
MEDALS_INSTANTIATE_FINALIZE(std::uint16_t)
MEDALS_INSTANTIATE_FINALIZE(std::int32_t)
#undef MEDALS_INSTANTIATE_FINALIZE

const char* StitchInstructionSet() { return ActiveKernels().name; }

unsigned DefaultStitchThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return std::max(1u, std::min(n == 0 ? 1u : n, 8u));
}

}  // namespace medals
