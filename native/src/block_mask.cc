#include "block_mask.h"

#include <algorithm>
#include <cstring>

namespace medals {
namespace {

// fn(offset, length, selected) for every run of one block along d, over the whole patch, in
// memory order: `offset` is the run's first voxel in the patch.
template <typename Fn>
void ForEachRun(const std::uint8_t* blocks, const Hwd& patch, std::size_t block, Fn&& fn) {
  const Hwd grid = BlockGrid(patch, block);
  std::size_t offset = 0;
  for (std::size_t h = 0; h < patch.h; ++h) {
    const std::uint8_t* plane = blocks + (h / block) * grid.w * grid.d;
    for (std::size_t w = 0; w < patch.w; ++w) {
      const std::uint8_t* row = plane + (w / block) * grid.d;
      for (std::size_t bd = 0; bd < grid.d; ++bd) {
        const std::size_t length = std::min(block, patch.d - bd * block);
        fn(offset, length, row[bd] != 0);
        offset += length;
      }
    }
  }
}

}  // namespace

Hwd BlockGrid(const Hwd& patch, std::size_t block) {
  Hwd grid;
  grid.h = (patch.h + block - 1) / block;
  grid.w = (patch.w + block - 1) / block;
  grid.d = (patch.d + block - 1) / block;
  return grid;
}

void BlockSelect(const std::uint8_t* blocks, const Hwd& patch, std::size_t block, bool keep, const float* src,
                 float* dst, std::size_t channels) {
  const std::size_t voxels = patch.count();
  for (std::size_t c = 0; c < channels; ++c) {
    const float* from = src + c * voxels;
    float* to = dst + c * voxels;
    ForEachRun(blocks, patch, block, [&](std::size_t offset, std::size_t length, bool selected) {
      if (selected == keep) {
        std::memcpy(to + offset, from + offset, length * sizeof(float));
      } else {
        std::fill(to + offset, to + offset + length, 0.0f);
      }
    });
  }
}

template <typename T>
void BlockMerge(const std::uint8_t* blocks, const Hwd& patch, std::size_t block, T* a, const T* b,
                std::size_t channels) {
  const std::size_t voxels = patch.count();
  for (std::size_t c = 0; c < channels; ++c) {
    T* into = a + c * voxels;
    const T* from = b + c * voxels;
    ForEachRun(blocks, patch, block, [&](std::size_t offset, std::size_t length, bool selected) {
      if (selected) std::memcpy(into + offset, from + offset, length * sizeof(T));
    });
  }
}

template void BlockMerge<float>(const std::uint8_t*, const Hwd&, std::size_t, float*, const float*, std::size_t);
template void BlockMerge<std::uint16_t>(const std::uint8_t*, const Hwd&, std::size_t, std::uint16_t*,
                                        const std::uint16_t*, std::size_t);

}  // namespace medals
