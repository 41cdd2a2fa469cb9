// Bindings of connected components and component statistics (connected_components.h,
// component_stats.h): each a sync and an Async (Promise) export of one Job (see async_job.h).
#include "async_job.h"
#include "bindings.h"
#include "component_stats.h"
#include "connected_components.h"
#include "volume_arg.h"

namespace medals {
namespace {

// connectedComponents(data, size, connectivity, binary, out | null) -> { labels, count }
class ConnectedComponentsJob {
 public:
  ConnectedComponentsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 5, fn, "(data, size, connectivity, binary, out)");
    volume_ = ParseLabelVolume(info, 0, 1, fn);
    connectivity_ = ParseConnectivity(info[2], fn);
    binary_ = ParseBoolean(info[3], fn, "binary");
    labels_ = TakeOutput<std::uint32_t>(info, 4, napi_uint32_array, "Uint32Array", volume_, "data", fn, outRef_);
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
};

// componentStats(labels, size, count, values | null, weights | null) -> stats (see README)
class ComponentStatsJob {
 public:
  ComponentStatsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 5, fn, "(labels, size, count, values, weights)");
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      ThrowTypeError(info.Env(), std::string(fn) + ": labels must be a Uint32Array, got " + Describe(info[0]));
    }
    shape_ = ParseShape3(info[1], fn, "size");
    const std::size_t n = shape_.count();
    if (n > kMaxLabelVoxels) {
      ThrowRangeError(info.Env(), std::string(fn) + ": at most " + std::to_string(kMaxLabelVoxels) +
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
};

}  // namespace

void RegisterComponentBindings(Napi::Env env, Napi::Object exports) {
  ExportJob<ConnectedComponentsJob>(env, exports, "connectedComponents");
  ExportJob<ComponentStatsJob>(env, exports, "componentStats");
}

}  // namespace medals
