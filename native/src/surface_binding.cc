// Bindings of the distance transform and the surface-distance kernels (edt.h, surface.h).
// The long calls have a sync and an Async (Promise) export sharing one Job (see async_job.h).
#include <cmath>
#include <cstring>
#include <string>

#include "async_job.h"
#include "bindings.h"
#include "edt.h"
#include "surface.h"
#include "volume_arg.h"

namespace medals {
namespace {

constexpr double kMinSpacing = 1e-9;
constexpr double kMaxSpacing = 1e9;

// [sx, sy, sz]: an Array of 3 finite numbers from 1e-9 to 1e9 (mm).
struct Spacing {
  double v[3] = {1.0, 1.0, 1.0};
};

Spacing ParseSpacing(const Napi::Value& value, const char* fn) {
  const Napi::Env env = value.Env();
  const std::string prefix = std::string(fn) + ": spacing";
  const Napi::Array array = ParseArray3(value, prefix, "[sx, sy, sz]", "positive numbers");
  Spacing spacing;
  for (std::uint32_t i = 0; i < 3; ++i) {
    const Napi::Value element = array.Get(i);
    const std::string label = prefix + "[" + std::to_string(i) + "]";
    if (!element.IsNumber()) ThrowTypeError(env, label + " must be a number, got " + Describe(element));
    const double d = element.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d < kMinSpacing || d > kMaxSpacing) {
      ThrowRangeError(env, label + " must be a finite number from 1e-9 to 1e9 (mm), got " + FormatNumber(d));
    }
    spacing.v[i] = d;
  }
  return spacing;
}

// null/undefined: on = non-zero; otherwise on = (value == label), label an int32.
MaskSelector ParseLabel(const Napi::Value& value, const char* fn) {
  MaskSelector select;
  if (value.IsNull() || value.IsUndefined()) return select;
  select.byLabel = true;
  select.label = ParseInteger(value, fn, "label", -2147483648.0, 2147483647.0);
  return select;
}

double ParseTolerance(const Napi::Value& value, const char* fn) {
  const double t = ParseFinite(value, fn, "tolerance");
  if (t < 0.0) ThrowRangeError(value.Env(), std::string(fn) + ": tolerance must be >= 0, got " + FormatNumber(t));
  return t;
}

// { min: [x, y, z], max: [x, y, z] } inclusive, inside shape; null/undefined: the whole volume.
Box3 ParseBox(const Napi::Value& value, const Shape3& shape, const char* fn) {
  Box3 box;
  box.empty = false;
  box.max = {shape.x - 1, shape.y - 1, shape.z - 1};
  if (value.IsNull() || value.IsUndefined()) return box;
  const Napi::Env env = value.Env();
  const std::string prefix = std::string(fn) + ": box";
  if (!value.IsObject() || value.IsArray() || value.IsTypedArray()) {
    ThrowTypeError(env, prefix + " must be { min: [x, y, z], max: [x, y, z] } or null, got " + Describe(value));
  }
  const Napi::Object object = value.As<Napi::Object>();
  const std::size_t dims[3] = {shape.x, shape.y, shape.z};
  for (const char* key : {"min", "max"}) {
    const Napi::Value corner = object.Get(key);
    const std::string name = std::string("box.") + key;
    if (!corner.IsArray()) {
      ThrowTypeError(env, std::string(fn) + ": " + name + " must be an Array of 3 integers, got " + Describe(corner));
    }
    if (corner.As<Napi::Array>().Length() != 3) {
      ThrowRangeError(env, std::string(fn) + ": " + name + " must have exactly 3 elements, got " +
                               std::to_string(corner.As<Napi::Array>().Length()));
    }
    for (std::uint32_t i = 0; i < 3; ++i) {
      const std::string element = name + "[" + std::to_string(i) + "]";
      const double d = ParseInteger(corner.As<Napi::Array>().Get(i), fn, element.c_str(), 0,
                                    static_cast<double>(dims[i] - 1));
      (std::strcmp(key, "min") == 0 ? box.min : box.max)[i] = static_cast<std::size_t>(d);
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (box.min[i] > box.max[i]) {
      ThrowRangeError(env, prefix + ".min[" + std::to_string(i) + "] is above box.max[" + std::to_string(i) + "]");
    }
  }
  return box;
}

MaskSource Source(const VolumeArg& volume) {
  MaskSource source;
  source.dtype = volume.dtype;
  source.data = volume.data;
  return source;
}

// distanceTransform(mask, size, spacing, out | null) -> Float32Array
class DistanceTransformJob {
 public:
  DistanceTransformJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 4, fn, "(mask, size, spacing, out)");
    mask_ = ParseVolume(info, 0, 1, fn, "mask");
    spacing_ = ParseSpacing(info[2], fn);
    out_ = TakeOutput<float>(info, 3, napi_float32_array, "Float32Array", mask_, "mask", fn, outRef_);
  }

  void Run() {
    DispatchDType(mask_.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      DistanceTransform(static_cast<const T*>(mask_.data), mask_.shape, spacing_.v, out_);
    });
  }

  Napi::Value Result(Napi::Env) { return outRef_.Value(); }

 private:
  VolumeArg mask_;
  Spacing spacing_;
  float* out_ = nullptr;
  Napi::ObjectReference outRef_;
};

// neighbourCodes(mask, size, label | null, box | null) -> { codes, size, offset, borderCount }
class NeighbourCodesJob {
 public:
  NeighbourCodesJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 4, fn, "(mask, size, label, box)");
    mask_ = ParseVolume(info, 0, 1, fn, "mask");
    select_ = ParseLabel(info[2], fn);
    box_ = ParseBox(info[3], mask_.shape, fn);
    grid_ = CodeGridShape(box_);
    Napi::Uint8Array codes = Napi::Uint8Array::New(info.Env(), grid_.count());
    codes_ = codes.Data();
    codesRef_ = Napi::Persistent(codes.As<Napi::Object>());
  }

  void Run() {
    NeighbourCodes(Source(mask_), mask_.shape, select_, box_, codes_);
    const std::size_t n = grid_.count();
    for (std::size_t i = 0; i < n; ++i) borderCount_ += IsBorderCode(codes_[i]) ? 1 : 0;
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("codes", codesRef_.Value());
    result.Set("size", SizeTriple(env, {grid_.x, grid_.y, grid_.z}));
    result.Set("offset", SizeTriple(env, box_.min));
    result.Set("borderCount", Napi::Number::New(env, static_cast<double>(borderCount_)));
    return result;
  }

 private:
  VolumeArg mask_;
  MaskSelector select_;
  Box3 box_;
  Shape3 grid_;
  std::uint8_t* codes_ = nullptr;
  std::uint64_t borderCount_ = 0;
  Napi::ObjectReference codesRef_;
};

// The (gt, pred, size, spacing, ...) arguments shared by surfaceDistances and surfaceDice.
struct MaskPair {
  VolumeArg gt, pred;
  Spacing spacing;

  MaskPair(const Napi::CallbackInfo& info, const char* fn)
      : gt(ParseVolume(info, 0, 2, fn, "gt")), pred(ParseVolume(info, 1, 2, fn, "pred")) {
    spacing = ParseSpacing(info[3], fn);
  }
};

// surfaceDistances(gt, pred, size, spacing, label | null)
//   -> { box, distancesGtToPred, areasGt, distancesPredToGt, areasPred }
class SurfaceDistancesJob {
 public:
  SurfaceDistancesJob(const Napi::CallbackInfo& info, const char* fn)
      : pair_((RequireArgCount(info, 5, fn, "(gt, pred, size, spacing, label)"), info), fn) {
    select_ = ParseLabel(info[4], fn);
  }

  void Run() {
    result_ = ComputeSurfaceDistances(Source(pair_.gt), Source(pair_.pred), pair_.gt.shape, select_, pair_.spacing.v);
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object object = Napi::Object::New(env);
    object.Set("box", BoxObject(env, result_.box));
    object.Set("distancesGtToPred", ToTypedArray(env, result_.distancesGtToPred));
    object.Set("areasGt", ToTypedArray(env, result_.areasGt));
    object.Set("distancesPredToGt", ToTypedArray(env, result_.distancesPredToGt));
    object.Set("areasPred", ToTypedArray(env, result_.areasPred));
    return object;
  }

 private:
  MaskPair pair_;
  MaskSelector select_;
  SurfaceDistances result_;
};

// surfaceDice(gt, pred, size, spacing, tolerance, label | null, box | null)
//   -> { nsd, gtArea, predArea, gtAreaWithin, predAreaWithin, gtSurfels, predSurfels }
class SurfaceDiceJob {
 public:
  SurfaceDiceJob(const Napi::CallbackInfo& info, const char* fn)
      : pair_((RequireArgCount(info, 7, fn, "(gt, pred, size, spacing, tolerance, label, box)"), info), fn) {
    tolerance_ = ParseTolerance(info[4], fn);
    select_ = ParseLabel(info[5], fn);
    hasBox_ = !(info[6].IsNull() || info[6].IsUndefined());
    box_ = ParseBox(info[6], pair_.gt.shape, fn);
  }

  void Run() {
    result_ = ComputeSurfaceDice(Source(pair_.gt), Source(pair_.pred), pair_.gt.shape, select_, pair_.spacing.v,
                                 tolerance_, hasBox_ ? &box_ : nullptr);
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object object = Napi::Object::New(env);
    object.Set("nsd", Napi::Number::New(env, result_.nsd));
    object.Set("gtArea", Napi::Number::New(env, result_.gtArea));
    object.Set("predArea", Napi::Number::New(env, result_.predArea));
    object.Set("gtAreaWithin", Napi::Number::New(env, result_.gtAreaWithin));
    object.Set("predAreaWithin", Napi::Number::New(env, result_.predAreaWithin));
    object.Set("gtSurfels", Napi::Number::New(env, static_cast<double>(result_.gtSurfels)));
    object.Set("predSurfels", Napi::Number::New(env, static_cast<double>(result_.predSurfels)));
    return object;
  }

 private:
  MaskPair pair_;
  double tolerance_ = 0.0;
  MaskSelector select_;
  bool hasBox_ = false;
  Box3 box_;
  SurfaceDiceResult result_;
};

// surfelAreas(spacing) -> Float64Array(256)
Napi::Value SurfelAreasJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "surfelAreas";
  RequireArgCount(info, 1, kFn, "(spacing)");
  return ToTypedArray(info.Env(), SurfelAreas(ParseSpacing(info[0], kFn).v));
}

}  // namespace

void RegisterSurfaceBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("surfelAreas", Napi::Function::New(env, SurfelAreasJs, "surfelAreas"));
  ExportJob<DistanceTransformJob>(env, exports, "distanceTransform");
  ExportJob<NeighbourCodesJob>(env, exports, "neighbourCodes");
  ExportJob<SurfaceDistancesJob>(env, exports, "surfaceDistances");
  ExportJob<SurfaceDiceJob>(env, exports, "surfaceDice");
}

}  // namespace medals
