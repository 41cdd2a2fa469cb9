// Bindings of the nonzero bounding box and count (bbox.h): quick enough to run on the calling
// thread, so neither has an Async variant.
#include "bbox.h"
#include "bindings.h"
#include "volume_arg.h"

namespace medals {
namespace {

// nonzeroBoundingBox(data, size) -> { min: [x, y, z], max: [x, y, z] } | null
Napi::Value NonzeroBoundingBoxJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "nonzeroBoundingBox";
  RequireArgCount(info, 2, kFn, "(data, size)");
  const VolumeArg volume = ParseVolume(info, 0, 1, kFn);
  const BoundingBox3 box = DispatchDType(volume.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return NonzeroBoundingBox(static_cast<const T*>(volume.data), volume.shape);
  });
  return BoxObject(info.Env(), box);
}

// countNonzero(data, size) -> number
Napi::Value CountNonzeroJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "countNonzero";
  RequireArgCount(info, 2, kFn, "(data, size)");
  const VolumeArg volume = ParseVolume(info, 0, 1, kFn);
  const std::size_t count = DispatchDType(volume.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return CountNonzero(static_cast<const T*>(volume.data), volume.shape);
  });
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

}  // namespace

Napi::Array SizeTriple(Napi::Env env, const std::array<std::size_t, 3>& v) {
  Napi::Array out = Napi::Array::New(env, 3);
  for (std::uint32_t i = 0; i < 3; ++i) out.Set(i, Napi::Number::New(env, static_cast<double>(v[i])));
  return out;
}

Napi::Value BoxObject(Napi::Env env, const BoundingBox3& box) {
  if (box.empty) return env.Null();
  Napi::Object result = Napi::Object::New(env);
  result.Set("min", SizeTriple(env, box.min));
  result.Set("max", SizeTriple(env, box.max));
  return result;
}

void RegisterBboxBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("nonzeroBoundingBox", Napi::Function::New(env, NonzeroBoundingBoxJs, "nonzeroBoundingBox"));
  exports.Set("countNonzero", Napi::Function::New(env, CountNonzeroJs, "countNonzero"));
}

}  // namespace medals
