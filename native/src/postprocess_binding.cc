// Bindings of Medal S's post-processing (postprocess.h): each filter a sync and an Async
// (Promise) export of one Job (see async_job.h), returning a new label map of the input's type.
#include <algorithm>

#include "async_job.h"
#include "bindings.h"
#include "postprocess.h"
#include "volume_arg.h"

namespace medals {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

// null/undefined: every non-zero value; otherwise an Int32Array of values (any order, repeats).
ValueSet ParseValues(const Napi::Value& value, const char* fn) {
  ValueSet set;
  if (value.IsNull() || value.IsUndefined()) return set;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowTypeError(value.Env(), std::string(fn) + ": values must be an Int32Array or null, got " + Describe(value));
  }
  const Napi::Int32Array array = value.As<Napi::Int32Array>();
  set.all = false;
  set.sorted.assign(array.Data(), array.Data() + array.ElementLength());
  std::sort(set.sorted.begin(), set.sorted.end());
  set.sorted.erase(std::unique(set.sorted.begin(), set.sorted.end()), set.sorted.end());
  return set;
}

// The label map argument (labels, size) after the argument count, and a new output array of the
// same type and length.
struct LabelMapInOut {
  VolumeArg in;
  void* out = nullptr;
  Napi::ObjectReference outRef;

  LabelMapInOut(const Napi::CallbackInfo& info, const char* fn, std::size_t args, const char* usage)
      : in((RequireArgCount(info, args, fn, usage), ParseLabelVolume(info, 0, 1, fn, "labels"))) {
    outRef = Napi::Persistent(NewLabelArray(info.Env(), in.dtype, in.shape.count(), out).As<Napi::Object>());
  }

  Napi::Value Result(Napi::Env env, const FilterResult& result) const {
    Napi::Object object = Napi::Object::New(env);
    object.Set("labels", outRef.Value());
    object.Set("removedComponents", Napi::Number::New(env, static_cast<double>(result.removedComponents)));
    object.Set("removedVoxels", Napi::Number::New(env, static_cast<double>(result.removedVoxels)));
    return object;
  }
};

// removeSmallComponents(labels, size, minSize, connectivity, binary)
//   -> { labels, removedComponents, removedVoxels }
class RemoveSmallJob {
 public:
  RemoveSmallJob(const Napi::CallbackInfo& info, const char* fn)
      : io_(info, fn, 5, "(labels, size, minSize, connectivity, binary)") {
    minSize_ = static_cast<std::uint64_t>(ParseInteger(info[2], fn, "minSize", 0, kMaxSafeInteger));
    connectivity_ = ParseConnectivity(info[3], fn);
    binary_ = ParseBoolean(info[4], fn, "binary");
  }

  void Run() {
    result_ = WithLabelArrays(io_.in, io_.out, [&](const auto* in, auto* out) {
      return RemoveSmallComponents(in, io_.in.shape, minSize_, connectivity_, binary_, out);
    });
  }

  Napi::Value Result(Napi::Env env) { return io_.Result(env, result_); }

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
      : io_(info, fn, 4, "(labels, size, connectivity, values)") {
    connectivity_ = ParseConnectivity(info[2], fn);
    values_ = ParseValues(info[3], fn);
  }

  void Run() {
    result_ = WithLabelArrays(io_.in, io_.out, [&](const auto* in, auto* out) {
      return KeepLargestComponents(in, io_.in.shape, connectivity_, values_, out);
    });
  }

  Napi::Value Result(Napi::Env env) { return io_.Result(env, result_); }

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
      : io_(info, fn, 9,
            "(labels, size, probability, connectivity, values, candidates, shortlist, tolerance, minProbability)") {
    const std::size_t n = io_.in.shape.count();
    probability_ = static_cast<const float*>(
        ParseTypedArray(info[2], napi_float32_array, "Float32Array", n, fn, "probability", false).data);
    connectivity_ = ParseConnectivity(info[3], fn);
    values_ = ParseValues(info[4], fn);
    rule_.candidates = static_cast<std::uint32_t>(ParseInteger(info[5], fn, "candidates", 1, 4294967295.0));
    rule_.shortlist = static_cast<std::uint32_t>(ParseInteger(info[6], fn, "shortlist", 1, 4294967295.0));
    rule_.tolerance = ParseFinite(info[7], fn, "tolerance");
    rule_.minProbability = ParseFinite(info[8], fn, "minProbability");
  }

  void Run() {
    result_ = WithLabelArrays(io_.in, io_.out, [&](const auto* in, auto* out) {
      return KeepProbableComponents(in, probability_, io_.in.shape, connectivity_, values_, rule_, out);
    });
  }

  Napi::Value Result(Napi::Env env) { return io_.Result(env, result_); }

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
  FillHolesJob(const Napi::CallbackInfo& info, const char* fn) : io_(info, fn, 3, "(labels, size, values)") {
    values_ = ParseValues(info[2], fn);
  }

  void Run() {
    filled_ = WithLabelArrays(io_.in, io_.out,
                              [&](const auto* in, auto* out) { return FillHoles(in, io_.in.shape, values_, out); });
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

}  // namespace

void RegisterPostprocessBindings(Napi::Env env, Napi::Object exports) {
  ExportJob<RemoveSmallJob>(env, exports, "removeSmallComponents");
  ExportJob<KeepLargestJob>(env, exports, "keepLargestComponents");
  ExportJob<KeepProbableJob>(env, exports, "keepProbableComponents");
  ExportJob<FillHolesJob>(env, exports, "fillHoles");
}

}  // namespace medals
