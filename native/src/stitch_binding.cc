// Bindings of the Gaussian importance map (gaussian.h), the stitching accumulator (stitch.h) and
// the self-refinement block masks (block_mask.h).
// stitchAdd and stitchFinalize have a sync and an Async (Promise) export sharing one Job (see
// async_job.h). The accumulator's buffers belong to JavaScript (one Float32Array per class and
// one for the weights); every call checks them again, so nothing is trusted from a previous one.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "async_job.h"
#include "bindings.h"
#include "block_mask.h"
#include "gaussian.h"
#include "stitch.h"
#include "volume_arg.h"

namespace medals {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;
constexpr std::uint32_t kMaxClasses = 65535;
constexpr double kMaxThreads = 1024;

std::string FormatHwd(const Hwd& v) { return FormatShape({v.h, v.w, v.d}); }

// [h, w, d]: an Array of 3 integers, each >= 1 (extents) or >= 0 (offsets), whose product stays
// a safe integer.
Hwd ParseHwd(const Napi::Value& value, const char* fn, const char* name, bool offset) {
  const Napi::Env env = value.Env();
  const std::string prefix = std::string(fn) + ": " + name;
  const char* what = offset ? "non-negative integers" : "positive integers";
  const Napi::Array array = ParseArray3(value, prefix, "[h, w, d]", what);
  double dims[3];
  for (std::uint32_t i = 0; i < 3; ++i) {
    const Napi::Value element = array.Get(i);
    const std::string label = prefix + "[" + std::to_string(i) + "]";
    if (!element.IsNumber()) ThrowTypeError(env, label + " must be an integer, got " + Describe(element));
    const double d = element.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d || d < (offset ? 0.0 : 1.0) || d > kMaxSafeInteger) {
      ThrowRangeError(env, label + " must be one of the " + what + ", got " + FormatNumber(d));
    }
    dims[i] = d;
  }
  if (!offset && dims[0] * dims[1] * dims[2] > kMaxSafeInteger) {
    ThrowRangeError(env, prefix + " [" + FormatNumber(dims[0]) + ", " + FormatNumber(dims[1]) + ", " +
                             FormatNumber(dims[2]) + "] overflows: h * w * d exceeds 2^53 - 1");
  }
  Hwd out;
  out.h = static_cast<std::size_t>(dims[0]);
  out.w = static_cast<std::size_t>(dims[1]);
  out.d = static_cast<std::size_t>(dims[2]);
  return out;
}

unsigned ParseThreads(const Napi::Value& value, const char* fn) {
  const auto n = static_cast<unsigned>(ParseInteger(value, fn, "threads", 0, kMaxThreads));
  return n == 0 ? DefaultStitchThreads() : n;
}

// A memory range one call reads or writes, for the must-not-overlap check.
struct Range {
  const void* data;
  std::size_t bytes;
  std::string name;
};

// RangeError naming the first two ranges that overlap (O(n log n): sorted by address).
void RequireAllDisjoint(const Napi::Env& env, std::vector<Range> ranges, const char* fn) {
  ranges.erase(std::remove_if(ranges.begin(), ranges.end(), [](const Range& r) { return r.bytes == 0; }),
               ranges.end());
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return reinterpret_cast<std::uintptr_t>(a.data) < reinterpret_cast<std::uintptr_t>(b.data);
  });
  std::uintptr_t furthestEnd = 0;
  std::size_t furthest = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto start = reinterpret_cast<std::uintptr_t>(ranges[i].data);
    if (i > 0 && start < furthestEnd) {
      ThrowRangeError(env, std::string(fn) + ": " + ranges[furthest].name + " and " + ranges[i].name +
                               " must not share memory");
    }
    if (start + ranges[i].bytes > furthestEnd) {
      furthestEnd = start + ranges[i].bytes;
      furthest = i;
    }
  }
}

// The accumulator arguments (sums, weights, grid) at info[0..2], checked, plus their ranges.
// `keep` holds the class volumes: JavaScript may replace an element of sums while a job runs.
struct Accumulator {
  StitchGrid target;
  std::vector<Range> ranges;
};

Accumulator ParseAccumulator(const Napi::CallbackInfo& info, const char* fn, Keep& keep) {
  const Napi::Env env = info.Env();
  Accumulator acc;
  acc.target.grid = ParseHwd(info[2], fn, "grid", false);
  const std::size_t voxels = acc.target.grid.count();
  const std::string gridText = " elements but grid " + FormatHwd(acc.target.grid) + " needs h * w * d = " +
                               std::to_string(voxels);

  if (!info[0].IsArray()) {
    ThrowTypeError(env, std::string(fn) + ": sums must be an Array of Float32Array (one per class), got " +
                            Describe(info[0]));
  }
  const Napi::Array sums = info[0].As<Napi::Array>();
  const std::uint32_t classes = sums.Length();
  if (classes < 1 || classes > kMaxClasses) {
    ThrowRangeError(env, std::string(fn) + ": sums must hold 1 to " + std::to_string(kMaxClasses) +
                             " class volumes, got " + std::to_string(classes));
  }
  acc.target.sums.resize(classes);
  for (std::uint32_t c = 0; c < classes; ++c) {
    const Napi::Value element = sums.Get(c);
    const std::string name = "sums[" + std::to_string(c) + "]";
    if (!element.IsTypedArray() || element.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      ThrowTypeError(env, std::string(fn) + ": " + name + " must be a Float32Array, got " + Describe(element));
    }
    auto array = element.As<Napi::Float32Array>();
    if (array.ElementLength() != voxels) {
      ThrowRangeError(env, std::string(fn) + ": " + name + " has " + std::to_string(array.ElementLength()) + gridText);
    }
    acc.target.sums[c] = array.Data();
    acc.ranges.push_back({array.Data(), array.ByteLength(), name});
    keep.Add(element);
  }

  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowTypeError(env, std::string(fn) + ": weights must be a Float32Array, got " + Describe(info[1]));
  }
  auto weights = info[1].As<Napi::Float32Array>();
  if (weights.ElementLength() != voxels) {
    ThrowRangeError(env, std::string(fn) + ": weights has " + std::to_string(weights.ElementLength()) + gridText);
  }
  acc.target.weights = weights.Data();
  acc.ranges.push_back({weights.Data(), weights.ByteLength(), "weights"});
  return acc;
}

// gaussianImportance(patch) -> Float32Array (ph * pw * pd, C order)
Napi::Value GaussianImportanceJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "gaussianImportance";
  RequireArgCount(info, 1, kFn, "(patch)");
  const Hwd patch = ParseHwd(info[0], kFn, "patch", false);
  return ToTypedArray(info.Env(), GaussianImportance(patch.h, patch.w, patch.d));
}

// stitchAdd(sums, weights, grid, logits, patch, offset, importance, threads) -> undefined
class StitchAddJob {
 public:
  StitchAddJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 8, fn, "(sums, weights, grid, logits, patch, offset, importance, threads)");
    const Napi::Env env = info.Env();
    Accumulator acc = ParseAccumulator(info, fn, keep_);
    target_ = std::move(acc.target);
    patch_ = ParseHwd(info[4], fn, "patch", false);
    offset_ = ParseHwd(info[5], fn, "offset", true);
    const Hwd& grid = target_.grid;
    if (offset_.h + patch_.h > grid.h || offset_.w + patch_.w > grid.w || offset_.d + patch_.d > grid.d) {
      ThrowRangeError(env, std::string(fn) + ": the window at offset " + FormatHwd(offset_) + " of size " +
                               FormatHwd(patch_) + " does not fit in the grid " + FormatHwd(grid));
    }

    const Napi::Value logits = info[3];
    const napi_typedarray_type type =
        logits.IsTypedArray() ? logits.As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
    if (!logits.IsTypedArray() || (type != napi_float32_array && type != napi_uint16_array)) {
      ThrowTypeError(env, std::string(fn) + ": logits must be a Float32Array or a Uint16Array (float16 bits), got " +
                              Describe(logits));
    }
    const std::size_t classes = target_.sums.size();
    const std::size_t expected = classes * patch_.count();
    const auto array = logits.As<Napi::TypedArray>();
    if (array.ElementLength() != expected) {
      ThrowRangeError(env, std::string(fn) + ": logits has " + std::to_string(array.ElementLength()) +
                               " elements but " + std::to_string(classes) + " classes of patch " + FormatHwd(patch_) +
                               " need N * ph * pw * pd = " + std::to_string(expected));
    }
    half_ = type == napi_uint16_array;
    logits_ = static_cast<const std::uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();

    importance_ = static_cast<const float*>(
        ParseTypedArray(info[6], napi_float32_array, "Float32Array", patch_.count(), fn, "importance", false).data);
    threads_ = ParseThreads(info[7], fn);

    std::vector<Range> ranges = std::move(acc.ranges);
    ranges.push_back({logits_, array.ByteLength(), "logits"});
    ranges.push_back({importance_, patch_.count() * sizeof(float), "importance"});
    RequireAllDisjoint(env, std::move(ranges), fn);
  }

  void Run() {
    if (half_) {
      StitchAdd(target_, static_cast<const std::uint16_t*>(logits_), patch_, importance_, offset_, threads_);
    } else {
      StitchAdd(target_, static_cast<const float*>(logits_), patch_, importance_, offset_, threads_);
    }
  }

  Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  StitchGrid target_;
  Hwd patch_;
  Hwd offset_;
  const void* logits_ = nullptr;
  bool half_ = false;
  const float* importance_ = nullptr;
  unsigned threads_ = 1;
  Keep keep_;
};

// stitchFinalize(sums, weights, grid, values, threshold, writeProbabilities, labels,
//                maxProbability | null, threads) -> undefined
class StitchFinalizeJob {
 public:
  StitchFinalizeJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 9, fn,
                    "(sums, weights, grid, values, threshold, writeProbabilities, labels, maxProbability, threads)");
    const Napi::Env env = info.Env();
    Accumulator acc = ParseAccumulator(info, fn, keep_);
    target_ = std::move(acc.target);
    const std::size_t classes = target_.sums.size();
    const std::size_t voxels = target_.grid.count();

    values_ = static_cast<const std::int32_t*>(
        ParseTypedArray(info[3], napi_int32_array, "Int32Array", classes, fn, "values", false).data);
    threshold_ = ParseFinite(info[4], fn, "threshold");
    writeProbabilities_ = ParseBoolean(info[5], fn, "writeProbabilities");

    const Napi::Value labels = info[6];
    if (!labels.IsTypedArray() || !DTypeOf(labels.As<Napi::TypedArray>().TypedArrayType(), labelType_) ||
        !IsLabelDType(labelType_)) {
      ThrowTypeError(env, std::string(fn) +
                              ": labels must be a Uint8Array, Int16Array, Uint16Array or Int32Array, got " +
                              Describe(labels));
    }
    const auto [lo, hi] = DispatchLabelDType(labelType_, [](auto tag) {
      using L = typename decltype(tag)::type;
      return std::pair<double, double>(std::numeric_limits<L>::lowest(), std::numeric_limits<L>::max());
    });
    const auto labelArray = labels.As<Napi::TypedArray>();
    if (labelArray.ElementLength() != voxels) {
      ThrowRangeError(env, std::string(fn) + ": labels has " + std::to_string(labelArray.ElementLength()) +
                               " elements but grid " + FormatHwd(target_.grid) + " needs " + std::to_string(voxels));
    }
    for (std::size_t c = 0; c < classes; ++c) {
      if (values_[c] < lo || values_[c] > hi) {
        ThrowRangeError(env, std::string(fn) + ": values[" + std::to_string(c) + "] = " + std::to_string(values_[c]) +
                                 " does not fit in labels (" + Describe(labels) + ")");
      }
    }
    labels_ = static_cast<std::uint8_t*>(labelArray.ArrayBuffer().Data()) + labelArray.ByteOffset();

    maxProbability_ = static_cast<float*>(
        ParseTypedArray(info[7], napi_float32_array, "Float32Array", voxels, fn, "maxProbability", true).data);
    threads_ = ParseThreads(info[8], fn);

    std::vector<Range> ranges = std::move(acc.ranges);
    ranges.push_back({labels_, labelArray.ByteLength(), "labels"});
    if (maxProbability_ != nullptr) ranges.push_back({maxProbability_, voxels * sizeof(float), "maxProbability"});
    ranges.push_back({values_, classes * sizeof(std::int32_t), "values"});
    RequireAllDisjoint(env, std::move(ranges), fn);
  }

  void Run() {
    DispatchLabelDType(labelType_, [&](auto tag) {
      using L = typename decltype(tag)::type;
      StitchFinalize(target_, values_, threshold_, writeProbabilities_, static_cast<L*>(labels_), maxProbability_,
                     threads_);
    });
  }

  Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  StitchGrid target_;
  const std::int32_t* values_ = nullptr;
  double threshold_ = 0.5;
  bool writeProbabilities_ = false;
  DType labelType_ = DType::kUint8;
  void* labels_ = nullptr;
  float* maxProbability_ = nullptr;
  unsigned threads_ = 1;
  Keep keep_;
};

// The block arguments of blockSelect and blockMerge: blocks (Uint8Array, one per block of the
// block grid), patch and block size at info[0..2]; the voxel count of one channel in `voxels`.
struct BlockArgs {
  const std::uint8_t* blocks = nullptr;
  std::size_t blockBytes = 0;
  Hwd patch;
  std::size_t block = 1;
};

BlockArgs ParseBlockArgs(const Napi::CallbackInfo& info, const char* fn) {
  BlockArgs args;
  args.patch = ParseHwd(info[1], fn, "patch", false);
  args.block = static_cast<std::size_t>(ParseInteger(info[2], fn, "blockSize", 1, kMaxSafeInteger));
  const std::size_t count = BlockGrid(args.patch, args.block).count();
  const ArrayArg blocks = ParseTypedArray(info[0], napi_uint8_array, "Uint8Array", count, fn, "blocks", false);
  args.blocks = static_cast<const std::uint8_t*>(blocks.data);
  args.blockBytes = blocks.byteLength;
  return args;
}

// The number of patch volumes in a typed array of `length` elements, or a RangeError.
std::size_t ChannelCount(const Napi::Env& env, std::size_t length, const Hwd& patch, const char* fn,
                         const char* name) {
  const std::size_t voxels = patch.count();
  if (length == 0 || length % voxels != 0) {
    ThrowRangeError(env, std::string(fn) + ": " + name + " has " + std::to_string(length) +
                             " elements, not a whole number (>= 1) of patches " + FormatHwd(patch) + " of " +
                             std::to_string(voxels) + " voxels");
  }
  return length / voxels;
}

// blockSelect(blocks, patch, blockSize, keep, src, dst) -> undefined
Napi::Value BlockSelectJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "blockSelect";
  RequireArgCount(info, 6, kFn, "(blocks, patch, blockSize, keep, src, dst)");
  const Napi::Env env = info.Env();
  const BlockArgs args = ParseBlockArgs(info, kFn);
  const bool keep = ParseBoolean(info[3], kFn, "keep");
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowTypeError(env, std::string(kFn) + ": src must be a Float32Array, got " + Describe(info[4]));
  }
  const auto src = info[4].As<Napi::Float32Array>();
  const std::size_t channels = ChannelCount(env, src.ElementLength(), args.patch, kFn, "src");
  const ArrayArg dst = ParseTypedArray(info[5], napi_float32_array, "Float32Array", src.ElementLength(), kFn, "dst",
                                       false);
  RequireAllDisjoint(env,
                     {{args.blocks, args.blockBytes, "blocks"},
                      {src.Data(), src.ByteLength(), "src"},
                      {dst.data, dst.byteLength, "dst"}},
                     kFn);
  BlockSelect(args.blocks, args.patch, args.block, keep, src.Data(), static_cast<float*>(dst.data), channels);
  return env.Undefined();
}

// blockMerge(blocks, patch, blockSize, a, b) -> undefined; a and b both Float32Array or both
// Uint16Array (float16 bits).
Napi::Value BlockMergeJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "blockMerge";
  RequireArgCount(info, 5, kFn, "(blocks, patch, blockSize, a, b)");
  const Napi::Env env = info.Env();
  const BlockArgs args = ParseBlockArgs(info, kFn);
  const napi_typedarray_type type =
      info[3].IsTypedArray() ? info[3].As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
  if (type != napi_float32_array && type != napi_uint16_array) {
    ThrowTypeError(env, std::string(kFn) + ": a must be a Float32Array or a Uint16Array (float16 bits), got " +
                            Describe(info[3]));
  }
  const auto a = info[3].As<Napi::TypedArray>();
  const std::size_t channels = ChannelCount(env, a.ElementLength(), args.patch, kFn, "a");
  const bool half = type == napi_uint16_array;
  const ArrayArg b = ParseTypedArray(info[4], type, half ? "Uint16Array (as a)" : "Float32Array (as a)",
                                     a.ElementLength(), kFn, "b", false);
  auto* aData = static_cast<std::uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  RequireAllDisjoint(env,
                     {{args.blocks, args.blockBytes, "blocks"}, {aData, a.ByteLength(), "a"}, {b.data, b.byteLength, "b"}},
                     kFn);
  if (half) {
    BlockMerge(args.blocks, args.patch, args.block, reinterpret_cast<std::uint16_t*>(aData),
               static_cast<const std::uint16_t*>(b.data), channels);
  } else {
    BlockMerge(args.blocks, args.patch, args.block, reinterpret_cast<float*>(aData), static_cast<const float*>(b.data),
               channels);
  }
  return env.Undefined();
}

// stitchInfo() -> { instructionSet, defaultThreads }
Napi::Value StitchInfoJs(const Napi::CallbackInfo& info) {
  RequireArgCount(info, 0, "stitchInfo", "()");
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("instructionSet", Napi::String::New(info.Env(), StitchInstructionSet()));
  out.Set("defaultThreads", Napi::Number::New(info.Env(), DefaultStitchThreads()));
  return out;
}

}  // namespace

void RegisterStitchBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("stitchInfo", Napi::Function::New(env, StitchInfoJs, "stitchInfo"));
  exports.Set("gaussianImportance", Napi::Function::New(env, GaussianImportanceJs, "gaussianImportance"));
  ExportJob<StitchAddJob>(env, exports, "stitchAdd");
  ExportJob<StitchFinalizeJob>(env, exports, "stitchFinalize");
  exports.Set("blockSelect", Napi::Function::New(env, BlockSelectJs, "blockSelect"));
  exports.Set("blockMerge", Napi::Function::New(env, BlockMergeJs, "blockMerge"));
}

}  // namespace medals
