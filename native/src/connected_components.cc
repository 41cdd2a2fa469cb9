#include "connected_components.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "kernel_error.h"

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define MEDALS_CC_SSE2 1
#else
#define MEDALS_CC_SSE2 0
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define MEDALS_CC_INLINE __forceinline
#else
#define MEDALS_CC_INLINE inline __attribute__((always_inline))
#endif

// x86 with GCC or Clang: pass 1 also compiled for POPCNT, chosen at run time.
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
#define MEDALS_CC_POPCNT_DISPATCH 1
#else
#define MEDALS_CC_POPCNT_DISPATCH 0
#endif

namespace medals {
namespace {

// Index of the lowest set bit of a non-zero word.
MEDALS_CC_INLINE unsigned LowestBit(std::uint64_t word) {
#if defined(_MSC_VER) && !defined(__clang__)
  unsigned long index;
  _BitScanForward64(&index, word);
  return static_cast<unsigned>(index);
#else
  return static_cast<unsigned>(__builtin_ctzll(word));
#endif
}

// Number of set bits.
MEDALS_CC_INLINE unsigned PopCount(std::uint64_t word) {
#if defined(_MSC_VER) && !defined(__clang__)
  word = word - ((word >> 1) & 0x5555555555555555ULL);
  word = (word & 0x3333333333333333ULL) + ((word >> 2) & 0x3333333333333333ULL);
  word = (word + (word >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<unsigned>((word * 0x0101010101010101ULL) >> 56);
#else
  return static_cast<unsigned>(__builtin_popcountll(word));
#endif
}

// Union-find over run indices: parent[i] <= i, and a root is the smallest index of its set.
MEDALS_CC_INLINE std::uint32_t Find(std::uint32_t* parent, std::uint32_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];  // path halving
    i = parent[i];
  }
  return i;
}

MEDALS_CC_INLINE void Union(std::uint32_t* parent, std::uint32_t a, std::uint32_t b) {
  const std::uint32_t ra = Find(parent, a);
  const std::uint32_t rb = Find(parent, b);
  const std::uint32_t root = std::min(ra, rb);
  // Without branches: the larger root goes under the smaller, and a and b point at the root.
  parent[ra] = root;
  parent[rb] = root;
  parent[a] = root;
  parent[b] = root;
}

// An earlier row whose runs may touch the current row's, and whether touching includes a
// one-voxel shift in x (the neighbour rows reached by an edge or corner step).
struct NeighbourRow {
  std::ptrdiff_t dy;
  std::ptrdiff_t dz;
  bool diagonal;
};

// The rows a raster scan has finished that hold neighbours of the current row: (y-1, z) and
// (y, z-1) always; (y-1, z-1) and (y+1, z-1) from 18-connectivity on (their own neighbours
// sit at dx = 0 at 18, also at dx = +-1 at 26); dx = +-1 within the face rows from 18 on.
int NeighbourRows(int connectivity, NeighbourRow (&rows)[4]) {
  const bool edges = connectivity >= 18;
  const bool corners = connectivity == 26;
  rows[0] = {-1, 0, edges};
  rows[1] = {0, -1, edges};
  rows[2] = {-1, -1, corners};
  rows[3] = {1, -1, corners};
  return edges ? 4 : 2;
}

// Bit masks of one row, 64 voxels a word (bit i of word w is voxel x = 64 w + i): nz, the
// voxel is non-zero; cont, the voxel continues the run of voxel x - 1 (both non-zero and, for
// multi-label, equal). Bits beyond the row are 0. The words hold (nx + 63) / 64 entries.
template <bool kBinary, typename T>
MEDALS_CC_INLINE void RowMasks(const T* src, std::size_t nx, std::uint64_t* nz, std::uint64_t* cont) {
  const std::size_t words = (nx + 63) / 64;
#if MEDALS_CC_SSE2
  if constexpr (sizeof(T) == 1) {
    const __m128i zero = _mm_setzero_si128();
    __m128i previous = zero;  // the 16 voxels before; 0 before the row, so x = 0 never continues
    alignas(16) std::uint8_t tail[64];
    for (std::size_t w = 0; w < words; ++w) {
      const std::size_t x0 = 64 * w;
      const std::uint8_t* block = reinterpret_cast<const std::uint8_t*>(src) + x0;
      if (x0 + 64 > nx) {
        std::memset(tail, 0, sizeof tail);
        std::memcpy(tail, block, nx - x0);
        block = tail;
      }
      std::uint64_t n = 0;
      std::uint64_t c = 0;
      for (int q = 0; q < 4; ++q) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * q));
        const auto nonzero = static_cast<std::uint64_t>(~_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) & 0xFFFF);
        n |= nonzero << (16 * q);
        if constexpr (!kBinary) {
          const __m128i before = _mm_or_si128(_mm_slli_si128(v, 1), _mm_srli_si128(previous, 15));
          c |= static_cast<std::uint64_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, before)) & 0xFFFF) << (16 * q);
          previous = v;
        }
      }
      nz[w] = n;
      if constexpr (kBinary) {
        cont[w] = n & ((n << 1) | (w > 0 ? nz[w - 1] >> 63 : 0));
      } else {
        cont[w] = n & c;
      }
    }
    return;
  }
#endif
  for (std::size_t w = 0; w < words; ++w) {
    const std::size_t x0 = 64 * w;
    const std::size_t len = std::min<std::size_t>(64, nx - x0);
    std::uint64_t n = 0;
    std::uint64_t c = 0;
    for (std::size_t i = 0; i < len; ++i) n |= static_cast<std::uint64_t>(src[x0 + i] != T(0)) << i;
    if constexpr (kBinary) {
      c = n & ((n << 1) | (w > 0 ? nz[w - 1] >> 63 : 0));
    } else {
      if (x0 > 0) c = static_cast<std::uint64_t>(src[x0] == src[x0 - 1]);
      for (std::size_t i = 1; i < len; ++i) c |= static_cast<std::uint64_t>(src[x0 + i] == src[x0 + i - 1]) << i;
      c &= n;
    }
    nz[w] = n;
    cont[w] = c;
  }
}

// Bits 0..x of a word, and bits below x.
inline std::uint64_t UpTo(unsigned x) { return ~std::uint64_t{0} >> (63 - x); }
inline std::uint64_t Below(unsigned x) { return (std::uint64_t{1} << x) - 1; }

// Bit i set where a[i] == b[i], for i < len (at most 64); 0 above.
template <typename T>
MEDALS_CC_INLINE std::uint64_t EqualMask(const T* a, const T* b, std::size_t len) {
#if MEDALS_CC_SSE2
  if constexpr (sizeof(T) == 1) {
    if (len == 64) {
      std::uint64_t mask = 0;
      for (int q = 0; q < 4; ++q) {
        const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16 * q));
        const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * q));
        mask |= static_cast<std::uint64_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(va, vb)) & 0xFFFF) << (16 * q);
      }
      return mask;
    }
  }
#endif
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < len; ++i) mask |= static_cast<std::uint64_t>(a[i] == b[i]) << i;
  return mask;
}

// The masks of one row's 64-voxel word w: non-zero voxels, run starts, run ends, and the
// number of the row's runs that start before the word.
struct WordMasks {
  std::uint64_t nz;
  std::uint64_t start;
  std::uint64_t end;
  std::uint64_t before;
};

// Pass 1. Each row: its masks (RowMasks), its runs (from the start and end bits), then the
// unions with the runs it touches in each neighbour row, found word by word from the masks of
// both rows: a run of this row and one of the neighbour's touch where they overlap (with
// equal values, multi-label), counted once at the first voxel of each overlap; and on a
// diagonal row also where one ends at x and the other starts at x + 1. A voxel's run is the
// number of run starts up to it (a popcount). The masks of the current and the previous slice
// are kept (two slices of rows), so no neighbour row is ever re-read voxel by voxel, except
// to compare values.
template <bool kBinary, typename T, typename Coord>
MEDALS_CC_INLINE void ScanRunsBody(const T* data, const Shape3& shape, int connectivity, std::vector<Run<Coord>>& runs,
                                   std::vector<std::uint32_t>& rowBegin, std::vector<std::uint32_t>& parent) {
  const std::size_t nx = shape.x;
  const std::size_t ny = shape.y;
  const std::size_t rowCount = shape.y * shape.z;
  NeighbourRow neighbours[4];
  const int neighbourCount = NeighbourRows(connectivity, neighbours);
  const std::size_t words = (nx + 63) / 64;
  const std::size_t stride = words + 1;  // one zero word past each row
  std::vector<WordMasks> slices(2 * ny * stride, WordMasks{0, 0, 0, 0});
  std::vector<std::uint64_t> nz(words + 1, 0);
  std::vector<std::uint64_t> cont(words + 1, 0);  // cont[words] = 0: nothing continues past the row
  const std::size_t rowMax = kBinary ? nx / 2 + 1 : nx;  // runs one row can hold
  std::size_t capacity = std::max<std::size_t>(std::min<std::size_t>(rowCount * 4, shape.count() / 2 + 1), rowMax);
  runs.resize(capacity);
  parent.resize(capacity);
  rowBegin.assign(rowCount + 1, 0);
  std::size_t n = 0;

  for (std::size_t z = 0; z < shape.z; ++z) {
    for (std::size_t y = 0; y < ny; ++y) {
      const std::size_t row = y + ny * z;
      const T* src = data + row * nx;
      rowBegin[row] = static_cast<std::uint32_t>(n);
      if (n + rowMax > capacity) {
        capacity = std::max(2 * capacity, n + rowMax);
        runs.resize(capacity);
        parent.resize(capacity);
      }
      Run<Coord>* rowRuns = runs.data() + n;
      std::uint32_t* par = parent.data();
      WordMasks* masks = slices.data() + ((z & 1) * ny + y) * stride;

      // The runs: a start where a non-zero voxel does not continue the previous one, an end
      // where the next voxel does not continue this one. Starts and ends alternate, so each
      // list fills its own field of the same runs in order.
      RowMasks<kBinary>(src, nx, nz.data(), cont.data());
      std::size_t starts = 0;
      std::size_t ends = 0;
      for (std::size_t w = 0; w < words; ++w) {
        const std::uint64_t start = nz[w] & ~cont[w];
        const std::uint64_t end = nz[w] & ~((cont[w] >> 1) | (cont[w + 1] << 63));
        masks[w] = {nz[w], start, end, starts};
        const auto base = static_cast<Coord>(64 * w);
        for (std::uint64_t s = start; s != 0; s &= s - 1) {
          rowRuns[starts++].first = static_cast<Coord>(base + LowestBit(s));
        }
        for (std::uint64_t e = end; e != 0; e &= e - 1) {
          rowRuns[ends++].last = static_cast<Coord>(base + LowestBit(e));
        }
      }
      masks[words] = {0, 0, 0, starts};
      const std::size_t rowEnd = n + starts;
      for (std::size_t i = n; i < rowEnd; ++i) par[i] = static_cast<std::uint32_t>(i);

      for (int r = 0; r < neighbourCount && starts > 0; ++r) {
        const NeighbourRow& nb = neighbours[r];
        const auto oy = static_cast<std::ptrdiff_t>(y) + nb.dy;
        const auto oz = static_cast<std::ptrdiff_t>(z) + nb.dz;
        if (oy < 0 || oz < 0 || oy >= static_cast<std::ptrdiff_t>(ny)) continue;
        const std::size_t other = static_cast<std::size_t>(oy) + ny * static_cast<std::size_t>(oz);
        if (rowBegin[other] == rowBegin[other + 1]) continue;
        const T* otherSrc = data + other * nx;
        const WordMasks* om = slices.data() + ((static_cast<std::size_t>(oz) & 1) * ny + static_cast<std::size_t>(oy)) * stride;
        const std::size_t base = n;
        const std::size_t otherBase = rowBegin[other];
        std::uint64_t carry = 0;  // the overlap bit of the previous voxel
        for (std::size_t w = 0; w < words; ++w) {
          const WordMasks& m = masks[w];
          const WordMasks& o = om[w];
          std::uint64_t overlap = m.nz & o.nz;
          const std::size_t x0 = 64 * w;
          const std::size_t len = std::min<std::size_t>(64, nx - x0);
          if constexpr (!kBinary) {
            if (overlap != 0) overlap &= EqualMask(src + x0, otherSrc + x0, len);
          }
          const std::uint64_t pairs = overlap & (~((overlap << 1) | carry) | m.start | o.start);
          carry = overlap >> 63;
          const std::size_t runBase = base + m.before - 1;
          const std::size_t otherRunBase = otherBase + o.before - 1;
          for (std::uint64_t bits = pairs; bits != 0; bits &= bits - 1) {
            const unsigned x = LowestBit(bits);
            Union(par, static_cast<std::uint32_t>(runBase + PopCount(m.start & UpTo(x))),
                  static_cast<std::uint32_t>(otherRunBase + PopCount(o.start & UpTo(x))));
          }
          if (!nb.diagonal || m.nz == 0) continue;
          // This row's run ends at x, the other's starts at x + 1; this one starts at x, the
          // other's ends at x - 1.
          std::uint64_t endStart = m.end & ((o.start >> 1) | (om[w + 1].start << 63));
          std::uint64_t startEnd = m.start & ((o.end << 1) | (w > 0 ? om[w - 1].end >> 63 : 0));
          if constexpr (!kBinary) {
            if (endStart != 0) {
              // otherSrc + nx is the start of the row after, which exists (an earlier row).
              endStart &= EqualMask(src + x0, otherSrc + x0 + 1, len);
            }
            if (startEnd != 0) {
              // otherSrc - 1 is the end of the row before, except before the first row.
              startEnd &= x0 > 0 || other > 0 ? EqualMask(src + x0, otherSrc + x0 - 1, len)
                                              : EqualMask(src + 1, otherSrc, len - 1) << 1;
            }
          }
          for (std::uint64_t bits = endStart; bits != 0; bits &= bits - 1) {
            const unsigned x = LowestBit(bits);
            Union(par, static_cast<std::uint32_t>(runBase + PopCount(m.start & UpTo(x))),
                  static_cast<std::uint32_t>(otherRunBase + 1 + PopCount(o.start & UpTo(x))));
          }
          for (std::uint64_t bits = startEnd; bits != 0; bits &= bits - 1) {
            const unsigned x = LowestBit(bits);
            Union(par, static_cast<std::uint32_t>(runBase + PopCount(m.start & UpTo(x))),
                  static_cast<std::uint32_t>(otherRunBase + PopCount(o.start & Below(x))));
          }
        }
      }
      n = rowEnd;
    }
  }
  rowBegin[rowCount] = static_cast<std::uint32_t>(n);
  runs.resize(n);
  runs.shrink_to_fit();
  parent.resize(n);
}

template <bool kBinary, typename T, typename Coord>
void ScanRunsGeneric(const T* data, const Shape3& shape, int connectivity, std::vector<Run<Coord>>& runs,
                     std::vector<std::uint32_t>& rowBegin, std::vector<std::uint32_t>& parent) {
  ScanRunsBody<kBinary>(data, shape, connectivity, runs, rowBegin, parent);
}

#if MEDALS_CC_POPCNT_DISPATCH
// The same, compiled with the POPCNT instruction (the baseline x86-64 has none, and the
// library routine would cost more than the rest of a union).
template <bool kBinary, typename T, typename Coord>
__attribute__((target("popcnt"))) void ScanRunsPopcnt(const T* data, const Shape3& shape, int connectivity,
                                                      std::vector<Run<Coord>>& runs,
                                                      std::vector<std::uint32_t>& rowBegin,
                                                      std::vector<std::uint32_t>& parent) {
  ScanRunsBody<kBinary>(data, shape, connectivity, runs, rowBegin, parent);
}
#endif

template <bool kBinary, typename T, typename Coord>
void ScanRuns(const T* data, const Shape3& shape, int connectivity, std::vector<Run<Coord>>& runs,
              std::vector<std::uint32_t>& rowBegin, std::vector<std::uint32_t>& parent) {
#if MEDALS_CC_POPCNT_DISPATCH
  static const bool popcnt = __builtin_cpu_supports("popcnt");
  if (popcnt) return ScanRunsPopcnt<kBinary>(data, shape, connectivity, runs, rowBegin, parent);
#endif
  ScanRunsGeneric<kBinary>(data, shape, connectivity, runs, rowBegin, parent);
}

// Replaces parent[] by the final label of each run: roots get 1, 2, ... in increasing index
// order, which is scan order. Returns the number of components.
std::uint32_t Finalize(std::vector<std::uint32_t>& parent) {
  std::uint32_t count = 0;
  std::uint32_t* p = parent.data();
  for (std::size_t i = 0; i < parent.size(); ++i) {
    const std::uint32_t up = p[i];
    p[i] = up == i ? ++count : p[up];  // p[up] (up < i) is already final
  }
  return count;
}

// Stores kBlock copies of value at dst (one or two vector stores).
template <typename L>
constexpr std::size_t kBlock = 32 / sizeof(L);

template <typename L>
MEDALS_CC_INLINE void StoreBlock(L* dst, L value) {
  L block[kBlock<L>];
  for (std::size_t i = 0; i < kBlock<L>; ++i) block[i] = value;
  std::memcpy(dst, block, sizeof block);
}

// Fills [begin, end) with value. kPadded: the buffer holds kBlock elements past end, and
// what lies there is written later, so a short stretch takes one block store (no branch on
// its exact length, which on speckle would be a misprediction per run).
template <bool kPadded, typename L>
MEDALS_CC_INLINE void FillStretch(L* begin, L* end, L value) {
  if (kPadded && end - begin <= static_cast<std::ptrdiff_t>(kBlock<L>)) {
    StoreBlock(begin, value);
  } else {
    std::fill(begin, end, value);
  }
}

// Writes the rows [rowFirst, rowLast) from their runs, in order, every voxel once (kPadded:
// some voxels past a stretch are written early and then again with their own value).
template <bool kPadded, typename L, typename Coord>
void WriteRows(std::size_t nx, std::size_t rowFirst, std::size_t rowLast, const Run<Coord>* runs,
               const std::uint32_t* rowBegin, const std::uint32_t* label, L* out) {
  for (std::size_t row = rowFirst; row < rowLast; ++row) {
    L* dst = out + row * nx;
    L* x = dst;
    for (std::size_t k = rowBegin[row]; k < rowBegin[row + 1]; ++k) {
      const Run<Coord>& run = runs[k];
      FillStretch<kPadded>(x, dst + run.first, L(0));
      x = dst + run.last + 1;
      FillStretch<kPadded>(dst + run.first, x, static_cast<L>(label[k]));
    }
    FillStretch<kPadded>(x, dst + nx, L(0));
  }
}

template <typename L, typename Coord>
void WriteRuns(const Shape3& shape, const std::vector<Run<Coord>>& runs, const std::vector<std::uint32_t>& rowBegin,
               const std::vector<std::uint32_t>& label, L* out) {
  const std::size_t nx = shape.x;
  const std::size_t rowCount = shape.y * shape.z;
  // The rows whose block stores stay inside the output take the padded path.
  const std::size_t padded = rowCount - std::min(rowCount, (kBlock<L> + nx - 1) / nx);
  WriteRows<true>(nx, 0, padded, runs.data(), rowBegin.data(), label.data(), out);
  WriteRows<false>(nx, padded, rowCount, runs.data(), rowBegin.data(), label.data(), out);
}

}  // namespace

template <typename T>
ComponentRuns ComponentRuns::Scan(const T* data, const Shape3& shape, int connectivity, bool binary) {
  ComponentRuns result;
  result.shape_ = shape;
  const bool narrow = shape.x <= std::size_t{1} << 16;
  if (narrow && binary) ScanRuns<true>(data, shape, connectivity, result.narrow_, result.rowBegin_, result.label_);
  if (narrow && !binary) ScanRuns<false>(data, shape, connectivity, result.narrow_, result.rowBegin_, result.label_);
  if (!narrow && binary) ScanRuns<true>(data, shape, connectivity, result.wide_, result.rowBegin_, result.label_);
  if (!narrow && !binary) ScanRuns<false>(data, shape, connectivity, result.wide_, result.rowBegin_, result.label_);
  result.count_ = Finalize(result.label_);
  return result;
}

template <typename L>
void ComponentRuns::Write(L* out) const {
  if (count_ > std::numeric_limits<L>::max()) {
    throw KernelRangeError("the output type cannot hold " + std::to_string(count_) + " labels");
  }
  if (shape_.x <= std::size_t{1} << 16) {
    WriteRuns(shape_, narrow_, rowBegin_, label_, out);
  } else {
    WriteRuns(shape_, wide_, rowBegin_, label_, out);
  }
}

template <typename T>
std::uint32_t ConnectedComponents(const T* data, const Shape3& shape, int connectivity, bool binary,
                                  std::uint32_t* out) {
  const ComponentRuns components = ComponentRuns::Scan(data, shape, connectivity, binary);
  components.Write(out);
  return components.count();
}

#define MEDALS_INSTANTIATE_CC(T)                                                                    \
  template ComponentRuns ComponentRuns::Scan<T>(const T*, const Shape3&, int, bool);               \
  template std::uint32_t ConnectedComponents<T>(const T*, const Shape3&, int, bool, std::uint32_t*);
MEDALS_FOR_EACH_LABEL_DTYPE(MEDALS_INSTANTIATE_CC)
#undef MEDALS_INSTANTIATE_CC

template void ComponentRuns::Write<std::uint8_t>(std::uint8_t*) const;
template void ComponentRuns::Write<std::uint16_t>(std::uint16_t*) const;
template void ComponentRuns::Write<std::uint32_t>(std::uint32_t*) const;

}  // namespace medals
