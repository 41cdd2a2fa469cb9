// Kernel: the Gaussian importance map of Medal S's sliding window (pure C++, no Node-API).
//
// compute_gaussian in the official inference.py (nnU-Net's): a unit impulse at index p // 2 on
// each axis of a patch, scipy.ndimage.gaussian_filter with sigma = p / 8 per axis (mode
// 'constant', cval 0, kernel truncated at radius int(4 * sigma + 0.5)), divided by its maximum,
// times 10, cast to float16 (round to nearest, ties to even), and every zero replaced by the
// smallest non-zero value. The arithmetic follows scipy and numpy step by step in double:
// kernel exp(-0.5 / sigma^2 * j^2) normalised by numpy's pairwise sum, the separable filter of an
// impulse giving ((k_h * k_w) * k_d), then / max * 10, then one rounding to float16.
#pragma once

#include <cstddef>
#include <vector>

namespace medals {

// The float16 number nearest to v (ties to even), as a double: subnormal halves included,
// +-Infinity beyond the float16 range, NaN stays NaN. One rounding, as numpy's astype(float16).
double RoundToHalf(double v);

// The importance map of a patch (ph, pw, pd), C order (h, w, d), d fastest, as float32 values
// of the float16 numbers. Every dimension must be >= 1.
std::vector<float> GaussianImportance(std::size_t ph, std::size_t pw, std::size_t pd);

}  // namespace medals
