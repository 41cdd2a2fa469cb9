// Kernel: Medal S's self-refinement block masks applied to a window (pure C++, no Node-API).
//
// A window's spatial prompts (and its logits) are `channels` volumes of one patch (H, W, D) in C
// order, d fastest, one after the other. The mask is given by blocks, not voxels: the patch is cut
// into blocks of `block`^3 voxels aligned at its first voxel (the last ones cut at the patch
// edge), blocks.h * blocks.w * blocks.d of them in C order, and blocks[i] != 0 marks block i as
// selected. Along d a block covers a run of up to `block` voxels, so both kernels work in runs
// (a copy or a zero fill each) instead of voxel by voxel; the values are copied, never computed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "stitch.h"

namespace medals {

// ceil(patch / block) per axis: the block grid of a patch.
Hwd BlockGrid(const Hwd& patch, std::size_t block);

// dst = src where a voxel's block is selected (keep = true) or not selected (keep = false), else
// +0; `channels` volumes of patch.count() voxels each. The caller has checked the lengths, that
// block >= 1 and that dst does not overlap src or blocks.
void BlockSelect(const std::uint8_t* blocks, const Hwd& patch, std::size_t block, bool keep, const float* src,
                 float* dst, std::size_t channels);

// a = b where a voxel's block is selected, else a unchanged (the two complementary passes of
// self-refinement merged); `channels` volumes. T: float (float32 logits) or std::uint16_t
// (float16 bits). The caller has checked the lengths and that a and b do not overlap.
template <typename T>
void BlockMerge(const std::uint8_t* blocks, const Hwd& patch, std::size_t block, T* a, const T* b,
                std::size_t channels);

}  // namespace medals
