// Bindings of label-map resampling (resample_labels.h): a sync and an Async (Promise) export
// sharing one Job (see async_job.h). Every argument is checked before a voxel is read.
#include "resample_binding.h"

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "async_job.h"
#include "resample_labels.h"
#include "volume_arg.h"

namespace medals {
namespace {

// The largest target the TypeScript caller allows (functions/lib/resample/resample.ts): 2^31 voxels.
constexpr std::size_t kMaxTargetVoxels = std::size_t{1} << 31;
constexpr double kMaxThreads = 1024;

std::string Num(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::string Triple(const Shape3& s) {
  return "[" + std::to_string(s.x) + ", " + std::to_string(s.y) + ", " + std::to_string(s.z) + "]";
}

// The output of a label resampling (argument 5, `out`): null or undefined gives a new array of
// data's type (argument 0), else the caller's array, which must be of data's type, hold exactly
// the target's voxels and not overlap data. `ref` keeps it alive for an async job.
void* TakeLabelOutput(const Napi::CallbackInfo& info, const VolumeArg& in, const Shape3& to, const char* fn,
                      Napi::ObjectReference& ref) {
  const Napi::Env env = info.Env();
  const Napi::Value out = info[5];
  const std::size_t voxels = to.count();
  if (out.IsNull() || out.IsUndefined()) {
    void* data = nullptr;
    const Napi::TypedArray fresh = DispatchLabelDType(in.dtype, [&](auto tag) -> Napi::TypedArray {
      using T = typename decltype(tag)::type;
      auto array = Napi::TypedArrayOf<T>::New(env, voxels);
      data = array.Data();
      return array;
    });
    ref = Napi::Persistent(fresh.As<Napi::Object>());
    return data;
  }
  if (!out.IsTypedArray() || out.As<Napi::TypedArray>().TypedArrayType() != in.arrayType) {
    throw Napi::TypeError::New(env, std::string(fn) + ": out must be null or of the same type as data (" +
                                        Describe(info[0]) + "), got " + Describe(out));
  }
  const auto array = out.As<Napi::TypedArray>();
  if (array.ElementLength() != voxels) {
    throw Napi::RangeError::New(env, std::string(fn) + ": out has " + std::to_string(array.ElementLength()) +
                                         " elements but targetSize " + Triple(to) + " needs X*Y*Z = " +
                                         std::to_string(voxels));
  }
  void* data = static_cast<std::uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  RequireDisjoint(env, in.data, in.byteLength, data, array.ByteLength(), fn, "data", "out");
  ref = Napi::Persistent(out.As<Napi::Object>());
  return data;
}

// `count` finite numbers from an Array of numbers or a Float64Array.
void ParseDoubles(const Napi::Value& value, std::uint32_t count, const char* fn, const char* name, double* out) {
  const Napi::Env env = value.Env();
  const std::string prefix = std::string(fn) + ": " + name;
  const std::string what = std::to_string(count) + " finite numbers";
  if (value.IsTypedArray()) {
    const auto typed = value.As<Napi::TypedArray>();
    if (typed.TypedArrayType() != napi_float64_array) {
      throw Napi::TypeError::New(env, prefix + " must be an Array or Float64Array of " + what + ", got " +
                                          Describe(value));
    }
    const auto array = value.As<Napi::Float64Array>();
    if (array.ElementLength() != count) {
      throw Napi::RangeError::New(env, prefix + " must have exactly " + std::to_string(count) + " elements, got " +
                                           std::to_string(array.ElementLength()));
    }
    for (std::uint32_t i = 0; i < count; ++i) {
      const double d = array[i];
      if (!std::isfinite(d)) {
        throw Napi::RangeError::New(env, prefix + "[" + std::to_string(i) + "] must be a finite number, got " + Num(d));
      }
      out[i] = d;
    }
    return;
  }
  if (!value.IsArray()) {
    throw Napi::TypeError::New(env, prefix + " must be an Array or Float64Array of " + what + ", got " +
                                        Describe(value));
  }
  const Napi::Array array = value.As<Napi::Array>();
  if (array.Length() != count) {
    throw Napi::RangeError::New(env, prefix + " must have exactly " + std::to_string(count) + " elements, got " +
                                         std::to_string(array.Length()));
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    out[i] = ParseFinite(array.Get(i), fn, (std::string(name) + "[" + std::to_string(i) + "]").c_str());
  }
}

// resampleLabels(data, size, A, b, targetSize, out | null, threads) -> out (or a new array)
class ResampleLabelsJob {
 public:
  ResampleLabelsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 7, fn, "(data, size, A, b, targetSize, out, threads)");
    const Napi::Env env = info.Env();
    in_ = ParseLabelVolume(info, 0, 1, fn, "data");
    ParseDoubles(info[2], 9, fn, "A", affine_.a);
    ParseDoubles(info[3], 3, fn, "b", affine_.b);
    to_ = ParseShape3(info[4], fn, "targetSize");
    const std::size_t voxels = to_.count();
    if (voxels > kMaxTargetVoxels) {
      throw Napi::RangeError::New(env, std::string(fn) + ": targetSize " + Triple(to_) + " has " +
                                           std::to_string(voxels) + " voxels, at most 2^31 are supported");
    }
    if (!ResampleCoordinatesFinite(affine_, to_)) {
      throw Napi::RangeError::New(env, std::string(fn) + ": A and b map targetSize " + Triple(to_) +
                                           " to input coordinates beyond the float64 range");
    }

    out_ = TakeLabelOutput(info, in_, to_, fn, outRef_);
    const auto threads = static_cast<unsigned>(ParseInteger(info[6], fn, "threads", 0, kMaxThreads));
    threads_ = threads == 0 ? DefaultResampleThreads() : threads;
    keep_.Add(info[0]);
  }

  void Run() {
    DispatchLabelDType(in_.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      ResampleLabels(static_cast<const T*>(in_.data), in_.shape, affine_, to_, static_cast<T*>(out_), threads_);
    });
  }

  Napi::Value Result(Napi::Env) { return outRef_.Value(); }

 private:
  VolumeArg in_;
  LabelAffine affine_;
  Shape3 to_;
  void* out_ = nullptr;
  unsigned threads_ = 1;
  Napi::ObjectReference outRef_;
  Keep keep_;
};

// resampleLabelsTaps(data, size, targetSize, index, weight, out | null, threads) -> out (or new).
// index (Int32Array) and weight (Float32Array) hold the three axes' tables one after the other,
// x then y then z, two taps per target index: 2 * (X' + Y' + Z') elements each. They are copied
// here (the async job must not read arrays JavaScript may change meanwhile) and every entry is
// checked: indices within the input's axis, weights finite in [0, 1].
class ResampleLabelsTapsJob {
 public:
  ResampleLabelsTapsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 7, fn, "(data, size, targetSize, index, weight, out, threads)");
    const Napi::Env env = info.Env();
    in_ = ParseLabelVolume(info, 0, 1, fn, "data");
    to_ = ParseShape3(info[2], fn, "targetSize");
    const std::size_t voxels = to_.count();
    if (voxels > kMaxTargetVoxels) {
      throw Napi::RangeError::New(env, std::string(fn) + ": targetSize " + Triple(to_) + " has " +
                                           std::to_string(voxels) + " voxels, at most 2^31 are supported");
    }
    const std::size_t counts[3] = {to_.x, to_.y, to_.z};
    const std::size_t sizes[3] = {in_.shape.x, in_.shape.y, in_.shape.z};
    const std::size_t taps = 2 * (counts[0] + counts[1] + counts[2]);
    const ArrayArg index = ParseTypedArray(info[3], napi_int32_array, "Int32Array", taps, fn, "index", false);
    const ArrayArg weight = ParseTypedArray(info[4], napi_float32_array, "Float32Array", taps, fn, "weight", false);
    const auto* indexData = static_cast<const std::int32_t*>(index.data);
    const auto* weightData = static_cast<const float*>(weight.data);
    index_.assign(indexData, indexData + taps);
    weight_.assign(weightData, weightData + taps);
    static const char* const kAxes[3] = {"x", "y", "z"};
    std::size_t start = 0;
    for (int a = 0; a < 3; ++a) {
      for (std::size_t n = start; n < start + 2 * counts[a]; ++n) {
        const std::int32_t i = index_[n];
        if (i < 0 || static_cast<std::size_t>(i) >= sizes[a]) {
          throw Napi::RangeError::New(env, std::string(fn) + ": index[" + std::to_string(n) + "] = " +
                                               std::to_string(i) + " (axis " + kAxes[a] +
                                               ") is outside the input's 0.." + std::to_string(sizes[a] - 1));
        }
        const float w = weight_[n];
        if (!(w >= 0.0f && w <= 1.0f)) {
          throw Napi::RangeError::New(env, std::string(fn) + ": weight[" + std::to_string(n) + "] = " + Num(w) +
                                               " (axis " + kAxes[a] + ") must be a number in [0, 1]");
        }
      }
      taps_[a].index = index_.data() + start;
      taps_[a].weight = weight_.data() + start;
      taps_[a].count = counts[a];
      start += 2 * counts[a];
    }

    out_ = TakeLabelOutput(info, in_, to_, fn, outRef_);
    const auto threads = static_cast<unsigned>(ParseInteger(info[6], fn, "threads", 0, kMaxThreads));
    threads_ = threads == 0 ? DefaultResampleThreads() : threads;
    keep_.Add(info[0]);
  }

  void Run() {
    DispatchLabelDType(in_.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      ResampleLabelsTaps(static_cast<const T*>(in_.data), in_.shape, taps_, static_cast<T*>(out_), threads_);
    });
  }

  Napi::Value Result(Napi::Env) { return outRef_.Value(); }

 private:
  VolumeArg in_;
  Shape3 to_;
  std::vector<std::int32_t> index_;
  std::vector<float> weight_;
  AxisTaps taps_[3];
  void* out_ = nullptr;
  unsigned threads_ = 1;
  Napi::ObjectReference outRef_;
  Keep keep_;
};

}  // namespace

void RegisterResampleBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("resampleLabels", Napi::Function::New(
                                    env,
                                    [](const Napi::CallbackInfo& info) {
                                      return RunSync<ResampleLabelsJob>(info, "resampleLabels");
                                    },
                                    "resampleLabels"));
  exports.Set("resampleLabelsAsync", Napi::Function::New(
                                         env,
                                         [](const Napi::CallbackInfo& info) {
                                           return RunAsync<ResampleLabelsJob>(info, "resampleLabelsAsync");
                                         },
                                         "resampleLabelsAsync"));
  exports.Set("resampleLabelsTaps", Napi::Function::New(
                                        env,
                                        [](const Napi::CallbackInfo& info) {
                                          return RunSync<ResampleLabelsTapsJob>(info, "resampleLabelsTaps");
                                        },
                                        "resampleLabelsTaps"));
  exports.Set("resampleLabelsTapsAsync", Napi::Function::New(
                                             env,
                                             [](const Napi::CallbackInfo& info) {
                                               return RunAsync<ResampleLabelsTapsJob>(info,
                                                                                      "resampleLabelsTapsAsync");
                                             },
                                             "resampleLabelsTapsAsync"));
}

}  // namespace medals
