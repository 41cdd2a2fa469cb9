// Bindings for connected components, component statistics and Medal S post-processing.
// Each function has a sync and an Async (Promise) export sharing one Job (see async_job.h).
#include <algorithm>
#include <cstring>
#include <memory>

#include "async_job.h"
#include "bindings.h"
#include "component_stats.h"
#include "connected_components.h"
#include "postprocess.h"
#include "volume_arg.h"

namespace medals {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

template <typename E>
Napi::Value ToTypedArray(Napi::Env env, const std::vector<E>& values) {
  auto array = Napi::TypedArrayOf<E>::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
}

// null/undefined: every non-zero value; otherwise an Int32Array of values (any order, repeats).
ValueSet ParseValues(const Napi::Value& value, const char* fn) {
  ValueSet set;
  if (value.IsNull() || value.IsUndefined()) return set;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(value.Env(),
                               std::string(fn) + ": values must be an Int32Array or null, got " + Describe(value));
  }
  const Napi::Int32Array array = value.As<Napi::Int32Array>();
  set.all = false;
  set.sorted.assign(array.Data(), array.Data() + array.ElementLength());
  std::sort(set.sorted.begin(), set.sorted.end());
  set.sorted.erase(std::unique(set.sorted.begin(), set.sorted.end()), set.sorted.end());
  return set;
}

// A label map argument and a fresh output array of the same type and length.
struct LabelMapInOut {
  VolumeArg in;
  void* out = nullptr;
  Napi::ObjectReference outRef;
  Keep keep;

  LabelMapInOut(const Napi::CallbackInfo& info, const char* fn) : in(ParseLabelVolume(info, 0, 1, fn, "labels")) {
    const Napi::TypedArray output = DispatchLabelDType(in.dtype, [&](auto tag) -> Napi::TypedArray {
      using T = typename decltype(tag)::type;
      auto array = Napi::TypedArrayOf<T>::New(info.Env(), in.shape.count());
      out = array.Data();
      return array;
    });
    outRef = Napi::Persistent(output.As<Napi::Object>());
    keep.Add(info[0]);
  }

  Napi::Object FilterResultObject(Napi::Env env, const FilterResult& result) const {
    Napi::Object object = Napi::Object::New(env);
    object.Set("labels", outRef.Value());
    object.Set("removedComponents", Napi::Number::New(env, static_cast<double>(result.removedComponents)));
    object.Set("removedVoxels", Napi::Number::New(env, static_cast<double>(result.removedVoxels)));
    return object;
  }
};

// connectedComponents(data, size, connectivity, binary, out | null) -> { labels, count }
class ConnectedComponentsJob {
 public:
  ConnectedComponentsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 5, fn, "(data, size, connectivity, binary, out)");
    volume_ = ParseLabelVolume(info, 0, 1, fn);
    connectivity_ = ParseConnectivity(info[2], fn);
    binary_ = ParseBoolean(info[3], fn, "binary");
    const std::size_t n = volume_.shape.count();
    const ArrayArg out = ParseTypedArray(info[4], napi_uint32_array, "Uint32Array", n, fn, "out", true);
    if (out.data != nullptr) {
      RequireDisjoint(info.Env(), volume_.data, volume_.byteLength, out.data, out.byteLength, fn, "data", "out");
      labels_ = static_cast<std::uint32_t*>(out.data);
      outRef_ = Napi::Persistent(info[4].As<Napi::Object>());
    } else {
      Napi::Uint32Array fresh = Napi::Uint32Array::New(info.Env(), n);
      labels_ = fresh.Data();
      outRef_ = Napi::Persistent(fresh.As<Napi::Object>());
    }
    keep_.Add(info[0]);
  }

  void Run() {
    count_ = DispatchLabelDType(volume_.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return ConnectedComponents(static_cast<const T*>(volume_.data), volume_.shape, connectivity_, binary_, labels_);
    });
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("labels", outRef_.Value());
    result.Set("count", Napi::Number::New(env, count_));
    return result;
  }

 private:
  VolumeArg volume_;
  int connectivity_ = 6;
  bool binary_ = false;
  std::uint32_t* labels_ = nullptr;
  std::uint32_t count_ = 0;
  Napi::ObjectReference outRef_;
  Keep keep_;
};

// componentStats(labels, size, count, values | null, weights | null) -> stats (see README)
class ComponentStatsJob {
 public:
  ComponentStatsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 5, fn, "(labels, size, count, values, weights)");
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      throw Napi::TypeError::New(info.Env(), std::string(fn) + ": labels must be a Uint32Array, got " + Describe(info[0]));
    }
    shape_ = ParseShape3(info[1], fn, "size");
    const std::size_t n = shape_.count();
    if (n > kMaxLabelVoxels) {
      throw Napi::RangeError::New(info.Env(), std::string(fn) + ": at most " + std::to_string(kMaxLabelVoxels) +
                                                  " voxels are supported, got " + std::to_string(n));
    }
    labels_ = static_cast<const std::uint32_t*>(
        ParseTypedArray(info[0], napi_uint32_array, "Uint32Array", n, fn, "labels", false).data);
    count_ = static_cast<std::uint32_t>(ParseInteger(info[2], fn, "count", 0, static_cast<double>(n)));
    if (!info[3].IsNull() && !info[3].IsUndefined()) {
      const VolumeArg values = ParseVolume(info, 3, 1, fn, "values");
      valuesType_ = values.dtype;
      values_ = values.data;
    }
    weights_ = static_cast<const float*>(
        ParseTypedArray(info[4], napi_float32_array, "Float32Array", n, fn, "weights", true).data);
    for (std::size_t i = 0; i < 5; ++i) keep_.Add(info[i]);
  }

  void Run() {
    stats_ = DispatchDType(valuesType_, [&](auto tag) {
      using V = typename decltype(tag)::type;
      return ComputeComponentStats(labels_, shape_, count_, static_cast<const V*>(values_), weights_);
    });
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("count", Napi::Number::New(env, stats_.count));
    result.Set("voxels", ToTypedArray(env, stats_.voxels));
    result.Set("boxMin", ToTypedArray(env, stats_.boxMin));
    result.Set("boxMax", ToTypedArray(env, stats_.boxMax));
    result.Set("centroid", ToTypedArray(env, stats_.centroid));
    result.Set("value", values_ != nullptr ? ToTypedArray(env, stats_.value) : env.Null());
    result.Set("mean", weights_ != nullptr ? ToTypedArray(env, stats_.mean) : env.Null());
    return result;
  }

 private:
  Shape3 shape_;
  const std::uint32_t* labels_ = nullptr;
  std::uint32_t count_ = 0;
  DType valuesType_ = DType::kUint8;
  const void* values_ = nullptr;
  const float* weights_ = nullptr;
  ComponentStats stats_;
  Keep keep_;
};

// removeSmallComponents(labels, size, minSize, connectivity, binary)
//   -> { labels, removedComponents, removedVoxels }
class RemoveSmallJob {
 public:
  RemoveSmallJob(const Napi::CallbackInfo& info, const char* fn)
      : io_((RequireArgCount(info, 5, fn, "(labels, size, minSize, connectivity, binary)"), info), fn) {
    minSize_ = static_cast<std::uint64_t>(ParseInteger(info[2], fn, "minSize", 0, kMaxSafeInteger));
    connectivity_ = ParseConnectivity(info[3], fn);
    binary_ = ParseBoolean(info[4], fn, "binary");
  }

  void Run() {
    result_ = DispatchLabelDType(io_.in.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return RemoveSmallComponents(static_cast<const T*>(io_.in.data), io_.in.shape, minSize_, connectivity_, binary_,
                                   static_cast<T*>(io_.out));
    });
  }

  Napi::Value Result(Napi::Env env) { return io_.FilterResultObject(env, result_); }

 private:
  LabelMapInOut io_;
  std::uint64_t minSize_ = 0;
  int connectivity_ = 6;
  bool binary_ = true;
  FilterResult result_;
};

// keepLargestComponents(labels, size, connectivity, values | null)
//   -> { labels, removedComponents, removedVoxels }
class KeepLargestJob {
 public:
  KeepLargestJob(const Napi::CallbackInfo& info, const char* fn)
      : io_((RequireArgCount(info, 4, fn, "(labels, size, connectivity, values)"), info), fn) {
    connectivity_ = ParseConnectivity(info[2], fn);
    values_ = ParseValues(info[3], fn);
  }

  void Run() {
    result_ = DispatchLabelDType(io_.in.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return KeepLargestComponents(static_cast<const T*>(io_.in.data), io_.in.shape, connectivity_, values_,
                                   static_cast<T*>(io_.out));
    });
  }

  Napi::Value Result(Napi::Env env) { return io_.FilterResultObject(env, result_); }

 private:
  LabelMapInOut io_;
  int connectivity_ = 6;
  ValueSet values_;
  FilterResult result_;
};

// keepProbableComponents(labels, size, probability, connectivity, values | null, candidates,
//   shortlist, tolerance, minProbability) -> { labels, removedComponents, removedVoxels }
class KeepProbableJob {
 public:
  KeepProbableJob(const Napi::CallbackInfo& info, const char* fn)
      : io_((RequireArgCount(info, 9, fn,
                             "(labels, size, probability, connectivity, values, candidates, shortlist, tolerance, "
                             "minProbability)"),
             info),
            fn) {
    const std::size_t n = io_.in.shape.count();
    const ArrayArg probability =
        ParseTypedArray(info[2], napi_float32_array, "Float32Array", n, fn, "probability", false);
    probability_ = static_cast<const float*>(probability.data);
    io_.keep.Add(info[2]);
    connectivity_ = ParseConnectivity(info[3], fn);
    values_ = ParseValues(info[4], fn);
    rule_.candidates = static_cast<std::uint32_t>(ParseInteger(info[5], fn, "candidates", 1, 4294967295.0));
    rule_.shortlist = static_cast<std::uint32_t>(ParseInteger(info[6], fn, "shortlist", 1, 4294967295.0));
    rule_.tolerance = ParseFinite(info[7], fn, "tolerance");
    rule_.minProbability = ParseFinite(info[8], fn, "minProbability");
  }

  void Run() {
    result_ = DispatchLabelDType(io_.in.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return KeepProbableComponents(static_cast<const T*>(io_.in.data), probability_, io_.in.shape, connectivity_,
                                    values_, rule_, static_cast<T*>(io_.out));
    });
  }

  Napi::Value Result(Napi::Env env) { return io_.FilterResultObject(env, result_); }

 private:
  LabelMapInOut io_;
  const float* probability_ = nullptr;
  int connectivity_ = 6;
  ValueSet values_;
  ProbableRule rule_;
  FilterResult result_;
};

// fillHoles(labels, size, values | null) -> { labels, filled }
class FillHolesJob {
 public:
  FillHolesJob(const Napi::CallbackInfo& info, const char* fn)
      : io_((RequireArgCount(info, 3, fn, "(labels, size, values)"), info), fn) {
    values_ = ParseValues(info[2], fn);
  }

  void Run() {
    filled_ = DispatchLabelDType(io_.in.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return FillHoles(static_cast<const T*>(io_.in.data), io_.in.shape, values_, static_cast<T*>(io_.out));
    });
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("labels", io_.outRef.Value());
    result.Set("filled", Napi::Number::New(env, static_cast<double>(filled_)));
    return result;
  }

 private:
  LabelMapInOut io_;
  ValueSet values_;
  std::uint64_t filled_ = 0;
};

// Exports `name` (sync) and `name + "Async"` (Promise) for one Job.
template <typename Job>
void ExportJob(Napi::Env env, Napi::Object exports, const char* name, const char* asyncName) {
  exports.Set(name, Napi::Function::New(
                        env, [name](const Napi::CallbackInfo& info) { return RunSync<Job>(info, name); }, name));
  exports.Set(asyncName,
              Napi::Function::New(
                  env, [asyncName](const Napi::CallbackInfo& info) { return RunAsync<Job>(info, asyncName); },
                  asyncName));
}

}  // namespace

void RegisterComponentBindings(Napi::Env env, Napi::Object exports) {
  ExportJob<ConnectedComponentsJob>(env, exports, "connectedComponents", "connectedComponentsAsync");
  ExportJob<ComponentStatsJob>(env, exports, "componentStats", "componentStatsAsync");
  ExportJob<RemoveSmallJob>(env, exports, "removeSmallComponents", "removeSmallComponentsAsync");
  ExportJob<KeepLargestJob>(env, exports, "keepLargestComponents", "keepLargestComponentsAsync");
  ExportJob<KeepProbableJob>(env, exports, "keepProbableComponents", "keepProbableComponentsAsync");
  ExportJob<FillHolesJob>(env, exports, "fillHoles", "fillHolesAsync");
}

}  // namespace medals
