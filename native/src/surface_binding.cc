// Bindings of the distance transform and the surface-distance kernels (edt.h, surface.h).
// The long calls have a sync and an Async (Promise) export sharing one Job (see async_job.h).
#include "surface_binding.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>

#include "async_job.h"
#include "edt.h"
#include "surface.h"
#include "volume_arg.h"

namespace medals {
namespace {

constexpr double kMinSpacing = 1e-9;
constexpr double kMaxSpacing = 1e9;

std::string Num(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

// [sx, sy, sz]: an Array of 3 finite numbers from 1e-9 to 1e9 (mm).
struct Spacing {
  double v[3] = {1.0, 1.0, 1.0};
};

Spacing ParseSpacing(const Napi::Value& value, const char* fn) {
  const Napi::Env env = value.Env();
  const std::string prefix = std::string(fn) + ": spacing";
  if (!value.IsArray()) {
    throw Napi::TypeError::New(env, prefix + " must be an Array [sx, sy, sz] of 3 positive numbers, got " +
                                        Describe(value));
  }
  const Napi::Array array = value.As<Napi::Array>();
  if (array.Length() != 3) {
    throw Napi::RangeError::New(env, prefix + " must have exactly 3 elements [sx, sy, sz], got " +
                                         std::to_string(array.Length()));
  }
  Spacing spacing;
  for (std::uint32_t i = 0; i < 3; ++i) {
    const Napi::Value element = array.Get(i);
    const std::string label = prefix + "[" + std::to_string(i) + "]";
    if (!element.IsNumber()) throw Napi::TypeError::New(env, label + " must be a number, got " + Describe(element));
    const double d = element.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d < kMinSpacing || d > kMaxSpacing) {
      throw Napi::RangeError::New(env, label + " must be a finite number from 1e-9 to 1e9 (mm), got " + Num(d));
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
  if (t < 0.0) throw Napi::RangeError::New(value.Env(), std::string(fn) + ": tolerance must be >= 0, got " + Num(t));
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
    throw Napi::TypeError::New(env, prefix + " must be { min: [x, y, z], max: [x, y, z] } or null, got " +
                                        Describe(value));
  }
  const Napi::Object object = value.As<Napi::Object>();
  const std::size_t dims[3] = {shape.x, shape.y, shape.z};
  for (const char* key : {"min", "max"}) {
    const Napi::Value corner = object.Get(key);
    const std::string name = std::string("box.") + key;
    if (!corner.IsArray()) {
      throw Napi::TypeError::New(env, std::string(fn) + ": " + name + " must be an Array of 3 integers, got " +
                                          Describe(corner));
    }
    if (corner.As<Napi::Array>().Length() != 3) {
      throw Napi::RangeError::New(env, std::string(fn) + ": " + name + " must have exactly 3 elements, got " +
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
      throw Napi::RangeError::New(env, prefix + ".min[" + std::to_string(i) + "] is above box.max[" +
                                           std::to_string(i) + "]");
    }
  }
  return box;
}

Napi::Array Triple(Napi::Env env, double a, double b, double c) {
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, a));
  out.Set(1u, Napi::Number::New(env, b));
  out.Set(2u, Napi::Number::New(env, c));
  return out;
}

Napi::Value BoxObject(Napi::Env env, const Box3& box) {
  if (box.empty) return env.Null();
  Napi::Object object = Napi::Object::New(env);
  object.Set("min", Triple(env, static_cast<double>(box.min[0]), static_cast<double>(box.min[1]),
                           static_cast<double>(box.min[2])));
  object.Set("max", Triple(env, static_cast<double>(box.max[0]), static_cast<double>(box.max[1]),
                           static_cast<double>(box.max[2])));
  return object;
}

Napi::Float64Array ToFloat64Array(Napi::Env env, const std::vector<double>& values) {
  Napi::Float64Array array = Napi::Float64Array::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
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
    const std::size_t n = mask_.shape.count();
    const ArrayArg out = ParseTypedArray(info[3], napi_float32_array, "Float32Array", n, fn, "out", true);
    if (out.data != nullptr) {
      RequireDisjoint(info.Env(), mask_.data, mask_.byteLength, out.data, out.byteLength, fn, "mask", "out");
      out_ = static_cast<float*>(out.data);
      outRef_ = Napi::Persistent(info[3].As<Napi::Object>());
    } else {
      Napi::Float32Array fresh = Napi::Float32Array::New(info.Env(), n);
      out_ = fresh.Data();
      outRef_ = Napi::Persistent(fresh.As<Napi::Object>());
    }
    keep_.Add(info[0]);
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
  Keep keep_;
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
    keep_.Add(info[0]);
  }

  void Run() {
    NeighbourCodes(Source(mask_), mask_.shape, select_, box_, codes_);
    const std::size_t n = grid_.count();
    for (std::size_t i = 0; i < n; ++i) borderCount_ += IsBorderCode(codes_[i]) ? 1 : 0;
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("codes", codesRef_.Value());
    result.Set("size", Triple(env, static_cast<double>(grid_.x), static_cast<double>(grid_.y),
                              static_cast<double>(grid_.z)));
    result.Set("offset", Triple(env, static_cast<double>(box_.min[0]), static_cast<double>(box_.min[1]),
                                static_cast<double>(box_.min[2])));
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
  Keep keep_;
};

// The (gt, pred, size, spacing, ...) arguments shared by surfaceDistances and surfaceDice.
struct MaskPair {
  VolumeArg gt, pred;
  Spacing spacing;
  Keep keep;

  MaskPair(const Napi::CallbackInfo& info, const char* fn)
      : gt(ParseVolume(info, 0, 2, fn, "gt")), pred(ParseVolume(info, 1, 2, fn, "pred")) {
    spacing = ParseSpacing(info[3], fn);
    keep.Add(info[0]);
    keep.Add(info[1]);
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
    object.Set("distancesGtToPred", ToFloat64Array(env, result_.distancesGtToPred));
    object.Set("areasGt", ToFloat64Array(env, result_.areasGt));
    object.Set("distancesPredToGt", ToFloat64Array(env, result_.distancesPredToGt));
    object.Set("areasPred", ToFloat64Array(env, result_.areasPred));
    return object;
  }

 private:
  MaskPair pair_;
  MaskSelector select_;
  SurfaceDistances result_;
};

// surfaceDice(gt, pred, size, spacing, tolerance, label | null)
//   -> { nsd, gtArea, predArea, gtAreaWithin, predAreaWithin, gtSurfels, predSurfels }
class SurfaceDiceJob {
 public:
  SurfaceDiceJob(const Napi::CallbackInfo& info, const char* fn)
      : pair_((RequireArgCount(info, 6, fn, "(gt, pred, size, spacing, tolerance, label)"), info), fn) {
    tolerance_ = ParseTolerance(info[4], fn);
    select_ = ParseLabel(info[5], fn);
  }

  void Run() {
    result_ = ComputeSurfaceDice(Source(pair_.gt), Source(pair_.pred), pair_.gt.shape, select_, pair_.spacing.v,
                                 tolerance_);
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
  SurfaceDiceResult result_;
};

// surfelAreas(spacing) -> Float64Array(256)
Napi::Value SurfelAreasJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "surfelAreas";
  RequireArgCount(info, 1, kFn, "(spacing)");
  const Spacing spacing = ParseSpacing(info[0], kFn);
  const std::array<double, 256> areas = SurfelAreas(spacing.v);
  Napi::Float64Array array = Napi::Float64Array::New(info.Env(), areas.size());
  std::copy(areas.begin(), areas.end(), array.Data());
  return array;
}

// Exports `name` (sync) and `name + "Async"` (Promise) for one Job.
template <typename Job>
void ExportSurfaceJob(Napi::Env env, Napi::Object exports, const char* name, const char* asyncName) {
  exports.Set(name, Napi::Function::New(
                        env, [name](const Napi::CallbackInfo& info) { return RunSync<Job>(info, name); }, name));
  exports.Set(asyncName,
              Napi::Function::New(
                  env, [asyncName](const Napi::CallbackInfo& info) { return RunAsync<Job>(info, asyncName); },
                  asyncName));
}

}  // namespace

void RegisterSurfaceBindings(Napi::Env env, Napi::Object exports) {
  ExportSurfaceJob<DistanceTransformJob>(env, exports, "distanceTransform", "distanceTransformAsync");
  ExportSurfaceJob<NeighbourCodesJob>(env, exports, "neighbourCodes", "neighbourCodesAsync");
  ExportSurfaceJob<SurfaceDistancesJob>(env, exports, "surfaceDistances", "surfaceDistancesAsync");
  ExportSurfaceJob<SurfaceDiceJob>(env, exports, "surfaceDice", "surfaceDiceAsync");
  exports.Set("surfelAreas", Napi::Function::New(env, SurfelAreasJs, "surfelAreas"));
}

}  // namespace medals
