// libFuzzer harness: sliding-window stitching (stitch.h), the Gaussian importance map
// (gaussian.h) and the self-refinement block masks (block_mask.h, against a voxel-by-voxel model). Calls StitchAdd / StitchFinalize as stitch_binding.cc does after its checks:
// 1..4 classes, windows inside the grid, logits as float32 or float16 bits (any bit pattern),
// an importance patch of exactly ph * pw * pd floats, label values that fit the label type, a
// finite threshold, threads 1 or 2, and no two buffers sharing memory. The accumulator's
// contents are not checked by the binding (they belong to JavaScript), so they start as zeros
// or as arbitrary bits. Every result is compared bit for bit with a scalar model built from
// Sigmoid and HalfToFloat (the vector paths must agree with it); a mismatch traps.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "fuzz_input.h"
#include "block_mask.h"
#include "gaussian.h"
#include "stitch.h"

using namespace medals;
using namespace medals_fuzz;

namespace {

constexpr std::size_t kMaxAxis = 24;

bool Same(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  std::uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

Hwd ReadHwd(Input& in, const Hwd& max) {
  Hwd v;
  v.h = in.Range(1, max.h);
  v.w = in.Range(1, max.w);
  v.d = in.Range(1, max.d);
  return v;
}

template <typename L>
void Finalize(Input& in, const StitchGrid& grid, std::vector<std::vector<float>>& modelSums,
              const std::vector<float>& modelWeights) {
  const std::size_t classes = grid.sums.size();
  const std::size_t voxels = grid.grid.count();
  const double lo = static_cast<double>(std::numeric_limits<L>::min());
  const double hi = static_cast<double>(std::numeric_limits<L>::max());
  std::unique_ptr<std::int32_t[]> values = Buffer<std::int32_t>(classes);
  for (std::size_t c = 0; c < classes; ++c) {
    const std::int32_t raw = in.Raw<std::int32_t>();
    // The binding refuses values outside L: fold into range.
    const double span = hi - lo + 1;
    double v = std::fmod(static_cast<double>(raw) - lo, span);
    if (v < 0) v += span;
    values[c] = static_cast<std::int32_t>(lo + v);
  }
  const std::uint8_t mode = in.Byte();
  double threshold = 0.5;
  switch (mode % 4) {
    case 0: threshold = in.Uniform(-0.5, 1.5); break;
    case 1: threshold = in.FiniteDouble(); break;
    case 2: threshold = static_cast<double>(in.Raw<float>()); break;
    default: threshold = static_cast<double>(in.Byte()) / 128.0; break;
  }
  if (!std::isfinite(threshold)) threshold = 0.5;  // the binding takes finite numbers only
  const bool write = (mode & 4) != 0;
  const bool withMax = (mode & 8) != 0;
  const unsigned threads = (mode & 16) != 0 ? 2 : 1;

  auto labels = Buffer<L>(voxels);
  std::unique_ptr<float[]> maxProbability;
  if (withMax) maxProbability = Buffer<float>(voxels);
  StitchFinalize(grid, values.get(), threshold, write, labels.get(), maxProbability.get(), threads);

  for (std::size_t i = 0; i < voxels; ++i) {
    const float w = modelWeights[i];
    float best = std::numeric_limits<float>::quiet_NaN();
    std::size_t arg = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      const float p = w > 0.0f ? modelSums[c][i] / w : 0.0f;
      if (write) FUZZ_CHECK(Same(grid.sums[c][i], p));
      if (!std::isnan(p) && (std::isnan(best) || p > best)) {
        best = p;
        arg = c;
      }
    }
    const L expected = static_cast<double>(best) >= threshold ? static_cast<L>(values[arg]) : L{0};
    FUZZ_CHECK(labels[i] == expected);
    if (withMax) FUZZ_CHECK(Same(maxProbability[i], best));
  }
}

// BlockSelect and BlockMerge on exact-size buffers against a voxel-by-voxel model: the block of
// voxel (h, w, d) is ((h / b) * nw + w / b) * nd + d / b; values are copied bit for bit.
void FuzzBlockMasks(Input& in) {
  Hwd patch = ReadHwd(in, Hwd{kMaxAxis, kMaxAxis, kMaxAxis});
  const std::size_t block = in.Range(1, 10);
  const std::size_t channels = in.Range(1, 3);
  const Hwd nb = BlockGrid(patch, block);
  FUZZ_CHECK(nb.h * block >= patch.h && (nb.h - 1) * block < patch.h);
  FUZZ_CHECK(nb.d * block >= patch.d && (nb.d - 1) * block < patch.d);
  auto blocks = Buffer<std::uint8_t>(nb.count());
  for (std::size_t i = 0; i < nb.count(); ++i) blocks[i] = in.Byte();
  const std::size_t voxels = patch.count();
  const std::size_t n = voxels * channels;
  auto selected = [&](std::size_t i) {
    const std::size_t v = i % voxels;
    const std::size_t d = v % patch.d;
    const std::size_t w = (v / patch.d) % patch.w;
    const std::size_t h = v / (patch.d * patch.w);
    return blocks[((h / block) * nb.w + w / block) * nb.d + d / block] != 0;
  };
  auto src = Buffer<float>(n);
  auto dst = Buffer<float>(n);
  for (std::size_t i = 0; i < n; ++i) src[i] = in.Raw<float>();
  for (const bool keep : {true, false}) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = 1.0f;
    BlockSelect(blocks.get(), patch, block, keep, src.get(), dst.get(), channels);
    for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(Same(dst[i], selected(i) == keep ? src[i] : 0.0f));
  }
  auto a = Buffer<std::uint16_t>(n);
  auto b = Buffer<std::uint16_t>(n);
  std::vector<std::uint16_t> before(n);
  for (std::size_t i = 0; i < n; ++i) before[i] = a[i] = in.Raw<std::uint16_t>();
  for (std::size_t i = 0; i < n; ++i) b[i] = in.Raw<std::uint16_t>();
  BlockMerge(blocks.get(), patch, block, a.get(), b.get(), channels);
  for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(a[i] == (selected(i) ? b[i] : before[i]));
  for (std::size_t i = 0; i < n; ++i) dst[i] = in.Raw<float>();
  std::vector<float> kept(dst.get(), dst.get() + n);
  BlockMerge(blocks.get(), patch, block, dst.get(), src.get(), channels);
  for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(Same(dst[i], selected(i) ? src[i] : kept[i]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);

  // RoundToHalf: NaN stays NaN, and a float16 value is its own rounding.
  {
    const double v = in.Raw<double>();
    const double r = RoundToHalf(v);
    FUZZ_CHECK(std::isnan(r) == std::isnan(v));
    if (!std::isnan(r)) FUZZ_CHECK(RoundToHalf(r) == r);
  }

  FuzzBlockMasks(in);

  const std::size_t classes = in.Range(1, 4);
  const Hwd grid = ReadHwd(in, Hwd{kMaxAxis, kMaxAxis, kMaxAxis});
  const std::size_t voxels = grid.count();
  const bool rawInit = in.Byte() >= 224;

  // The accumulator: one exact-size buffer per class and one for the weights.
  std::vector<std::unique_ptr<float[]>> sumBuffers;
  StitchGrid target;
  target.grid = grid;
  std::vector<std::vector<float>> modelSums(classes, std::vector<float>(voxels, 0.0f));
  for (std::size_t c = 0; c < classes; ++c) {
    sumBuffers.push_back(Buffer<float>(voxels));
    target.sums.push_back(sumBuffers.back().get());
  }
  auto weights = Buffer<float>(voxels);
  target.weights = weights.get();
  std::vector<float> modelWeights(voxels, 0.0f);
  if (rawInit) {
    for (std::size_t i = 0; i < voxels; ++i) modelWeights[i] = weights[i] = in.Raw<float>();
    for (std::size_t c = 0; c < classes; ++c)
      for (std::size_t i = 0; i < voxels; ++i) modelSums[c][i] = target.sums[c][i] = in.Raw<float>();
  }

  const std::size_t windows = in.Range(1, 3);
  for (std::size_t win = 0; win < windows; ++win) {
    const Hwd patch = ReadHwd(in, grid);
    Hwd offset;
    offset.h = in.Range(0, grid.h - patch.h);
    offset.w = in.Range(0, grid.w - patch.w);
    offset.d = in.Range(0, grid.d - patch.d);
    const std::uint8_t mode = in.Byte();
    const bool half = (mode & 1) != 0;
    const unsigned threads = (mode & 2) != 0 ? 2 : 1;
    const std::size_t pv = patch.count();

    // Importance: the real map, positive floats, or (rarely) any bits: the binding checks
    // only the length.
    auto g = Buffer<float>(pv);
    switch ((mode >> 2) % 8) {
      case 0:
      case 1:
      case 2: {
        const std::vector<float> map = GaussianImportance(patch.h, patch.w, patch.d);
        FUZZ_CHECK(map.size() == pv);
        for (std::size_t i = 0; i < pv; ++i) {
          FUZZ_CHECK(map[i] > 0.0f && map[i] <= 10.0f);
          g[i] = map[i];
        }
        break;
      }
      case 7:
        for (std::size_t i = 0; i < pv; ++i) g[i] = in.Raw<float>();
        break;
      default:
        for (std::size_t i = 0; i < pv; ++i) {
          g[i] = 6e-8f + static_cast<float>(in.Raw<std::uint16_t>()) * (10.0f / 65535.0f);
        }
        break;
    }

    const std::size_t n = classes * pv;
    std::vector<float> logitValues(n);
    if (half) {
      auto logits = Buffer<std::uint16_t>(n);
      for (std::size_t i = 0; i < n; ++i) {
        logits[i] = in.Raw<std::uint16_t>();
        logitValues[i] = HalfToFloat(logits[i]);
      }
      StitchAdd(target, logits.get(), patch, g.get(), offset, threads);
    } else {
      auto logits = Buffer<float>(n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t b = in.Byte();
        logits[i] = b < 160 ? (static_cast<float>(b) - 80.0f) * 0.25f : in.Raw<float>();
        logitValues[i] = logits[i];
      }
      StitchAdd(target, logits.get(), patch, g.get(), offset, threads);
    }

    // Model: weights += g, sums[c] += Sigmoid(logit) * g, voxel by voxel.
    for (std::size_t h = 0; h < patch.h; ++h)
      for (std::size_t w = 0; w < patch.w; ++w)
        for (std::size_t d = 0; d < patch.d; ++d) {
          const std::size_t p = (h * patch.w + w) * patch.d + d;
          const std::size_t v = ((offset.h + h) * grid.w + offset.w + w) * grid.d + offset.d + d;
          modelWeights[v] = modelWeights[v] + g[p];
          for (std::size_t c = 0; c < classes; ++c) {
            const float s = Sigmoid(logitValues[c * pv + p]);
            modelSums[c][v] = modelSums[c][v] + s * g[p];
          }
        }
    for (std::size_t i = 0; i < voxels; ++i) {
      FUZZ_CHECK(Same(weights[i], modelWeights[i]));
      for (std::size_t c = 0; c < classes; ++c) FUZZ_CHECK(Same(target.sums[c][i], modelSums[c][i]));
    }
  }

  const std::uint8_t labelType = in.Byte() % 4;
  DispatchLabelDType(static_cast<DType>(labelType), [&](auto tag) {
    Finalize<typename decltype(tag)::type>(in, target, modelSums, modelWeights);
  });
  return 0;
}
